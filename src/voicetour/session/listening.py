"""When the core asks the verifier (whisper) for words: the listen policy, as data.

Two schedules, both in audio time:

- **While the person speaks**, a background listen (``Transcribe`` kind ``speaking``) every
  ``every_ms``, once the utterance holds ``first_ms`` of audio: whisper often names the page from
  the words so far before the grammar has it.
- **In a pause**, the steps of ``steps()``, taken in order, each once the silence has lasted its
  time (``>=``, so a pause that is late by a frame still takes every step):

      ASK      at ask_ms      ask for the pause's quick listen (kind ``pause``) beside the frames;
                              a careful one when the words heard while speaking named nothing
      QUICK    at quick_ms    decide on the quick listen (a page, or nothing yet)
      CAREFUL  at careful_ms  no page yet: a careful listen; commands are carried out here

A step may wait (for an answer on its way) and is then taken when the answer arrives; ASK is
passed over once the QUICK step's time has come. Words for all the speech that name nothing
trusted (``TurnDecisions._doubted``) are heard again by the careful listen, not a quick one
first; a quick listen the session must ask itself is a careful one when the words heard while
speaking named nothing (``careful_pause``), and careful words that name nothing are heard again
quickly. A careful listen reads the names of the likeliest targets, not all the product's words
(``focus_careful``). When the grammar is sure of a page, QUICK and
CAREFUL wait for words on their way only until ``deadline_ms`` of silence, then show the
grammar's page without them. The numbers are measured: docs/measuring.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from voicetour.audio import FRAME_MS
from voicetour.errors import UsageError

Step = Literal["ask", "quick", "careful"]


@dataclass(frozen=True)
class ListenConfig:
    ask_ms: int = 20
    """Ask for the pause's quick listen this far into a pause, so that its answer is in by
    ``quick_ms`` (0: never ask early; the QUICK step then listens itself)."""
    lean_try_ms: int = 60
    """A lean turn (``Session.lean``) asks for its pause listen this far into a pause if the
    model has a worker to spare (0: never so early); declined, at ``lean_ask_ms``, waiting for
    the model: a pause inside a sentence is mostly over by then. 16 lean prospects in their rooms'
    noise (``bench --quick --sessions 16 --full-sessions 0``, one run each) at 20 / 60 / never:
    p50 280 / 238 / 335 ms, p95 565 / 616 / 732 ms, 643 / 565 / 575 CPU-ms a request."""
    lean_ask_ms: int = 100
    """Asked at a fixed time (before the try above, and in digital silence between requests), 16
    lean prospects at 20 / 60 / 100 ms: 367 / 302 / 281 CPU-ms a request, p50 217 / 217 / 249 ms,
    p95 722 / 739 / 807 ms; alone (``evaluate --lean``, fixtures) at 20 / 60 ms: p50 122 / 170
    ms, p95 166 / 264 ms."""
    quick_ms: int = 60
    """Decide on the quick listen after this much silence (when its answer is not in yet, as soon
    as it is). 60 ms: browser quick bench p95 265 -> 182 ms against deciding at 120 ms."""
    careful_ms: int = 80
    """...and, when that named nothing, give it a careful listen after this much; commands
    (which cannot be taken back) are carried out here, not at the quick listen. 80 ms against
    120: fixtures 0.956 -> 0.967, quick bench p95 208 -> 189 ms; 60 ms held the frames behind
    the careful listen too early (p95 440 ms)."""
    deadline_ms: int = 200
    """...but when the grammar is sure of a page (``PolicyConfig.early_score`` and margin) and the
    verifier's words for all the speech, on their way, are not in after this much silence, the
    grammar's page is shown without them (they may still correct it). On a busy machine a whisper
    run took 300-450 ms."""
    near_end_ms: int = 80
    """A background listen whose audio stops at most this long before the last voiced frame
    stands for a listen of all the speech (when its words are trusted, as any early answer must
    be). Whisper hears a word whose last sound is cut short whole; waiting for a new listen cost
    40 ms (asked at QUICK, not ASK, while the background one ran) plus the listen itself."""
    every_ms: int = 160
    """While the person speaks, ask for a background listen this often (0: never)."""
    settle: bool = True
    """...until the page shown is the one the last listen named and the grammar names no other:
    more listens would only confirm it (the pause's listen still hears all the speech)."""
    first_ms: int = 400
    """...once the utterance holds this much audio (the pre-roll included)."""
    doubt_carefully: bool = True
    """Words for all the speech that are not trusted as they are (``TurnDecisions._doubted``)
    are heard again by the CAREFUL step's listen, not by a quick one first."""
    careful_pause: bool = True
    """The pause's listen is a careful one (``Transcribe.thorough``, prompted with the grammar's
    page, reading ``focus`` names) when the last words heard while speaking named nothing: a
    quick listen of the same speech mostly said the same again, and the careful one came after
    it (AdminBSB's slowest requests: three whisper runs after the speech ended). Careful words
    that name nothing are heard again quickly (noisy files the careful listen heard worse than
    the quick one: "Open the save." for "open the settings"). AdminBSB, with ``focus_careful``:
    0.958 / p95 424 ms off, 0.958 / 277 ms on, one run each (runs of the same code spread
    277-402 ms: docs/measuring.md)."""
    focus_careful: bool = True
    """A careful listen reads the names of the likeliest targets (``Transcribe.focus``: the five
    best of the grammar's words and of each of the verifier's) instead of all the product's
    words. The careful listens of AdminBSB (31) and AdminLTE 3 (24), heard again offline: right
    page 10 -> 11 and 3 -> 2 (lost "text editors" where the grammar named nothing), none wrong,
    p50 245 -> 177 ms and 252 -> 174 ms a listen."""
    careful_partial: bool = True
    """At the CAREFUL step, words for all the speech that name a target only in part ("Show Me
    Mavic Form Elements") are heard again carefully, and the target is gone to when the careful
    words name it whole (``TurnDecisions._whole_again``); otherwise, as before, the end decides."""
    min_speech_ms: int = 200
    """Voiced audio an utterance needs before a pause is decided on: whisper makes words of a
    short clip of noise ("Go back." from 100 ms of a 20 dB room at the start of "how do I invite a
    teammate", which then carried out the command and blocked the request until the endpoint)."""
    tail_ms: int = 200
    """Audio kept after the last voiced frame when the verifier listens in a pause or at the end."""

    def __post_init__(self) -> None:
        for name in ("ask_ms", "lean_try_ms", "lean_ask_ms", "quick_ms", "careful_ms", "deadline_ms", "near_end_ms",
                     "every_ms", "first_ms", "min_speech_ms", "tail_ms"):
            value = getattr(self, name)
            if value < 0 or value % FRAME_MS:
                raise UsageError(f"ListenConfig.{name} = {value}: must be a multiple of {FRAME_MS} ms, >= 0")
        if not self.quick_ms <= self.careful_ms:
            raise UsageError(f"ListenConfig: quick_ms ({self.quick_ms}) must not come after careful_ms "
                             f"({self.careful_ms})")
        if self.deadline_ms < self.quick_ms:
            raise UsageError(f"ListenConfig.deadline_ms ({self.deadline_ms}) must not come before quick_ms "
                             f"({self.quick_ms})")
        if self.ask_ms and not FRAME_MS <= self.ask_ms < self.quick_ms:
            raise UsageError(f"ListenConfig.ask_ms ({self.ask_ms}) must come before quick_ms ({self.quick_ms})")

    def steps(self) -> tuple[tuple[int, Step], ...]:
        """The pause's steps: (silence in ms at which it is due, step), in order."""
        ask: tuple[tuple[int, Step], ...] = ((self.ask_ms, "ask"),) if self.ask_ms else ()
        return (*ask, (self.quick_ms, "quick"), (self.careful_ms, "careful"))

    def covers(self, upto_ms: int, last_voiced_ms: int) -> bool:
        """Whether a listen of the audio up to ``upto_ms`` heard all the speech (``near_end_ms``)."""
        return upto_ms >= last_voiced_ms - self.near_end_ms

    def speaking_due(self, heard_ms: int, since_last_ms: int) -> bool:
        """Whether a background listen is due, ``heard_ms`` into the utterance and
        ``since_last_ms`` after the last one asked (the utterance's start if none was)."""
        return bool(self.every_ms) and heard_ms >= self.first_ms and since_last_ms >= self.every_ms
