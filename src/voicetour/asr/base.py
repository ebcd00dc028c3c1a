"""The StreamingRecognizer protocol the session core talks to.

Contract: ``start()`` opens an utterance; ``feed(frame)`` takes one 20 ms PCM16 frame and returns
the current partial transcript; ``finish()`` closes the utterance and returns the final one. After
``finish()`` you must call ``start()`` before feeding again. A recognizer serves one session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class StreamingRecognizer(Protocol):
    def start(self) -> None: ...

    def feed(self, frame: bytes) -> str: ...

    def finish(self) -> str: ...


class Verifier(Protocol):
    """A slower, more accurate transcription of a whole utterance (16 kHz mono PCM16).
    ``thorough`` asks for the most accurate listen, whatever it costs; ``hint``, words the
    speech may be (the grammar's page), read last, after the product's words; ``focus``, names
    read instead of all the product's words (the likeliest targets); ``weigh``, what it heard said
    again in the product's words may stand for it, if the audio says so (a decision's listen);
    ``noise``, the room before the person spoke (PCM16), whose steady noise is taken out first."""

    def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "", focus: tuple[str, ...] = (),
                   weigh: bool = False, noise: bytes = b"") -> str: ...

    def try_transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "",
                       focus: tuple[str, ...] = (), wanted: Callable[[], bool] | None = None,
                       weigh: bool = False, noise: bytes = b"") -> str | None:
        """``transcribe``, or None at once if the verifier is busy (for background listens), or
        if ``wanted()`` says no."""
        ...

    def wait_transcribe(self, pcm: bytes, wanted: Callable[[], bool], thorough: bool = False, hint: str = "",
                        focus: tuple[str, ...] = (), weigh: bool = False, noise: bytes = b"") -> str | None:
        """``transcribe`` once the verifier is free, if ``wanted()`` then says so; else None."""
        ...

    def native_ns(self) -> int:
        """CPU time the calling thread's last listen spent outside that thread (a model decoding
        in its own threads), in ns; 0 when it spends none there."""
        ...
