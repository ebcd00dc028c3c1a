"""Voice activity detection and endpointing, frame by frame, no clock.

``Endpointer.push(frame)`` classifies one 20 ms frame (WebRTC VAD plus an energy floor) and
reports transitions: speech starts after ``start_frames`` voiced frames among the last
``start_window``; it ends after ``end_ms`` of unvoiced audio. The caller keeps the audio time.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from voicetour.audio import FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE


@dataclass(frozen=True)
class VadConfig:
    mode: int = 2
    start_window: int = 5
    start_frames: int = 3
    end_ms: int = 400
    min_rms: float = 120.0
    """Frames quieter than this RMS (PCM16 units) are silence whatever the VAD says."""
    preroll_frames: int = 15
    noise_frames: int = 100
    """The noise floor is the quietest frame of the last this many (2 s): minimum statistics."""
    noise_factor: float = 1.5
    """A frame counts as voiced only if its RMS is this many times the noise floor (3.5 dB above it)."""
    start_factor: float = 2.0
    """...and, to start an utterance, this many times (6 dB): steady noise varies more than 3.5 dB
    from one 20 ms frame to the next (the bench's pink noise: frame RMS 575-962 in one room), and
    a room's noise alone started turns (40 in 714 s of the bench's rooms; none at 1.75). Inside
    an utterance the lower factor stays: at 1.75 throughout, noisy fixtures lost words (0.956 ->
    0.944)."""
    max_utterance_ms: int = 12_000


def rms(frame: bytes) -> float:
    samples = np.frombuffer(frame, dtype="<i2").astype(np.float32)
    return float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0


class Endpointer:
    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self._vad = webrtcvad.Vad(self.config.mode)
        self._recent: deque[bool] = deque(maxlen=self.config.start_window)
        self.in_speech = False
        self.silence_ms = 0
        self.speech_ms = 0
        self._levels: deque[float] = deque(maxlen=self.config.noise_frames)

    def voiced(self, frame: bytes, factor: float | None = None) -> bool:
        """WebRTC VAD, gated by loudness: above ``min_rms`` and above the adaptive noise floor.
        The floor matters in steady noise (fans, traffic), which WebRTC's VAD calls speech: without
        it an utterance in a noisy room would never end until ``max_utterance_ms``."""
        level = rms(frame)
        self._levels.append(level)
        floor = min(self._levels) * (factor or self.config.noise_factor)
        return level >= max(self.config.min_rms, floor) and self._vad.is_speech(frame, SAMPLE_RATE)

    def quiet(self, frames: bytes) -> bool:
        """Whether none of ``frames`` (whole 20 ms frames of PCM16, back to back) is loud enough
        (``min_rms``) to be voiced: such audio cannot start an utterance."""
        samples = np.frombuffer(frames, dtype="<i2")
        n = samples.size // FRAME_SAMPLES
        if n == 0:
            return True
        block = samples[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES).astype(np.float32)
        return bool(np.sqrt(np.mean(block * block, axis=1)).max() < self.config.min_rms)

    def push(self, frame: bytes) -> tuple[bool, str | None]:
        """Classify a frame. Returns (voiced, transition) with transition 'start', 'end' or None."""
        voiced = self.voiced(frame, None if self.in_speech else self.config.start_factor)
        self._recent.append(voiced)
        if not self.in_speech:
            if sum(self._recent) >= self.config.start_frames:
                self.in_speech, self.silence_ms, self.speech_ms = True, 0, 0
                return voiced, "start"
            return voiced, None
        self.speech_ms += FRAME_MS
        self.silence_ms = 0 if voiced else self.silence_ms + FRAME_MS
        if self.silence_ms >= self.config.end_ms or self.speech_ms >= self.config.max_utterance_ms:
            self.reset()
            return voiced, "end"
        return voiced, None

    def reset(self) -> None:
        self.in_speech = False
        self.silence_ms = 0
        self.speech_ms = 0
        self._recent.clear()
