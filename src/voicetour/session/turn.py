"""One utterance (a ``Turn``) and the pauses inside it (``Pause``): plain state, no logic.

A turn lives from the endpointer's start to its end (or to a typed request, a stall, a detach);
a pause from the first unvoiced frame inside a turn to the next voiced one. What belongs to a
pause lives on the pause, so it is gone with it: nothing needs to remember which pause it was for.

    idle ──start──▶ speaking ◀──voiced──┐
                       │                │
                  unvoiced frame        │
                       ▼                │
                    paused (Pause: steps ASK → QUICK → CAREFUL) ──end (silence timeout)──▶ ending
                                                                                           │
                      idle ◀── final words chosen, resolved (after any listen it needed) ──┘
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voicetour.events import ListenKind, Transcribe
from voicetour.intent.naming import Target
from voicetour.intent.ranker import Ranked


@dataclass
class Pause:
    step: int = 0
    """The next of the listen steps (``ListenConfig.steps()``) to take."""
    asked: Transcribe | None = None
    """The pause's own early listen, once asked."""
    declined: bool = False
    """Its listen was declined (the model busy): a lean turn asks again, waiting for the model."""
    decided: Target | None = None
    """The page the verifier named in this pause and the session went to: until more speech
    arrives, the grammar's partials and background answers cannot overturn it."""


@dataclass
class Turn:
    before: str | None
    """The page the visitor was on when the turn began (where a wrong early guess goes back to)."""
    start_ms: int
    """Audio time of the first sample in ``audio`` (the pre-roll included)."""
    last_voiced_ms: int
    detected_ms: int
    """Audio time at which the endpointer heard speech start."""
    lean: bool = False
    """Heard without the grammar recognizer and without background listens (``Session.lean``)."""
    committed: Target | None = None
    """The target this turn has gone to so far."""
    partial: str = ""
    reported: str = ""
    ranked: list[Ranked] = field(default_factory=list)
    top_url: str | None = None
    top_since_ms: int = 0
    prerendered: tuple[str, ...] = ()
    voiced_ms: int = 0
    """Voiced audio so far (the pre-roll's not counted)."""
    audio: bytearray = field(default_factory=bytearray)
    noise: bytes = b""
    """The room before the person spoke (no speech: the pre-roll less the frames that started
    the turn), which the verifier takes out of the speech (``audio.denoise``)."""
    words: dict[ListenKind, str] = field(default_factory=dict)
    """The verifier's words for all the speech so far, by kind of listen ('pause' also holds a
    background answer that covered the last voiced frame); emptied when more speech arrives."""
    careful_hint: str = ""
    """The hint the ``careful`` words were heard with."""
    command: str | None = None
    """A control word carried out at a pause: the turn navigates no more."""
    heard_url: str | None = None
    """The page the latest background listen named (None: none)."""
    heard_text: str = ""
    """The latest background listen's words."""
    heard_other: int = 0
    """How many background listens in a row heard words that could name something ("Snowboy!",
    not "Show me the...") and name no page: the grammar's page waits for the verifier."""
    asked: Transcribe | None = None
    """The background or pause listen awaiting its answer (one at a time)."""
    asked_at: int = 0
    """Audio time of the last background listen asked while speaking."""
    pause: Pause | None = None
    final: str | None = None
    """The grammar's final words, once the turn is ending."""

    @property
    def spoken_ms(self) -> int:
        """How long the person has been speaking: from the start of speech to the last voiced frame
        (steadier in noise than ``voiced_ms``, which the noise floor thins out)."""
        return self.last_voiced_ms - self.detected_ms

    def speech(self, tail_ms: int) -> bytes:
        """The utterance up to its last voiced frame plus ``tail_ms`` (or as much of that tail as
        has arrived). Its transcript is kept until more speech arrives, so the endpoint reuses the
        pause's instead of hearing the silence that followed."""
        end = (self.last_voiced_ms + tail_ms - self.start_ms) * 32
        return bytes(self.audio[: max(0, end)])
