"""Taking a room's steady noise out of speech before the verifier hears it."""

from __future__ import annotations

import numpy as np

from voicetour.audio.denoise import MIN_NOISE_SAMPLES, denoise
from voicetour.audio.wav import read_wav

from .conftest import SPEECH
from .test_vad import _pink


def _snr_db(clean: np.ndarray, heard: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(clean**2) / np.sum((heard - clean) ** 2)))


def test_the_rooms_noise_is_taken_out_of_the_speech() -> None:
    """The fixtures' pink noise at 10 dB over a real request: with the room heard before it
    taken out, the speech is at least 2.5 dB further above what is left of the noise."""
    clean = np.frombuffer(read_wav(SPEECH / "piper-00.wav"), "<i2").astype(np.float32) / 32768
    level = float(np.sqrt(np.mean(clean[np.abs(clean) > 0.05 * np.abs(clean).max()] ** 2))) / 10 ** (10 / 20)
    noise = _pink(clean.size / 16000 + 0.6, level, seed=3).astype(np.float32)
    room, over = noise[:8000], noise[8000 : 8000 + clean.size]
    noisy = clean + over
    out = denoise(noisy, room)
    assert out.shape == noisy.shape and out.dtype == np.float32
    assert _snr_db(clean, out) >= _snr_db(clean, noisy) + 2.5


def test_a_silent_or_short_room_leaves_the_speech_as_it_is() -> None:
    speech = np.frombuffer(read_wav(SPEECH / "piper-00.wav"), "<i2").astype(np.float32) / 32768
    assert denoise(speech, np.zeros(8000, np.float32)) is speech  # digital silence: nothing to take out
    room = _pink(1.0, 0.05).astype(np.float32)
    assert denoise(speech, room[: MIN_NOISE_SAMPLES - 1]) is speech  # too little to know the room by
    assert denoise(speech, room) is not speech
