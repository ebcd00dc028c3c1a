"""The event vocabulary shared by every stage: frozen, slotted dataclasses.

The session core returns these; the shells (server, simulate) act on them. Every event carries
``turn`` (the utterance id, 0 before the first) and ``audio_ms`` (the end of the audio frame that
produced it, in ms from the start of the stream; typed requests use the audio time at which they
arrived). Three kinds, three bases:

    Event
    ├── Update       what the page is told: SpeechStarted, Partial, Candidates, Prerender, Final, State, ...
    ├── Action       what the page does: Navigate, Highlight, Cancel, Back, Scroll, Stop, Say
    ├── Request      what the shell must do for the core and answer: Transcribe
    └── Telemetry    measurements: Span, Metric

Each class that reaches the browser names its message type in ``wire`` (docs/protocol.md); the one
renderer, ``server.protocol.render``, turns any such event into its message from its fields, so a
new event needs no renderer of its own. No field has a default that could stand for a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

Source = Literal["grammar", "verifier", "alike", "typed"]
"""Where a final transcript came from: the streaming grammar, the whole-utterance verifier, the
grammar where the verifier's words name nothing but sound alike (``session/choose.py``), a typed box."""
StateName = Literal["listening", "hearing", "heard", "acting"]
ListenKind = Literal["speaking", "pause", "quick", "careful"]


@dataclass(frozen=True, slots=True)
class Event:
    wire: ClassVar[str | None] = None
    turn: int
    audio_ms: int


@dataclass(frozen=True, slots=True)
class Update(Event):
    """Something heard or decided that the page shows (captions, state)."""


@dataclass(frozen=True, slots=True)
class Action(Event):
    """Something the page does: move, highlight, speak."""


@dataclass(frozen=True, slots=True)
class Request(Event):
    """Work the core asks of its shell; the shell must answer it (see ``Transcribe``)."""


@dataclass(frozen=True, slots=True)
class Telemetry(Event):
    """A measurement; it changes nothing."""


@dataclass(frozen=True, slots=True)
class SpeechStarted(Update):
    wire = "speech_start"


@dataclass(frozen=True, slots=True)
class SpeechEnded(Update):
    """The endpointer decided the utterance is over (after the silence timeout)."""

    wire = "speech_end"
    last_voiced_ms: int


@dataclass(frozen=True, slots=True)
class Partial(Update):
    wire = "partial"
    text: str


@dataclass(frozen=True, slots=True)
class Final(Update):
    wire = "final"
    text: str
    source: Source

    @property
    def typed(self) -> bool:
        return self.source == "typed"


@dataclass(frozen=True, slots=True)
class Candidate:
    target: str
    url: str
    score: float
    selector: str | None


@dataclass(frozen=True, slots=True)
class Candidates(Update):
    wire = "candidates"
    items: tuple[Candidate, ...]


@dataclass(frozen=True, slots=True)
class State(Update):
    """What the tour page shows: hearing, heard, acting; listening ends the turn."""

    wire = "state"
    state: StateName


@dataclass(frozen=True, slots=True)
class Rejected(Update):
    """Speech that was heard but is not a request about this product."""

    wire = "rejected"
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class Prerender(Update):
    """Pages likely to be asked for next, to load in hidden frames (nothing is shown yet)."""

    wire = "prerender"
    urls: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Navigate(Action):
    wire = "navigate"
    url: str
    target: str
    early: bool
    """True when committed before the utterance ended."""


@dataclass(frozen=True, slots=True)
class Highlight(Action):
    wire = "highlight"
    selector: str
    label: str


@dataclass(frozen=True, slots=True)
class Cancel(Action):
    """Undo an early navigation: ``url`` is where the user was before (None: no page)."""

    wire = "cancel"
    url: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Back(Action):
    wire = "back"
    url: str | None


@dataclass(frozen=True, slots=True)
class Scroll(Action):
    wire = "scroll"
    direction: Literal["up", "down"]


@dataclass(frozen=True, slots=True)
class Stop(Action):
    wire = "stop"


@dataclass(frozen=True, slots=True)
class Say(Action):
    wire = "say"
    text: str


@dataclass(frozen=True, slots=True)
class Transcribe(Request):
    """Transcribe ``pcm`` (the utterance up to ``upto_ms``) with the engine's verifier and hand the
    words back with ``Session.feed_transcript(request, text, now)``, passing this very object.

    ``kind``:
    - ``speaking``: a background listen while the person speaks. The shell may run it beside the
      frames and may decline it (answer ``None``) when the verifier is busy.
    - ``pause``: the pause's early quick listen (the speech up to the last voiced frame and the
      silence so far); may be declined like ``speaking`` (unless ``wait``).
    - ``quick`` / ``careful``: words a decision needs now (``careful``: the slower, thorough
      listen). The session holds every later input until they are answered, so the shell should
      answer them at once and must not decline them.

    A shell must answer every request; an unanswered ``speaking`` or ``pause`` request only delays
    the pause's decision to the endpoint, an unanswered ``quick`` or ``careful`` stops the session.
    """

    kind: ListenKind
    upto_ms: int
    pcm: bytes = field(repr=False)
    hint: str = ""
    """For a ``careful`` listen that checks the grammar's page: words that name it ("Show me the
    Calendar."), which the verifier reads before listening (``Verifier.transcribe(hint=)``)."""
    thorough: bool = False
    """Listen as carefully as the verifier can (``Verifier.transcribe(thorough=)``): every
    ``careful`` request, and a ``pause`` request asked when the words heard while speaking named
    nothing."""
    focus: tuple[str, ...] = ()
    """Names of the targets the speech most likely means, read before listening instead of all
    the product's words (``Verifier.transcribe(focus=)``): a careful listen of fewer words."""
    wait: bool = False
    """A ``pause`` listen of a lean turn (``Session.lean``), the only listen such a turn asks for
    before its end: the shell waits for the model rather than decline it, and when the model is
    free asks ``Session.wants(request)`` first, answering ``None`` without listening if the
    person has spoken on since (the answer would be thrown away)."""
    noise: bytes = field(default=b"", repr=False)
    """The room before the person spoke (PCM16, no speech), whose steady noise the verifier takes
    out of ``pcm`` before it listens (``Verifier.transcribe(noise=)``, ``audio.denoise``)."""

    @property
    def may_decline(self) -> bool:
        return self.kind in ("speaking", "pause")

    @property
    def weigh(self) -> bool:
        """Whether what the verifier hears may be said again in the product's words, if the audio
        says so (``Verifier.transcribe(weigh=)``): a decision's listen (``quick``, ``careful``) or
        a ``thorough`` one. Not a background or pause listen's, mostly inside a sentence: there a
        rewrite of "Where is the Ed of" named AdminBSB's Editors page for "where is the editable
        table" (docs/measuring.md)."""
        return self.kind in ("quick", "careful") or self.thorough


@dataclass(frozen=True, slots=True)
class Span(Telemetry):
    """Work the core did for a turn, on the session's clock (ns; the shell's ``now`` timeline).

    Emitted only when the session was given a clock. ``name``: 'frame' (one 20 ms frame through
    VAD, recognizer, ranking and policy), 'rank' (intent ranking of a partial), 'finish' (closing
    the recognizer and choosing the final transcript at the endpoint). Shells add 'listen' (a
    ``Transcribe`` request they ran; detail says which kind and what was heard).
    """

    name: str
    start_ns: int
    end_ns: int
    detail: str


@dataclass(frozen=True, slots=True)
class Metric(Telemetry):
    wire = "metric"
    name: str
    value_ms: float
    labels: tuple[tuple[str, str], ...] = ()
    """(name, value) pairs, e.g. (("stage", "asr"),); none for a metric of the whole turn."""

    def label(self, name: str, default: str = "") -> str:
        return dict(self.labels).get(name, default)
