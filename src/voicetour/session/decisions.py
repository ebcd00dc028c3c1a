"""The decisions inside a turn: ranking each partial, committing early, and everything the core
does with the verifier's words (background listens, the pause's steps). Mixed into ``Session``
(session/core.py), whose state it reads and changes; the attributes it needs are declared below.
"""

from __future__ import annotations

from collections.abc import Callable

from voicetour.audio.vad import Endpointer
from voicetour.events import Candidate, Candidates, Event, ListenKind, Partial, Prerender, Transcribe
from voicetour.intent.naming import Target
from voicetour.intent.ranker import Ranked
from voicetour.intent.text import content_stems, control_of
from voicetour.session.choose import Choice, careful_hint, focus_names, hinted_alike
from voicetour.session.config import SessionConfig
from voicetour.session.engine import Engine
from voicetour.session.listening import Step
from voicetour.session.policy import confident, decide
from voicetour.session.tour import At, Tour
from voicetour.session.turn import Pause, Turn


class TurnDecisions:
    engine: Engine
    tour: Tour
    endpointer: Endpointer
    current: Turn | None
    turn: int
    audio_ms: int
    steps: tuple[tuple[int, Step], ...]
    _at: Callable[[], At]
    _t: Callable[[], int]
    _span: Callable[..., None]
    _choose: Callable[[str, bool], Choice | None]
    _listen: Callable[[ListenKind, str], str | None]
    _out: list[Event]

    config: SessionConfig

    def _after_partial(self) -> list[Event]:
        turn = self.current
        assert turn is not None
        if turn.partial == turn.reported:
            return self._maybe_commit()
        turn.reported = turn.partial
        events: list[Event] = [Partial(*self._at(), turn.partial)]
        t0 = self._t()
        turn.ranked = self.engine.ranker.rank(turn.partial)
        self._span("rank", t0, turn.partial)
        top_url = turn.ranked[0].target.url if turn.ranked else None
        if top_url != turn.top_url:
            turn.top_url, turn.top_since_ms = top_url, self.audio_ms
        if turn.ranked:
            items = tuple(Candidate(r.target.id, r.target.url, r.score, r.target.selector) for r in turn.ranked)
            events.append(Candidates(*self._at(), items))
            heard = (turn.heard_url,) if turn.heard_url is not None else ()
            events += self._prerender((*heard, *(r.target.url for r in turn.ranked)))
        return events + self._maybe_commit()

    def _prerender(self, urls: tuple[str, ...]) -> list[Event]:
        """A Prerender of the first ``max_prerender`` distinct ``urls``, if they changed."""
        turn = self.current
        assert turn is not None
        distinct = tuple(dict.fromkeys(urls))[: self.config.max_prerender]
        if distinct == turn.prerendered:
            return []
        turn.prerendered = distinct
        return [Prerender(*self._at(), distinct)]

    def _maybe_commit(self) -> list[Event]:
        """Go to the grammar's top page early, once it has been on top long enough and sure enough."""
        turn = self.current
        assert turn is not None
        if turn.top_url is None or (turn.committed is not None and turn.committed.url == turn.top_url):
            return []
        if turn.command is not None or (turn.pause is not None and turn.pause.decided is not None):
            return []  # a command was carried out / the verifier decided on these words: wait for more
        if turn.heard_url is not None and turn.heard_url != turn.top_url:  # the verifier hears another page
            return []
        if turn.heard_other >= 2 and turn.pause is not None and not turn.words:
            return []  # in a pause, until words for all the speech are in (then _heard_otherwise decides): the
            # verifier's last words named nothing, twice ("Snowboard!", "Snowboy!"; the grammar's "see all add
            # hook"); once is often a word cut short ("How can I change?")
        policy = self.config.policy
        if not self._enough(turn):
            return []  # too little speech to show a page for while it goes on
        stable_for = self.audio_ms - turn.top_since_ms
        settled = self.endpointer.silence_ms >= policy.pause_ms and stable_for >= policy.settled_ms
        top = confident(turn.ranked, policy)
        if (stable_for < policy.stable_ms and not settled) or top is None or control_of(turn.partial) is not None:
            return []
        if turn.heard_url is None and self._needs_both(turn):
            return []  # the verifier has not named this page yet
        if policy.early_unlike and turn.heard_other and self._unlike(turn):
            return []  # the verifier's last words name nothing and sound nothing like the grammar's:
            # real coffee orders, "I'd like a single shot" where the grammar had "i'd like to an filter coffee"
        if self._may_go_on(turn.partial, top.target):
            return []  # "open the form" may yet be "open the form wizard": wait for a pause
        if self._heard_otherwise(turn):  # last: it ranks the verifier's words, and this runs every frame
            return []  # the verifier heard all the speech and not this page
        return self._switch(turn, top.target)

    def _needs_both(self, turn: Turn) -> bool:
        """Whether the grammar's page waits for the verifier to name it too before it is shown:
        unless the grammar's words name it in ``strong_words`` of its words or more, which it did
        not make up from noise or a word that sounded alike."""
        policy = self.config.policy
        if not policy.early_needs_both or self.engine.verifier is None:
            return False
        if not turn.ranked:
            return True
        return self.engine.ranker.words_named(turn.partial, turn.ranked[0].target) < policy.strong_words

    def _unlike(self, turn: Turn) -> bool:
        """Whether the latest background words sound nothing like the start of the grammar's."""
        alike = self.engine.sounds.alike(turn.partial, turn.heard_text, start=True)
        return alike < self.config.policy.alike_score

    def _heard_otherwise(self, turn: Turn) -> bool:
        """Whether the verifier's listen of all the speech so far names another page or none:
        the end decides on those words, so a page the grammar shows now would be taken back
        ("snowboy": the pause's listen heard "Snowboy", then the grammar's "see all add hook",
        two of the product's words, showed a page in the silence that followed)."""
        heard = turn.words.get("careful", turn.words.get("quick", turn.words.get("pause")))
        if heard is None:
            return False
        named = self._named(heard)
        return named is None or named.url != turn.top_url

    def _named(self, text: str, fuzzy: bool = True) -> Target | None:
        """The target ``text`` names, if the policy accepts it (``decide``); when the agent has
        asked which of two pages, the one it answers with."""
        picked = self.tour.pick(text)
        if picked is not None:
            return picked
        verdict, top = decide(self.engine.ranker.rank(text, fuzzy=fuzzy), self.config.policy)
        return top.target if verdict == "accept" and top is not None else None

    def _names(self, text: str) -> bool:
        """Whether ``text`` names a target or a control word."""
        return control_of(text) is not None or self._named(text) is not None

    def _enough(self, turn: Turn) -> bool:
        """Whether there has been enough speech to show a page before the person pauses."""
        return turn.spoken_ms >= self.config.policy.min_early_speech_ms

    def _switch(self, turn: Turn, target: Target) -> list[Event]:
        """Go to ``target`` early, undoing an early page it replaces."""
        if turn.committed is not None:
            self.tour.undo(turn.before)
        turn.committed = target
        return self.tour.go(self._at(), target, early=True)

    # -- listening ------------------------------------------------------------------------

    def _ask_speaking(self) -> list[Event]:
        turn = self.current
        assert turn is not None
        if self.engine.verifier is None or turn.asked is not None or turn.command is not None or turn.lean:
            return []
        if not self.config.listen.speaking_due(self.audio_ms - turn.start_ms, self.audio_ms - turn.asked_at):
            return []
        if self.config.listen.settle and self._settled(turn):
            return []
        turn.asked_at = self.audio_ms
        turn.asked = Transcribe(*self._at(), "speaking", self.audio_ms, bytes(turn.audio), noise=turn.noise)
        return [turn.asked]

    @staticmethod
    def _settled(turn: Turn) -> bool:
        """Whether the page shown is the one the verifier's last words named, and the grammar's
        words name no other page."""
        shown = turn.committed
        return shown is not None and turn.heard_url == shown.url and turn.top_url in (None, shown.url)

    def _walk(self) -> list[Event]:
        """Take the pause's steps whose time has come, in order, until one must wait."""
        turn = self.current
        assert turn is not None and turn.pause is not None
        pause, events = turn.pause, []
        while pause.step < len(self.steps) and self.endpointer.silence_ms >= self.steps[pause.step][0]:
            done = self._step(turn, pause, self.steps[pause.step][1])
            if done is None:
                break
            events += done
            pause.step += 1
        return events

    def _step(self, turn: Turn, pause: Pause, step: Step) -> list[Event] | None:
        """One pause step: its events, or None when it must wait (for an answer on its way)."""
        cfg = self.config.listen
        if self.engine.verifier is None or turn.voiced_ms < cfg.min_speech_ms:
            return []
        if step == "ask":
            if turn.command is not None or "pause" in turn.words or "careful" in turn.words:
                return []  # no more listening after a command; the words for this pause are in
            if turn.lean:
                return self._ask_lean(turn, pause)
            if turn.asked is not None:  # one request at a time; too late once QUICK is due
                return [] if self.endpointer.silence_ms >= cfg.quick_ms else None
            thorough = self._troubled(turn)
            hint = self._grammar_hint(turn) if thorough else ""
            turn.asked = pause.asked = Transcribe(*self._at(), "pause", self.audio_ms, turn.speech(cfg.tail_ms),
                                                  hint, thorough=thorough, focus=self._focus(turn) if thorough else (),
                                                  noise=turn.noise)
            return [turn.asked]
        if turn.asked is not None and cfg.covers(turn.asked.upto_ms, turn.last_voiced_ms):
            return self._until_deadline(turn, pause)  # words for all the speech are on their way
        return self._decide_pause(turn, pause, careful=step == "careful")

    def _ask_lean(self, turn: Turn, pause: Pause) -> list[Event] | None:
        """A lean turn's ASK step, which it does not leave until the pause's words are in (the
        turn has no other words: its QUICK step never listens itself). At ``lean_try_ms`` a listen the
        shell may decline (it runs only if the model has a worker to spare); declined, one that
        waits for the model (``Transcribe.wait``) at ``lean_ask_ms``: a pause inside a sentence
        is mostly over by then, so a busy machine spends no listen on it."""
        if turn.asked is not None:
            return None  # on its way (or an earlier pause's, about to be skipped): wait
        cfg = self.config.listen
        wait = pause.declined or not cfg.lean_try_ms
        if self.endpointer.silence_ms < (cfg.lean_ask_ms if wait else cfg.lean_try_ms):
            return None
        turn.asked = pause.asked = Transcribe(*self._at(), "pause", self.audio_ms,
                                              turn.speech(cfg.tail_ms), wait=wait, noise=turn.noise)
        self._out.append(turn.asked)
        return None

    def _sure(self, turn: Turn) -> Ranked | None:
        """The grammar's page, when it is sure enough to be shown without the verifier's words
        (a confident top, enough speech, nothing shown yet) and the verifier's last words name no
        other page: piper's "show me the data tables" was the grammar's "show me the basic page
        please" (Basic cards) while whisper, in the background, heard "Show me the data tables";
        the pause waited for the grammar, which showed Basic cards at the deadline."""
        if turn.committed is not None or not self._enough(turn):
            return None
        top = confident(turn.ranked, self.config.policy)
        return top if top is not None and turn.heard_url in (None, top.target.url) else None

    def _decide_pause(self, turn: Turn, pause: Pause, careful: bool) -> list[Event] | None:
        """At a pause, act on the verifier's words rather than wait for the endpoint: a page the
        grammar did not commit to, or (careful step only) a command."""
        if self._sure(turn) is not None and not self._needs_both(turn) and not self._heard_otherwise(turn):
            return []  # the grammar is about to commit: don't hold it up with a slow transcription
        if not careful and self._doubted(turn):
            return []  # words for all the speech, not to be acted on as they are: the careful step hears them again
        chosen = self._choose(turn.partial, careful)
        if chosen is None:
            return None
        text, source = chosen
        command = control_of(text)
        if command is not None and not careful:
            return []  # a command cannot be taken back: wait for the longer pause
        if command is not None and turn.command is None:  # said and paused after: act now
            turn.command = command
            events: list[Event] = []
            if turn.committed is not None:
                events.append(self.tour.cancel(self._at(), turn.before, "it was a command, not a page"))
                turn.committed = None
            return events + self.tour.command(self._at(), command, done=False)
        named = self._named(text)
        if source == "grammar" or named is None:
            return []
        if self._may_go_on(text, named):
            return None  # the start of another page's name: wait for a longer pause, or more words
        if not self._whole(text, named, turn):
            if named.is_element or not self.engine.ranker.says_most(text, named):
                again = self._whole_again(turn, text, named) if careful else False
                if not again:  # part of a name, at a pause the person may speak on from ("I have a question,"
                    return None if again is None else []  # heard "I can request": the Request new password
                    # control): the end decides, unless a careful listen hears the name whole
            elif self.endpointer.silence_ms < self.config.policy.ahead_ms:
                return None  # most of a page's name ("Jummy the Datatables": Jquery Datatables): shown after
                # a longer pause than a speaker makes inside a sentence, not at the end (400 ms)
        if turn.spoken_ms < self.config.policy.min_page_speech_ms and named not in (self.tour.choices or ()):
            return []  # too little speech to go to a page at a pause (unless it answers the question): the end decides
        pause.decided = named
        if turn.committed is not None and turn.committed.url == named.url:
            return []
        return self._switch(turn, named)

    def _whole_again(self, turn: Turn, text: str, named: Target) -> bool | None:
        """Whether a careful listen hears the target that ``text`` names only in part, whole
        (``ListenConfig.careful_partial``; None: its words are on their way). At the CAREFUL step
        that target is then gone to at once rather than at the end, which goes there on the quick
        words anyway ("Show Me Mavic Form Elements", then "Show me the basic form elements.";
        espeak-ng, AdminBSB: 385 ms after the speech ended). Careful words naming another target,
        or the same one in part again, leave it to the end."""
        if not self.config.listen.careful_partial:
            return False
        again = self._listen("careful", self._grammar_hint(turn))
        if again is None:
            return None
        if again == text or turn.careful_hint and not hinted_alike(text, again, self.engine.sounds):
            return False
        return self._named(again) == named and self._whole(again, named, turn)

    def _until_deadline(self, turn: Turn, pause: Pause) -> list[Event] | None:
        """Wait for the verifier's words on their way (the frames go on), but when the grammar is
        sure of a page, only until ``deadline_ms`` of silence: then its page is shown without them
        (they may still correct it). A decision never waits long on one whisper run: on a busy
        machine one took 300-450 ms."""
        sure = self._sure(turn)
        if sure is None or not self._needs_both(turn) or self.endpointer.silence_ms < self.config.listen.deadline_ms:
            return None
        if turn.heard_other:
            return None  # the verifier's last words, heard while speaking, name nothing: wait for its words
        pause.decided = sure.target
        return self._switch(turn, sure.target)

    def _answered(self, request: Transcribe, text: str | None) -> list[Event]:
        """A background or pause listen came back: keep its words, prerender or reveal what they
        name, then take what waited for them."""
        turn = self.current
        if turn is None or request is not turn.asked:
            return []
        turn.asked = None
        events: list[Event] = []
        if request.kind == "pause":
            if turn.pause is not None and request is turn.pause.asked:
                if text is not None:
                    self._keep_pause(turn, request, text)
                else:
                    turn.pause.declined = True
        else:
            covers = self.config.listen.covers(request.upto_ms, turn.last_voiced_ms)
            if text is not None and covers and (request.upto_ms >= turn.last_voiced_ms or self._trusted_early(text)):
                turn.words["pause"] = text  # all the speech there is: it serves as the pause's listen (not
                # trusted as they are, words of audio that stopped short of the last voiced frame are heard again)
            events += self._heard(turn, text)
        return events + (self._walk() if turn.pause is not None else self._ask_speaking())

    @staticmethod
    def _keep_pause(turn: Turn, request: Transcribe, text: str) -> None:
        """The words of the pause's own listen, for the steps after it."""
        if request.thorough:  # heard as carefully as the CAREFUL step would (``_listen``)
            turn.words["careful"], turn.careful_hint = text, request.hint
        else:
            turn.words["pause"] = text

    def wants(self, request: Transcribe) -> bool:
        """Whether an answer to ``request`` would still be used: the turn it was asked in goes
        on, and a pause listen's pause too (no speech since). A shell may call this from the
        thread about to run the listen (it only reads)."""
        turn = self.current
        if turn is None or request.turn != self.turn:
            return False
        if request.kind != "pause":
            return True
        pause = turn.pause
        return pause is not None and pause.asked is request

    def _heard(self, turn: Turn, text: str | None) -> list[Event]:
        """Words heard while the person spoke: a page they name is pre-rendered first; it is
        revealed when two answers in a row name it, or one does and the grammar's partial agrees.
        While they name a page, the grammar cannot commit to another one."""
        if text is None or turn.command is not None or (turn.pause is not None and turn.pause.decided is not None):
            return []
        t0 = self._t()
        named = self._named(text)
        self._span("rank", t0, text)
        url = named.url if named is not None and control_of(text) is None else None
        agreed = url is not None and (url == turn.top_url or url == turn.heard_url and self._whole(text, named, turn)
                                      and not self._lone_control(text, named))
        turn.heard_url, turn.heard_text = url, text
        turn.heard_other = turn.heard_other + 1 if url is None and content_stems(text) else 0
        events = self._prerender((url, *turn.prerendered)) if url is not None else []
        shown = turn.committed is not None and turn.committed.url == url
        if agreed and self._enough(turn) and named is not None and not shown and not self._may_go_on(text, named):
            events += self._switch(turn, named)
        return events

    def _whole(self, text: str, target: Target | None, turn: Turn) -> bool:
        """Whether ``text`` names ``target`` whole, or the grammar's words name its page too."""
        assert target is not None
        return target.url == turn.top_url or self.engine.ranker.says_whole(text, target)

    def _lone_control(self, text: str, target: Target | None) -> bool:
        """Whether ``text`` names a control by fewer than ``strong_words`` words: heard twice
        while the person speaks, and the grammar naming something else, it waits for a pause
        (whisper heard the start of "show me the icons" as "Show me the right" twice, the Right
        button of the Buttons page: AdminLTE 3, espeak-ng)."""
        assert target is not None
        return target.is_element and self.engine.ranker.words_named(text, target) < self.config.policy.strong_words

    def _may_go_on(self, text: str, target: Target) -> bool:
        """Whether the person may still be speaking (``policy.ahead_ms``) and their words so far
        begin another page's name."""
        return self.endpointer.silence_ms < self.config.policy.ahead_ms and self.engine.ranker.continues(text, target)

    def _grammar_hint(self, turn: Turn) -> str:
        """What a careful listen of ``turn`` reads last: the grammar's page (``choose.careful_hint``),
        from its final words once they are in, its last partial until then."""
        return careful_hint(turn.final or turn.partial, self.engine.ranker, self.config.policy)

    def _focus(self, turn: Turn) -> tuple[str, ...]:
        """What a careful listen reads instead of all the product's words (``ListenConfig.focus_careful``):
        the likeliest targets of the grammar's words and of the verifier's so far."""
        if not self.config.listen.focus_careful:
            return ()
        heard = turn.words.get("quick", turn.words.get("pause", ""))
        return focus_names((turn.final or turn.partial, turn.heard_text, heard), self.engine.ranker)

    def _troubled(self, turn: Turn) -> bool:
        """Whether the words for all the speech are to be heard carefully at once, not quickly
        first (``ListenConfig.careful_pause``): the last words heard while speaking named nothing."""
        return self.config.listen.careful_pause and turn.heard_other > 0

    def _doubted(self, turn: Turn) -> bool:
        """Whether the verifier's words for all the speech so far are an early answer (the pause's
        own listen, or a background one that covered the last voiced frame) not trusted as they
        are (``_trusted_early``): they are then heard again, carefully, at the CAREFUL step, and
        not quickly first. A quick listen of the same audio mostly said the same again ("Show Me,
        La Nash, Board" twice, then the careful listen's "Show me the Dashboard"): AdminBSB's
        slowest requests took three whisper runs after the speech ended."""
        early = turn.words.get("pause")
        return (self.config.listen.doubt_carefully and "quick" not in turn.words and early is not None
                and not self._trusted_early(early))

    def _trusted_early(self, text: str) -> bool:
        """Whether an early answer can stand for the pause's quick listen: it names a control
        word; or a page in the product's own words, as surely as the grammar must to commit early
        (``confident``); or a page the grammar or the words heard while speaking also name.
        Otherwise (its last word cut short: "show me the Dash"; misheard: "open the Addings") it
        is heard again, carefully (``_doubted``)."""
        turn = self.current
        assert turn is not None
        if control_of(text) is not None or confident(self.engine.ranker.rank(text), self.config.policy):
            return True
        named = self._named(text)
        return named is not None and named.url in (turn.heard_url, turn.top_url)

