"""The session core: one conversation, no I/O, no clock, never blocks.

Inputs, each returning the events to act on, in order:

- ``feed_audio(pcm, now)``: PCM16 mono 16 kHz bytes, any length;
- ``feed_text(text, now)``: a typed request;
- ``feed_transcript(request, text, now)``: the shell's answer to a ``Transcribe`` request;
- ``tick(now)`` at ``next_deadline()`` when audio stops arriving mid-utterance (closes it);
- ``detach(now)`` when the client goes away but may come back, ``close(now)`` at the end.

The core never runs a model other than the streaming grammar recognizer: every whisper listen is
a ``Transcribe`` request the shell runs and answers (see its docstring for the kinds). While a
``quick`` or ``careful`` request is out, the session holds every later input and replays it, in
order, once the answer is in; so the same audio and the same answers give the same events
however the audio is chunked and whenever the answers come. All decisions use audio time; ``now``
(monotonic ns from the shell's clock) only drives the stall deadline and the spans.

Instrumentation: given a ``clock`` (a callable returning monotonic ns, injected by the shell), the
session also returns ``Span`` events timing its own work on the shell's timeline.

The turn's states are drawn in ``session/turn.py``; the pause's steps in ``session/listening.py``;
what every action does on the page in ``session/tour.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from voicetour.asr.base import StreamingRecognizer
from voicetour.audio import FRAME_MS
from voicetour.audio.framer import Framer
from voicetour.audio.vad import Endpointer
from voicetour.errors import AudioError, UsageError
from voicetour.events import (
    Event,
    Final,
    ListenKind,
    Say,
    Source,
    Span,
    SpeechEnded,
    SpeechStarted,
    State,
    Transcribe,
)
from voicetour.intent.ranker import phrased
from voicetour.intent.text import control_of
from voicetour.session import reply
from voicetour.session.choose import EARLY_HINTED_ALIKE, Choice, choose, hinted_alike
from voicetour.session.config import SessionConfig
from voicetour.session.decisions import TurnDecisions
from voicetour.session.engine import Engine
from voicetour.session.tour import At, Tour
from voicetour.session.turn import Pause, Turn

ROOM_FRAMES = 5
"""Frames of the room before a turn (100 ms, no speech) enough to know its noise by; a turn with
fewer (one right after another) keeps the room heard before an earlier turn."""


class Session(TurnDecisions):
    def __init__(
        self,
        engine: Engine,
        recognizer: StreamingRecognizer | None = None,
        config: SessionConfig | None = None,
        start_url: str | None = None,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.engine = engine
        self.config = config or SessionConfig()
        self.recognizer = recognizer if recognizer is not None else engine.new_recognizer()
        self.tour = Tour(engine.site.name, engine.ranker, self.config.policy, start_url)
        self.framer = Framer()
        self.endpointer = Endpointer(self.config.vad)
        self.preroll: deque[bytes] = deque(maxlen=self.config.vad.preroll_frames)
        self.steps = self.config.listen.steps()
        self.audio_ms = 0
        self.turn = 0
        self.current: Turn | None = None
        self.closed = False
        self.lean = False
        """Turns that start while this is set are heard by the verifier alone, at the pause: no
        grammar recognizer, no background listens (the shell sets it when the machine is busy:
        ``voicetour serve --full-sessions``). Slower to act and a little less accurate, for a
        fraction of the CPU (docs/measuring.md)."""
        self._last_audio_ns: int | None = None
        self._room = b""
        """The room's sound before the latest turn that had enough of it (``Turn.noise``)."""
        self._blocked: tuple[Transcribe, Callable[[], list[Event]]] | None = None
        """The quick/careful request out, and the work to redo when it is answered."""
        self._held: deque[Callable[[], list[Event]]] = deque()
        self._clock = clock
        self._offset = 0
        self._out: list[Event] = []
        """Returned at the end of the call: spans, and a request made deep inside a decision."""

    @property
    def url(self) -> str | None:
        return self.tour.url

    @url.setter
    def url(self, url: str | None) -> None:
        self.tour.url = url

    @property
    def waiting_for(self) -> Transcribe | None:
        """The ``quick`` or ``careful`` request the session holds its input for, if any."""
        return self._blocked[0] if self._blocked is not None else None

    def needs_worker(self, pcm: bytes) -> bool:
        """Whether ``feed_audio(pcm)`` may run the grammar recognizer (milliseconds: a worker
        thread's job). Otherwise it costs a few microseconds a frame (the VAD and the pause's
        steps) and the shell may call it on its event loop: the hop to a thread cost ~240 us of CPU
        a 20 ms frame here, 12 ms a second for every open conversation, most of them silent."""
        if self.current is not None and not self.current.lean:
            return True
        return not self.lean and not self.endpointer.quiet(self.framer.peek(pcm))  # a full turn may start

    @property
    def mispredictions(self) -> int:
        return self.tour.mispredictions

    # -- inputs ---------------------------------------------------------------------------

    def feed_audio(self, pcm: bytes, now: int) -> list[Event]:
        if self.closed:
            raise UsageError("feed_audio() after close()")
        if not isinstance(pcm, bytes | bytearray | memoryview):
            raise AudioError(f"audio must be bytes of PCM16, got {type(pcm).__name__}")
        self._last_audio_ns = now
        self._sync(now)
        events: list[Event] = []
        for frame in self.framer.push(bytes(pcm)):
            events += self._run(lambda f=frame: self._timed_frame(f))  # type: ignore[misc]
        return events + self._take_out()

    def feed_text(self, text: str, now: int) -> list[Event]:
        """A typed request: same intent path as speech, as if it were a final transcript."""
        if self.closed:
            raise UsageError("feed_text() after close()")
        text = text.strip()[: self.config.max_text_chars]
        self._sync(now)
        events = self._run(lambda: self._end() if self.current is not None else [])
        return events + self._run(lambda: self._typed(text)) + self._take_out()

    def feed_transcript(self, request: Transcribe, text: str | None, now: int) -> list[Event]:
        """The answer to ``request`` (the object the session returned): the verifier's words,
        ``None`` when the shell declined. Answers to requests the session no longer waits for
        (the utterance is over, more speech came) change nothing."""
        self._sync(now)
        if self._blocked is not None and request is self._blocked[0]:
            turn = self.current
            assert turn is not None
            if request.kind == "pause":  # a lean turn's pause listen, which its end waited for
                turn.asked = None
                if text is not None:
                    self._keep_pause(turn, request, text)
                elif turn.pause is not None:
                    turn.pause.declined = True  # the end listens itself
            else:
                turn.words[request.kind] = text or ""
            redo = self._blocked[1]
            self._blocked = None
            events = redo()
            while self._held and self._blocked is None:
                events += self._held.popleft()()
            return events + self._take_out()
        return self._run(lambda: self._answered(request, text)) + self._take_out()

    def next_deadline(self) -> int | None:
        """When the shell must call tick() if no audio arrives (ns), or None."""
        if self.current is None or self._last_audio_ns is None or self._blocked is not None:
            return None
        return self._last_audio_ns + self.config.stall_ms * 1_000_000

    def tick(self, now: int) -> list[Event]:
        deadline = self.next_deadline()
        if deadline is None or now < deadline:
            return []
        self._sync(now)
        return self._end() + self._take_out()

    def close(self, now: int) -> list[Event]:
        """End the session; an utterance in progress is finished, not dropped (after any listen it
        needs: answer the requests this returns)."""
        self._sync(now)
        if self.closed:
            return []
        self.closed = True
        tail = self.framer.flush()
        events = self._run(lambda: self._frame(tail)) if tail is not None else []
        return events + self._run(lambda: self._end() if self.current is not None else []) + self._take_out()

    def detach(self, now: int) -> list[Event]:
        """The client went away but may come back (a full page load after a navigation): finish
        the utterance in progress without closing the session. One that already went to a page
        keeps it (its audio was cut by the navigation itself, so its tail cannot contradict it);
        one that had not is decided on what was heard."""
        self._sync(now)
        self.framer = Framer()  # a half frame from the old connection must not join the new audio
        return self._run(self._detach) + self._take_out()

    def _detach(self) -> list[Event]:
        turn = self.current
        if turn is None or turn.committed is None:
            return self._end() if turn is not None else []
        self._close_turn()
        if not turn.lean:
            self.recognizer.finish()
        return self._conclude(turn, (turn.partial, "grammar"), keep=True)

    # -- holding inputs while a decision waits for words ------------------------------------

    def _run(self, work: Callable[[], list[Event]]) -> list[Event]:
        if self._blocked is not None:
            self._held.append(work)
            return []
        return work()

    def _listen(self, kind: ListenKind, hint: str = "") -> str | None:
        """The verifier's words for all the speech so far: known, or asked for (None); ``hint``
        goes with the request (``Transcribe.hint``)."""
        turn = self.current
        assert turn is not None
        if kind in turn.words:
            return turn.words[kind]
        asked = turn.asked
        if kind == "quick" and turn.lean and asked is not None and self.wants(asked):
            self._blocked = (asked, self._redo)  # a lean turn's pause listen, on its way, hears all the
            return None  # speech there is: wait for it rather than listen twice
        if kind == "quick":
            early, careful = turn.words.get("pause"), turn.words.get("careful")
            if early is not None and (self.config.listen.doubt_carefully or self._trusted_early(early)):
                return early  # words for all the speech (not trusted: heard again carefully, ``_doubted``)
            sounds = self.engine.sounds
            if careful is not None and self._names(careful) and (
                    not turn.careful_hint or hinted_alike(turn.heard_text, careful, sounds, EARLY_HINTED_ALIKE)):
                return careful  # heard carefully at once (``_troubled``), and not the hint's words parroted;
                # careful words that name nothing are heard again quickly: in noise a careful listen may
                # hear worse ("Open the save." where a quick one heard "open the settings"; "Let's roll
                # that." where it heard "Scroll up."). Not skipped when they sound like the grammar's
                # words: "Let's roll that." sounds just like the grammar's "a role" (the Team page)
            if careful is None and self._troubled(turn):
                kind, hint = "careful", self._grammar_hint(turn)
        if kind == "careful":
            turn.careful_hint = hint
        pcm = turn.speech(self.config.listen.tail_ms)
        thorough = kind == "careful"
        request = Transcribe(self.turn, self.audio_ms, kind, self.audio_ms, pcm, hint, thorough=thorough,
                             focus=self._focus(turn) if thorough else (), noise=turn.noise)
        self._blocked = (request, self._redo)
        self._out.append(request)
        return None

    def _redo(self) -> list[Event]:
        """Whatever waited for words, again: the turn's end, or the pause's steps."""
        turn = self.current
        if turn is not None and turn.final is not None:
            return self._end()
        return self._walk() if turn is not None and turn.pause is not None else []

    def _choose(self, grammar_text: str, careful: bool) -> Choice | None:
        if self.engine.verifier is None:
            return grammar_text, "grammar"
        turn = self.current
        doubted = turn is not None and self._doubted(turn)
        return choose(grammar_text, self._listen, self.engine.ranker, self.config.policy, careful, self.engine.sounds,
                      doubted=doubted)

    # -- instrumentation ------------------------------------------------------------------

    def _sync(self, now: int) -> None:
        if self._clock is not None:
            self._offset = now - self._clock()

    def _t(self) -> int:
        return self._clock() + self._offset if self._clock is not None else 0

    def _span(self, name: str, start_ns: int, detail: str = "") -> None:
        if self._clock is not None:
            self._out.append(Span(self.turn, self.audio_ms, name, start_ns, self._t(), detail))

    def _take_out(self) -> list[Event]:
        spans, self._out = self._out, []
        return spans

    # -- audio path -----------------------------------------------------------------------

    def _at(self) -> At:
        return self.turn, self.audio_ms

    def _timed_frame(self, frame: bytes) -> list[Event]:
        t0, listening = self._t(), self.current is not None
        events = self._frame(frame)
        if listening or self.current is not None:
            self._span("frame", t0)
        return events

    def _frame(self, frame: bytes) -> list[Event]:
        self.audio_ms += FRAME_MS
        voiced, transition = self.endpointer.push(frame)
        turn = self.current
        if turn is None:
            self.preroll.append(frame)
            return self._start() if transition == "start" else []
        if voiced:
            turn.last_voiced_ms, turn.pause = self.audio_ms, None
            turn.voiced_ms += FRAME_MS
            turn.words.clear()
        elif turn.pause is None:
            turn.pause = Pause()
        turn.audio += frame
        if not turn.lean:
            turn.partial = self.recognizer.feed(frame)
        events = self._after_partial()
        if transition == "end":
            return events + self._end()
        return events + (self._walk() if turn.pause is not None else self._ask_speaking())

    def _start(self) -> list[Event]:
        self.turn += 1
        start_ms = self.audio_ms - len(self.preroll) * FRAME_MS
        room = list(self.preroll)[: -self.config.vad.start_window]  # the frames that started it hold speech
        if len(room) >= ROOM_FRAMES:
            self._room = b"".join(room)
        turn = self.current = Turn(before=self.tour.url, start_ms=start_ms, last_voiced_ms=self.audio_ms,
                                   detected_ms=self.audio_ms, lean=self.lean and self.engine.verifier is not None,
                                   noise=self._room)
        if not turn.lean:
            self.recognizer.start()
        for f in self.preroll:
            turn.audio += f
            if not turn.lean:
                turn.partial = self.recognizer.feed(f)
        self.preroll.clear()
        return [SpeechStarted(*self._at()), State(*self._at(), "hearing"), *self._after_partial()]

    # -- the end of a turn ----------------------------------------------------------------

    def _close_turn(self) -> None:
        self.current = None
        self.endpointer.reset()

    def _end(self) -> list[Event]:
        """Finish the turn: the final words (after any listen they need), then act on them."""
        turn = self.current
        assert turn is not None
        t0 = self._t()
        if turn.final is None:
            self.endpointer.reset()
            turn.final = self.recognizer.finish() if not turn.lean else ""
        chosen = self._choose(turn.final, careful=True)
        if chosen is None:
            return []  # redone when the words are in
        self._close_turn()
        self._span("finish", t0, chosen[0])
        return self._conclude(turn, chosen)

    def _conclude(self, turn: Turn, chosen: tuple[str, Source], keep: bool = False) -> list[Event]:
        text, source = chosen
        at = self._at()
        events: list[Event] = [SpeechEnded(*at, turn.last_voiced_ms), Final(*at, text, source)]
        if keep and turn.committed is not None:
            return [*events, Say(*at, reply.reply_for(turn.committed)), State(*at, "listening")]
        events.append(State(*at, "heard"))
        if turn.command is not None and control_of(text) == turn.command:
            return [*events, State(*at, "listening")]  # already done at the pause
        pages = self._spoke_enough(turn, text if source == "verifier" else "") or self._alike(turn)
        fuzzy = source not in ("grammar", "alike")
        return events + self.tour.resolve(at, text, turn.committed, turn.before, fuzzy=fuzzy, pages=pages)

    def _spoke_enough(self, turn: Turn, text: str) -> bool:
        """Whether the turn had speech enough to go to a page, at its end, on the verifier's
        ``text`` (``PolicyConfig.min_page_speech_ms``, ``min_asked_speech_ms``; not at a pause,
        where "Where is the Ed of", of "where is the editable table", showed AdminBSB's Editors)."""
        policy = self.config.policy
        return turn.spoken_ms >= policy.min_page_speech_ms or (
            turn.spoken_ms >= policy.min_asked_speech_ms and phrased(text))

    def _alike(self, turn: Turn) -> bool:
        """Whether the grammar's final words and the verifier's name the same page, neither
        guessing from similar words (or there is no verifier to ask)."""
        if self.engine.verifier is None:
            return True
        heard = turn.words.get("quick", turn.words.get("pause", turn.words.get("careful", "")))
        grammar, verifier = self._named(turn.final or "", fuzzy=False), self._named(heard, fuzzy=False)
        return grammar is not None and verifier is not None and grammar.url == verifier.url

    def _typed(self, text: str) -> list[Event]:
        self.turn += 1
        at = self._at()
        return [Final(*at, text, "typed"), *self.tour.resolve(at, text, None, None, fuzzy=True)]
