"""The endpointer in a room's steady noise."""

from __future__ import annotations

import numpy as np

from voicetour.audio import FRAME_BYTES
from voicetour.audio.vad import Endpointer, VadConfig
from voicetour.audio.wav import read_wav

from .conftest import SPEECH


def _pink(seconds: float, level: float, seed: int = 0) -> np.ndarray:
    """The bench's noise (bench/corpus.py): white noise through an 8-tap average, at RMS ``level``."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(int(16000 * seconds) + 64)
    pink = np.convolve(white, np.ones(8) / 8, mode="same")[: int(16000 * seconds)]
    return pink / np.sqrt(np.mean(pink**2)) * level


def _starts(config: VadConfig, pcm: bytes) -> int:
    ep, n = Endpointer(config), 0
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        n += ep.push(pcm[i : i + FRAME_BYTES])[1] == "start"
    return n


def test_a_rooms_steady_noise_starts_no_utterance_and_speech_in_it_does() -> None:
    """Frame to frame, steady noise varies by more than the 3.5 dB that keeps a frame voiced
    inside an utterance; starting one takes 6 dB over the floor (``VadConfig.start_factor``)."""
    noise = _pink(30.0, 800.0)
    room = np.clip(np.round(noise), -32768, 32767).astype("<i2").tobytes()
    assert _starts(VadConfig(), room) == 0
    assert _starts(VadConfig(start_factor=VadConfig().noise_factor), room) > 0  # the old gate: noise starts turns
    speech = np.frombuffer(read_wav(SPEECH / "piper-00.wav"), "<i2").astype(float)
    mixed = noise.copy()
    at = 16000 * 10
    mixed[at : at + speech.size] += speech * 3  # the request ~10 dB over the room, 10 s in
    pcm = np.clip(np.round(mixed), -32768, 32767).astype("<i2").tobytes()
    assert _starts(VadConfig(), pcm) == 1
