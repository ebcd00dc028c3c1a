"""The event vocabulary shared by every stage: frozen, slotted dataclasses.

The session core returns these; the shells (server, simulate) turn them into messages or lines.
Every event carries ``turn`` (the utterance id, 0 before the first) and ``audio_ms`` (the end of the
audio frame that produced it, in ms from the start of the stream; typed requests use the audio time
at which they arrived).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Event:
    turn: int
    audio_ms: int


@dataclass(frozen=True, slots=True)
class SpeechStarted(Event):
    pass


@dataclass(frozen=True, slots=True)
class SpeechEnded(Event):
    """The endpointer decided the utterance is over (after the silence timeout)."""

    last_voiced_ms: int = 0


@dataclass(frozen=True, slots=True)
class Partial(Event):
    text: str = ""


@dataclass(frozen=True, slots=True)
class Final(Event):
    text: str = ""
    typed: bool = False
    source: str = "grammar"
    """'grammar' (the streaming recognizer), 'verifier' (the whole-utterance second opinion) or 'typed'."""


@dataclass(frozen=True, slots=True)
class Candidate:
    target: str
    url: str
    score: float
    selector: str | None = None


@dataclass(frozen=True, slots=True)
class Candidates(Event):
    items: tuple[Candidate, ...] = ()


@dataclass(frozen=True, slots=True)
class Prerender(Event):
    urls: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Transcribe(Event):
    """A request to the shell, not to the page: transcribe ``pcm`` (the utterance up to
    ``upto_ms``) with the engine's verifier, off the session's path, and hand the words back with
    ``Session.feed_transcript(turn, upto_ms, text, now)``. It only makes the session faster (pages
    named while the person is still speaking); the shell may answer ``None`` when the verifier is
    busy. The session asks again only after an answer.

    ``pause``: asked in a pause, for the pause's own quick listen (``pcm`` is the speech up to the
    last voiced frame and the silence so far). The session decides a pause on the answer to a
    request that covers all its speech (this one, or one asked at the last voiced frame), so a shell
    must answer every request, ``None`` included; without an answer the pause is decided at the
    endpoint."""

    upto_ms: int = 0
    pcm: bytes = field(default=b"", repr=False)
    pause: bool = False


@dataclass(frozen=True, slots=True)
class Navigate(Event):
    url: str = ""
    target: str = ""
    early: bool = False
    """True when committed from a partial, before the utterance ended."""


@dataclass(frozen=True, slots=True)
class Highlight(Event):
    selector: str = ""
    label: str = ""


@dataclass(frozen=True, slots=True)
class Cancel(Event):
    """Undo an early navigation: ``url`` is where the user was before (None: no page)."""

    url: str | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Back(Event):
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Scroll(Event):
    direction: str = "down"


@dataclass(frozen=True, slots=True)
class Stop(Event):
    pass


@dataclass(frozen=True, slots=True)
class Say(Event):
    text: str = ""


@dataclass(frozen=True, slots=True)
class State(Event):
    """What the tour page shows: listening, hearing, acting, idle."""

    state: str = "listening"


@dataclass(frozen=True, slots=True)
class Rejected(Event):
    """Speech that was heard but is not a request about this product."""

    text: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Span(Event):
    """Work the core did for a turn, on the session's clock (ns; the shell's ``now`` timeline).

    Emitted only when the session was given a clock. ``name``: 'frame' (one 20 ms frame through
    VAD, recognizer, ranking and policy), 'rank' (intent ranking of a partial), 'verify' (the
    whole-utterance second opinion; detail 'thorough' for the careful listen), 'finish' (closing
    the recognizer and choosing the final transcript at the endpoint). Shells add 'listen' (a
    ``Transcribe`` request they ran in the background).
    """

    name: str = ""
    start_ns: int = 0
    end_ns: int = 0
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Metric(Event):
    name: str = ""
    value_ms: float = 0.0
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
