"""The session core: one conversation, no I/O, no clock.

Feed it audio with ``feed_audio(pcm, now)`` and typed requests with ``feed_text(text, now)``;
each returns the events to act on, in order. ``now`` (monotonic ns from the shell's clock) is used
only for the stalled-audio deadline: when audio stops arriving mid-utterance, the shell must call
``tick(now)`` at ``next_deadline()`` to close the utterance. All decisions use audio time, counted
from the samples received, so the same audio gives the same events however it is chunked.

While the person speaks, the returned events include ``Transcribe`` requests: the shell runs the
verifier beside the frames and answers with ``feed_transcript(turn, upto_ms, text, now)``. They
only make the session faster; a shell that never answers gets the same final decisions, later.

Instrumentation: given a ``clock`` (a callable returning monotonic ns, injected by the shell, a
fake one in tests), the session also returns ``Span`` events timing its own work on the shell's
timeline (``now`` of the call plus the clock's progress since). Without one it emits no spans.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from voicetour.asr.base import StreamingRecognizer
from voicetour.audio import FRAME_MS
from voicetour.audio.framer import Framer
from voicetour.audio.vad import Endpointer, VadConfig
from voicetour.errors import AudioError, UsageError
from voicetour.events import (
    Back,
    Cancel,
    Candidate,
    Candidates,
    Event,
    Final,
    Highlight,
    Navigate,
    Partial,
    Prerender,
    Rejected,
    Say,
    Scroll,
    Span,
    SpeechEnded,
    SpeechStarted,
    State,
    Stop,
    Transcribe,
)
from voicetour.intent.naming import Target
from voicetour.intent.ranker import Ranked
from voicetour.intent.text import control_of, words
from voicetour.session import reply
from voicetour.session.engine import Engine
from voicetour.session.policy import PolicyConfig, confident, decide

MAX_TEXT_CHARS = 500
MAX_PRERENDER = 5
"""Distinct pages in a Prerender event: the tour page keeps that many hidden, pre-rendered frames."""


@dataclass(frozen=True)
class SessionConfig:
    vad: VadConfig = field(default_factory=VadConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    prelisten_after_ms: int = 20
    """In a pause, ask the shell for the verifier's quick listen (a ``Transcribe`` of the speech
    so far) after this much silence, so that its answer is in by ``listen_after_ms``."""
    listen_after_ms: int = 60
    """Act on the verifier's quick listen after this much silence inside an utterance (when the
    shell's answer is not in yet, as soon as it is)."""
    verify_after_ms: int = 80
    """...and, when that named nothing, give it its careful listen after this much; commands
    (which cannot be taken back) are carried out here, not at the quick listen. 80 ms against
    120: fixtures 0.956 -> 0.967, quick bench p95 208 -> 189 ms; 60 ms blocked the frames on the
    careful listen too early (p95 440 ms)."""
    listen_every_ms: int = 160
    """While the person speaks, ask the shell for a background transcription (``Transcribe``)
    this often, in audio ms between requests (0: never). Whisper names the page from the words so
    far, often before the last one ends, where the grammar had nothing (see ``feed_transcript``)."""
    listen_first_ms: int = 400
    """...once the utterance holds this much audio (the pre-roll included)."""
    stall_ms: int = 600
    """Close an utterance when no audio has arrived for this long (wall time)."""


class Session:
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
        self.framer = Framer()
        self.endpointer = Endpointer(self.config.vad)
        self.preroll: deque[bytes] = deque(maxlen=self.config.vad.preroll_frames)
        self.audio_ms = 0
        self.turn = 0
        self.url: str | None = start_url
        self.history: list[str | None] = []
        self.closed = False
        self.mispredictions = 0
        self._last_audio_ns: int | None = None
        self._utt: _Utterance | None = None
        self._pending: Target | None = None
        self._clock = clock
        self._offset = 0
        self._spans: list[Event] = []

    # -- inputs ---------------------------------------------------------------------------

    def feed_audio(self, pcm: bytes, now: int) -> list[Event]:
        """Accept PCM16 little-endian mono 16 kHz bytes (any length; odd tails wait)."""
        if self.closed:
            raise UsageError("feed_audio() after close()")
        if not isinstance(pcm, bytes | bytearray | memoryview):
            raise AudioError(f"audio must be bytes of PCM16, got {type(pcm).__name__}")
        self._last_audio_ns = now
        self._sync(now)
        events: list[Event] = []
        for frame in self.framer.push(bytes(pcm)):
            t0 = self._t()
            listening = self._utt is not None
            events += self._frame(frame)
            if listening or self._utt is not None:
                self._span("frame", t0)
        return events + self._take_spans()

    def feed_text(self, text: str, now: int) -> list[Event]:
        """A typed request: same intent path as speech, as if it were a final transcript."""
        if self.closed:
            raise UsageError("feed_text() after close()")
        text = text.strip()[:MAX_TEXT_CHARS]
        self._sync(now)
        events: list[Event] = []
        if self._utt is not None:
            events += self._end_utterance()
        self.turn += 1
        events.append(Final(self.turn, self.audio_ms, text, typed=True, source="typed"))
        events += self._resolve(text, committed=None)
        return events + self._take_spans()

    def feed_transcript(self, turn: int, upto_ms: int, text: str | None, now: int) -> list[Event]:
        """The shell's answer to a ``Transcribe`` request: the verifier's words for the utterance up
        to ``upto_ms`` (``None``: the shell declined, the verifier was busy).

        A page they name is pre-rendered first; it is revealed when two answers in a row name it,
        or one does and the grammar's partial agrees. While they name a page, the grammar cannot
        commit to another one. Answers for an utterance that is over, or that the pause's own
        listen has already decided, are dropped.

        An answer to a request made in a pause is the quick listen of that pause: kept for it (see
        ``prelisten_after_ms``), and acted on at once if the pause has already reached
        ``listen_after_ms`` and was waiting for it. So is an answer asked for at the last voiced
        frame, if it can be trusted (``_trusted_early``): no need to ask again."""
        if self.closed:
            raise UsageError("feed_transcript() after close()")
        utt = self._utt
        if utt is None or turn != self.turn or utt.asked != upto_ms:
            return []
        utt.asked = None
        self._sync(now)
        if utt.asked_in_pause is not None:
            if text is not None and utt.asked_in_pause == utt.last_voiced_ms:
                utt.prelistened = (utt.last_voiced_ms, text)
            utt.asked_in_pause = None
            events = []
        else:
            if text is not None and upto_ms >= utt.last_voiced_ms and self._trusted_early(utt, text):
                utt.prelistened = (utt.last_voiced_ms, text)  # all the speech there is: the pause's too
            events = self._heard(utt, text)
        events += self._after_wait()
        if self._utt is utt:
            events += self._ask_listen()  # the pause's own listen, if it waited for this one
        return events + self._take_spans()

    def _heard(self, utt: _Utterance, text: str | None) -> list[Event]:
        """A background answer (words heard while the person spoke): prerender, maybe reveal."""
        if text is None or utt.control is not None or utt.verified == utt.last_voiced_ms:
            return []
        t0 = self._t()
        verdict, top = decide(self.engine.ranker.rank(text, fuzzy=True), self.config.policy)
        self._span("rank", t0, text)
        url = top.target.url if verdict == "accept" and top is not None and control_of(text) is None else None
        agreed = url is not None and url in (utt.heard_url, utt.top_url)
        utt.heard_url = url
        events: list[Event] = []
        if url is not None:
            events += self._prerender((url, *utt.prerendered))
        if agreed and top is not None and (utt.committed is None or utt.committed.url != url):
            if utt.committed is not None:
                self._undo_early(utt.before)
            utt.committed = top.target
            events += self._go(top.target, early=True)
        return events

    def _after_wait(self) -> list[Event]:
        """The pause's listens, if they were put off because a request was out (see ``_frame``)."""
        utt = self._utt
        if utt is None or not utt.waiting or utt.asked is not None:
            return []
        utt.waiting = False
        silence = self.endpointer.silence_ms
        events: list[Event] = []
        if silence >= self.config.listen_after_ms:
            events += self._verify_early(careful=False)
        if silence >= self.config.verify_after_ms:
            events += self._verify_early(careful=True)
        return events

    def next_deadline(self) -> int | None:
        """When the shell must call tick() if no audio arrives (ns), or None."""
        if self._utt is None or self._last_audio_ns is None:
            return None
        return self._last_audio_ns + self.config.stall_ms * 1_000_000

    def tick(self, now: int) -> list[Event]:
        deadline = self.next_deadline()
        if deadline is None or now < deadline:
            return []
        self._sync(now)
        return self._end_utterance() + self._take_spans()

    def close(self, now: int) -> list[Event]:
        """End the session; an utterance in progress is finished, not dropped."""
        events: list[Event] = []
        self._sync(now)
        if not self.closed:
            tail = self.framer.flush()
            if tail is not None:
                events += self._frame(tail)
            if self._utt is not None:
                events += self._end_utterance()
            self.closed = True
        return events + self._take_spans()

    def detach(self, now: int) -> list[Event]:
        """The client went away but may come back (a full page load after a navigation): finish
        the utterance in progress without closing the session. An utterance that already
        committed to a page keeps it (its audio was cut by the navigation itself, so its tail
        cannot contradict it); one that had not is decided on what was heard."""
        self._sync(now)
        utt = self._utt
        events: list[Event] = []
        if utt is not None and utt.committed is not None:
            self._utt = None
            self.endpointer.reset()
            self.recognizer.finish()
            t, ms = self.turn, self.audio_ms
            events += [SpeechEnded(t, ms, last_voiced_ms=utt.last_voiced_ms),
                       Final(t, ms, utt.partial, source="grammar"),
                       Say(t, ms, reply.reply_for(utt.committed)), State(t, ms, "listening")]
        elif utt is not None:
            events += self._end_utterance()
        self.framer = Framer()  # a half frame from the old connection must not join the new audio
        return events + self._take_spans()

    # -- instrumentation ------------------------------------------------------------------

    def _sync(self, now: int) -> None:
        if self._clock is not None:
            self._offset = now - self._clock()

    def _t(self) -> int:
        return self._clock() + self._offset if self._clock is not None else 0

    def _span(self, name: str, start_ns: int, detail: str = "") -> None:
        if self._clock is not None:
            self._spans.append(Span(self.turn, self.audio_ms, name, start_ns, self._t(), detail))

    def _take_spans(self) -> list[Event]:
        spans, self._spans = self._spans, []
        return spans

    # -- audio path -----------------------------------------------------------------------

    def _frame(self, frame: bytes) -> list[Event]:
        self.audio_ms += FRAME_MS
        voiced, transition = self.endpointer.push(frame)
        events: list[Event] = []
        if self._utt is None:
            self.preroll.append(frame)
            if transition == "start":
                self.turn += 1
                self._utt = _Utterance(committed=None, before=self.url)
                self.recognizer.start()
                events += [SpeechStarted(self.turn, self.audio_ms), State(self.turn, self.audio_ms, "hearing")]
                for f in self.preroll:
                    self._utt.audio += f
                    self._utt.partial = self.recognizer.feed(f)
                self._utt.start_ms = self.audio_ms - len(self.preroll) * FRAME_MS
                self.preroll.clear()
                self._utt.last_voiced_ms = self.audio_ms
                events += self._after_partial()
            return events
        utt = self._utt
        if voiced:
            utt.last_voiced_ms = self.audio_ms
            utt.voiced_ms += FRAME_MS
            utt.waiting = False
        utt.audio += frame
        utt.partial = self.recognizer.feed(frame)
        events += self._after_partial()
        if transition == "end":
            return events + self._end_utterance()
        events += self._ask_listen()
        silence = self.endpointer.silence_ms
        if silence in (self.config.listen_after_ms, self.config.verify_after_ms):
            if utt.asked is not None and utt.asked >= utt.last_voiced_ms:
                utt.waiting = True  # words for all the speech there is are on their way: this pause's listen
            else:
                events += self._verify_early(careful=silence == self.config.verify_after_ms)
        return events

    def _after_partial(self) -> list[Event]:
        utt = self._utt
        assert utt is not None
        events: list[Event] = []
        if utt.partial == utt.reported:
            return self._maybe_commit(events)
        utt.reported = utt.partial
        events.append(Partial(self.turn, self.audio_ms, utt.partial))
        t0 = self._t()
        ranked = self.engine.ranker.rank(utt.partial)
        self._span("rank", t0, utt.partial)
        utt.ranked = ranked
        top_url = ranked[0].target.url if ranked else None
        if top_url != utt.top_url:
            utt.top_url, utt.top_since_ms = top_url, self.audio_ms
        if ranked:
            events.append(Candidates(self.turn, self.audio_ms, tuple(_candidate(r) for r in ranked)))
            heard = (utt.heard_url,) if utt.heard_url is not None else ()
            events += self._prerender((*heard, *(r.target.url for r in ranked)))
        return self._maybe_commit(events)

    def _prerender(self, urls: tuple[str, ...]) -> list[Event]:
        """A Prerender of the first ``MAX_PRERENDER`` distinct ``urls``, if they changed."""
        utt = self._utt
        assert utt is not None
        distinct = tuple(dict.fromkeys(urls))[:MAX_PRERENDER]
        if distinct == utt.prerendered:
            return []
        utt.prerendered = distinct
        return [Prerender(self.turn, self.audio_ms, distinct)]

    def _ask_listen(self) -> list[Event]:
        """A ``Transcribe`` request for the shell, one at a time: every ``listen_every_ms`` while
        speech goes on, and once per pause, ``prelisten_after_ms`` into it (its quick listen)."""
        utt = self._utt
        assert utt is not None
        cfg = self.config
        if self.engine.verifier is None or utt.asked is not None or utt.control is not None:
            return []
        silence = self.endpointer.silence_ms
        if silence > 0:
            if (
                utt.voiced_ms < MIN_PAUSE_SPEECH_MS or not cfg.prelisten_after_ms or silence < cfg.prelisten_after_ms
                or silence >= cfg.listen_after_ms or utt.pause_asked == utt.last_voiced_ms
                or (utt.prelistened is not None and utt.prelistened[0] == utt.last_voiced_ms)
            ):
                return []  # once per pause: a declined one is not asked again (busy-looping on a busy model)
            utt.asked, utt.asked_in_pause = self.audio_ms, utt.last_voiced_ms
            utt.pause_asked = utt.last_voiced_ms
            return [Transcribe(self.turn, self.audio_ms, upto_ms=self.audio_ms, pcm=utt.speech(), pause=True)]
        if (
            not cfg.listen_every_ms
            or self.audio_ms - utt.start_ms < cfg.listen_first_ms
            or self.audio_ms - utt.asked_at < cfg.listen_every_ms
        ):
            return []
        utt.asked = utt.asked_at = self.audio_ms
        return [Transcribe(self.turn, self.audio_ms, upto_ms=self.audio_ms, pcm=bytes(utt.audio))]

    def _maybe_commit(self, events: list[Event]) -> list[Event]:
        utt = self._utt
        assert utt is not None
        if utt.top_url is None or (utt.committed is not None and utt.committed.url == utt.top_url):
            return events
        if utt.control is not None:  # a command was carried out: this turn navigates no more
            return events
        if utt.verified == utt.last_voiced_ms:  # the verifier decided on these words; wait for more
            return events
        if utt.heard_url is not None and utt.heard_url != utt.top_url:  # the verifier hears another page
            return events
        stable_for = self.audio_ms - utt.top_since_ms
        policy = self.config.policy
        settled = self.endpointer.silence_ms >= policy.pause_ms and stable_for >= policy.settled_ms
        if stable_for < policy.stable_ms and not settled:
            return events
        top = confident(utt.ranked, self.config.policy)
        if top is None or control_of(utt.partial) is not None:
            return events
        if utt.committed is not None:  # later words point elsewhere: correct now, not at the endpoint
            self._undo_early(utt.before)
        utt.committed = top.target
        events += self._go(top.target, early=True)
        return events

    def _end_utterance(self) -> list[Event]:
        utt = self._utt
        assert utt is not None
        self._utt = None
        self.endpointer.reset()
        t0 = self._t()
        text, source = self._final_text(self.recognizer.finish(), utt, careful=True)
        self._span("finish", t0, text)
        events: list[Event] = [
            SpeechEnded(self.turn, self.audio_ms, last_voiced_ms=utt.last_voiced_ms),
            Final(self.turn, self.audio_ms, text, source=source),
            State(self.turn, self.audio_ms, "heard"),
        ]
        if utt.control is not None and control_of(text) == utt.control:
            return [*events, State(self.turn, self.audio_ms, "listening")]  # already done at the pause
        events += self._resolve(text, committed=utt.committed, before=utt.before, fuzzy=source != "grammar")
        return events

    def _verify_early(self, careful: bool) -> list[Event]:
        """At the first pause, ask the verifier now rather than at the endpoint: if it names a
        target the grammar did not commit to, act on it before the silence timeout runs out.
        Its decision stands against the grammar's later partials until more speech arrives."""
        utt = self._utt
        assert utt is not None
        if self.engine.verifier is None or utt.voiced_ms < MIN_PAUSE_SPEECH_MS:
            return []
        if utt.committed is None and confident(utt.ranked, self.config.policy) is not None:
            return []  # the grammar is about to commit: don't hold it up with a slow transcription
        text, source = self._final_text(utt.partial, utt, careful=careful)
        command = control_of(text)
        if command is not None and not careful:
            return []  # a command cannot be taken back: wait for the longer pause
        if command is not None and utt.control is None:
            # A command said and paused after: act now, not 400 ms later at the endpoint.
            utt.control = command
            events: list[Event] = []
            if utt.committed is not None:
                self._undo_early(utt.before)
                events.append(Cancel(self.turn, self.audio_ms, url=utt.before, reason="it was a command, not a page"))
                utt.committed = None
            return events + self._control(command, done=False)
        if source != "verifier":
            return []
        verdict, top = decide(self.engine.ranker.rank(text, fuzzy=True), self.config.policy)
        if verdict != "accept" or top is None:
            return []
        utt.verified = utt.last_voiced_ms
        if utt.committed is not None:
            if utt.committed.url == top.target.url:
                return []
            self._undo_early(utt.before)
        utt.committed = top.target
        return self._go(top.target, early=True)

    def _final_text(self, grammar_text: str, utt: _Utterance, careful: bool = False) -> tuple[str, str]:
        """The transcript to act on, and where it came from ('grammar' or 'verifier').

        With ``careful`` (at the first pause and at the endpoint), when neither transcript names
        anything, the verifier gets one slower, more careful listen (~250 ms). Doing it at the
        first pause rather than the endpoint saves the rest of the silence timeout in noise, where
        the quick listen misses most; it is kept until more speech arrives.

        The verifier's words win when they name a target or a control word; when they name
        nothing but the grammar's do, the grammar's stand (the verifier mishears product words:
        "show me building"); when neither names anything, the verifier's words are the caption.
        """
        if self.engine.verifier is None:
            return grammar_text, "grammar"
        heard = self._listen(utt, thorough=False)
        verdict, top = decide(self.engine.ranker.rank(heard, fuzzy=True), self.config.policy)
        grammar_verdict, grammar_top = decide(self.engine.ranker.rank(grammar_text), self.config.policy)
        if (
            verdict == "accept" and grammar_verdict == "accept" and top and grammar_top
            and top.target.url == grammar_top.target.url and grammar_top.target.is_element
            and not top.target.is_element
        ):
            return grammar_text, "grammar"  # same page; the grammar also knows which element
        if verdict == "accept" or control_of(heard) is not None:
            return heard, "verifier"
        if grammar_verdict == "accept" or _plausible_control(grammar_text, heard):
            return grammar_text, "grammar"
        if careful:
            careful_text = self._listen(utt, thorough=True)
            careful_verdict, _ = decide(self.engine.ranker.rank(careful_text, fuzzy=True), self.config.policy)
            if careful_verdict == "accept" or control_of(careful_text) is not None:
                return careful_text, "verifier"
        if verdict == "suggest" or (grammar_verdict == "none" and heard):
            return heard, "verifier"
        return grammar_text, "grammar"

    def _listen(self, utt: _Utterance, thorough: bool) -> str:
        """The verifier's words for the utterance so far, transcribed once per amount of speech:
        it hears ``utt.speech()``, which only new voiced audio changes, not trailing silence."""
        cached = utt.listened.get(thorough)
        if cached is not None and cached[0] == utt.last_voiced_ms:
            return cached[1]
        early = utt.prelistened
        if not thorough and early is not None and early[0] == utt.last_voiced_ms and self._trusted_early(utt, early[1]):
            return early[1]
        assert self.engine.verifier is not None
        t0 = self._t()
        text = self.engine.verifier.transcribe(utt.speech(), thorough=thorough)
        self._span("verify", t0, ("thorough: " if thorough else "") + text)
        utt.listened[thorough] = (utt.last_voiced_ms, text)
        return text

    def _trusted_early(self, utt: _Utterance, text: str) -> bool:
        """Whether the pause's early listen can stand for its quick listen: it names a control
        word; or a page in the product's own words, as surely as the grammar must to commit early
        (``confident``); or a page the grammar or the words heard while speaking also name.
        Otherwise (its last word cut short: "show me the Dash"; misheard: "open the Addings",
        half of "add webhook" at 0.67) it is redone."""
        if control_of(text) is not None or confident(self.engine.ranker.rank(text), self.config.policy):
            return True
        verdict, top = decide(self.engine.ranker.rank(text, fuzzy=True), self.config.policy)
        return verdict == "accept" and top is not None and top.target.url in (utt.heard_url, utt.top_url)

    # -- decisions ------------------------------------------------------------------------

    def _resolve(
        self, text: str, committed: Target | None, before: str | None = None, fuzzy: bool = True
    ) -> list[Event]:
        """Act on a final transcript. ``fuzzy`` lets unknown words match similar known ones: right
        for typed or verifier text, wrong for grammar output (whose words are all known)."""
        t, ms = self.turn, self.audio_ms
        command = control_of(text)
        if command is not None:
            if committed is not None:  # "scroll down" misheard as a page while it was being said
                self._undo_early(before)
                return [Cancel(t, ms, url=before, reason="it was a command, not a page"), *self._control(command)]
            return self._control(command)
        ranked = self.engine.ranker.rank(text, fuzzy=fuzzy)
        verdict, top = decide(ranked, self.config.policy)
        events: list[Event] = []
        if verdict == "accept" and top is not None:
            target = top.target
            if committed is None or committed.url != target.url:
                if committed is not None:
                    self._undo_early(before)
                events += self._go(target, early=False)
            elif target.selector and target.selector != committed.selector:
                events.append(Highlight(t, ms, target.selector, target.label))
            events.append(Say(t, ms, reply.reply_for(target)))
            events.append(State(t, ms, "listening"))
            return events
        if committed is not None:  # the early guess did not survive the final words
            self._undo_early(before)
            events.append(Cancel(t, ms, url=before, reason="the final words did not confirm it"))
        if verdict == "suggest" and top is not None:
            self._pending = top.target
            events.append(Say(t, ms, reply.suggestion(top.target)))
        else:
            events.append(Rejected(t, ms, text, reason="no page of this product matches"))
            events.append(Say(t, ms, reply.out_of_domain(self.engine.site.name)))
        events.append(State(t, ms, "listening"))
        return events

    def _undo_early(self, before: str | None) -> None:
        """Forget an early navigation the final words contradicted (counted as a misprediction)."""
        self.mispredictions += 1
        self.url = before
        if self.history:
            self.history.pop()

    def _go(self, target: Target, early: bool) -> list[Event]:
        t, ms = self.turn, self.audio_ms
        events: list[Event] = [State(t, ms, "acting")]
        if target.url != self.url:
            self.history.append(self.url)
            self.url = target.url
        events.append(Navigate(t, ms, target.url, target.id, early=early))
        if target.selector:
            events.append(Highlight(t, ms, target.selector, target.label))
        return events

    def _control(self, command: str, done: bool = True) -> list[Event]:
        """Carry out a control word; ``done``: the turn is over (say so with State 'listening')."""
        t, ms = self.turn, self.audio_ms
        events: list[Event] = []
        if command == "back":
            if self.history:
                self.url = self.history.pop()
                events += [Back(t, ms, self.url), Say(t, ms, "Going back.")]
            else:
                events.append(Say(t, ms, "There is no previous page."))
        elif command == "stop":
            self._pending = None
            events.append(Stop(t, ms))
        elif command in ("scroll_down", "scroll_up"):
            events.append(Scroll(t, ms, command.removeprefix("scroll_")))
        elif command == "yes" and self._pending is not None:
            target, self._pending = self._pending, None
            events += self._go(target, early=False)
            events.append(Say(t, ms, reply.reply_for(target)))
        elif command == "no" and self._pending is not None:
            self._pending = None
            events.append(Say(t, ms, "OK. Tell me which page you want."))
        else:
            events.append(Say(t, ms, "OK."))
        if done:
            events.append(State(t, ms, "listening"))
        return events


def _plausible_control(grammar_text: str, heard: str) -> bool:
    """A control word from the grammar, unless the verifier heard a longer sentence: in noise the
    grammar's shortest path is often a lone "no" for words it could not match."""
    return control_of(grammar_text) is not None and len(words(heard)) <= len(words(grammar_text)) + 1


def _candidate(r: Ranked) -> Candidate:
    return Candidate(r.target.id, r.target.url, r.score, r.target.selector)


SPEECH_TAIL_MS = 200
"""Audio kept after the last voiced frame when the verifier listens."""

MIN_PAUSE_SPEECH_MS = 200
"""Voiced audio an utterance needs before a pause is decided on: whisper makes words of a short
clip of noise ("Go back." from 100 ms of a 20 dB room at the start of "how do I invite a
teammate", which then carried out the command and blocked the request until the endpoint)."""


@dataclass
class _Utterance:
    committed: Target | None
    before: str | None
    partial: str = ""
    reported: str = ""
    ranked: list[Ranked] = field(default_factory=list)
    top_url: str | None = None
    top_since_ms: int = 0
    prerendered: tuple[str, ...] = ()
    last_voiced_ms: int = 0
    voiced_ms: int = 0
    """Voiced audio so far (the pre-roll's not counted)."""
    start_ms: int = 0
    """Audio time of the first sample in ``audio`` (the pre-roll included)."""
    audio: bytearray = field(default_factory=bytearray)
    listened: dict[bool, tuple[int, str]] = field(default_factory=dict)
    """thorough? -> (last_voiced_ms it was taken at, the verifier's transcript)."""
    control: str | None = None
    """A control word already carried out at the first pause."""
    verified: int | None = None
    """``last_voiced_ms`` when the verifier named the page committed to (at a pause)."""
    asked: int | None = None
    """``upto_ms`` of the Transcribe request awaiting its answer."""
    asked_at: int = 0
    asked_in_pause: int | None = None
    """``last_voiced_ms`` of the pause whose quick listen the awaited request is (None: asked
    while speech went on)."""
    pause_asked: int | None = None
    """``last_voiced_ms`` of the last pause asked about (answered or declined)."""
    prelistened: tuple[int, str] | None = None
    """(last_voiced_ms, transcript) of the pause's early quick listen, on a shorter tail (see
    ``SessionConfig.prelisten_after_ms``): used if ``Session._trusted_early``, heard again if not."""
    waiting: bool = False
    """The pause's listens are put off until the awaited answer is in."""
    heard_url: str | None = None
    """The page the latest background transcription named (None: none)."""

    def speech(self) -> bytes:
        """The utterance up to its last voiced frame plus ``SPEECH_TAIL_MS`` (or as much of that
        tail as has arrived: at the 60 ms pause, 60 ms). Its transcript is kept per last voiced
        frame, so the endpoint reuses the pause's instead of hearing the silence that followed."""
        end = (self.last_voiced_ms + SPEECH_TAIL_MS - self.start_ms) * 32
        return bytes(self.audio[: max(0, end)])
