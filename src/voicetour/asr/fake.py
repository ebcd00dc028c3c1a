"""Scripted models for unit tests of the core (like httpx's MockTransport), and a shell's
answers to the core's listen requests.

``ScriptedRecognizer({3: "show", 8: "show me billing"}, final="show me billing")`` returns the
scripted partial once the utterance has received that many frames.
"""

from __future__ import annotations

from collections.abc import Callable

from voicetour.asr.base import Verifier
from voicetour.errors import UsageError
from voicetour.events import Event, Transcribe


class ScriptedRecognizer:
    def __init__(self, partials: dict[int, str], final: str) -> None:
        self.partials = partials
        self.final = final
        self.frames = 0
        self.current = ""
        self.open = False
        self.utterances = 0

    def start(self) -> None:
        self.open, self.frames, self.current = True, 0, ""
        self.utterances += 1

    def feed(self, frame: bytes) -> str:
        if not self.open:
            raise UsageError("feed() before start()")
        self.frames += 1
        self.current = self.partials.get(self.frames, self.current)
        return self.current

    def finish(self) -> str:
        if not self.open:
            raise UsageError("finish() before start()")
        self.open = False
        return self.final


class ScriptedVerifier:
    """A verifier for unit tests: ``text`` for every listen, or ``text(pcm, thorough)``.
    Counts its runs in ``calls``; keeps the hints it was given in ``hints``, every listen's
    ``focus`` in ``focus``."""

    def __init__(self, text: str | Callable[[bytes, bool], str]) -> None:
        self.text = text
        self.calls = 0
        self.hints: list[str] = []
        self.focus: list[tuple[str, ...]] = []

    def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "", focus: tuple[str, ...] = (),
                   weigh: bool = False, noise: bytes = b"") -> str:
        self.calls += 1
        if hint:
            self.hints.append(hint)
        self.focus.append(focus)
        return self.text(pcm, thorough) if callable(self.text) else self.text

    def try_transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "",
                       focus: tuple[str, ...] = (), wanted: Callable[[], bool] | None = None,
                       weigh: bool = False, noise: bytes = b"") -> str | None:
        return self.transcribe(pcm, thorough, hint, focus) if wanted is None or wanted() else None

    def wait_transcribe(self, pcm: bytes, wanted: Callable[[], bool], thorough: bool = False, hint: str = "",
                        focus: tuple[str, ...] = (), weigh: bool = False, noise: bytes = b"") -> str | None:
        return self.transcribe(pcm, thorough, hint, focus) if wanted() else None

    def native_ns(self) -> int:
        return 0


def answer_requests(
    feed_transcript: Callable[[Transcribe, str | None, int], list[Event]],
    events: list[Event],
    verifier: Verifier | None,
    now: int,
    background: bool = False,
) -> list[Event]:
    """``events`` with every ``quick`` and ``careful`` request among them answered at once by
    ``verifier`` (and the requests those answers bring), each answer's events right after its
    request: a shell whose listens take no time. ``background``: answer ``speaking`` and
    ``pause`` requests too; without it they stay unanswered (a shell that never answers them)."""
    out: list[Event] = []
    for ev in events:
        out.append(ev)
        if isinstance(ev, Transcribe) and (background or not ev.may_decline):
            if verifier is None:
                raise UsageError("a Transcribe request, and no verifier to answer it")
            text = verifier.transcribe(ev.pcm, thorough=ev.thorough, hint=ev.hint, focus=ev.focus, weigh=ev.weigh,
                                       noise=ev.noise)
            out += answer_requests(feed_transcript, feed_transcript(ev, text, now), verifier, now, background)
    return out
