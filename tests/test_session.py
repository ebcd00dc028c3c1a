"""The core driven frame by frame with a fake clock and a scripted recognizer."""

from __future__ import annotations

from collections.abc import Callable

from voicetour.asr.fake import ScriptedRecognizer, ScriptedVerifier, answer_requests
from voicetour.audio.vad import Endpointer, rms
from voicetour.audio.wav import read_wav
from voicetour.evaluate import last_voiced_ms
from voicetour.events import (
    Back,
    Cancel,
    Final,
    Highlight,
    Navigate,
    Partial,
    Prerender,
    Rejected,
    Say,
    Scroll,
    SpeechEnded,
    SpeechStarted,
    Transcribe,
)
from voicetour.session import Session, SessionConfig
from voicetour.session.engine import Engine
from voicetour.session.listening import ListenConfig
from voicetour.session.policy import PolicyConfig
from voicetour.site.model import parse_site

from .conftest import SPEECH

FRAME = 640
MS = 1_000_000


def run(session: Session, pcm: bytes, start_ns: int = 0) -> list:  # type: ignore[type-arg]
    """Feed ``pcm`` frame by frame; the session's quick and careful listens are answered at once
    by its engine's verifier, background ones never."""
    events = []
    for i in range(0, len(pcm), FRAME):
        now = start_ns + (i // FRAME) * 20 * MS
        out = session.feed_audio(pcm[i : i + FRAME], now)
        events += answer_requests(session.feed_transcript, out, session.engine.verifier, now)
    return events


EAGER = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0, early_needs_both=False))
"""For tests of the commit and correction mechanics on a short scripted utterance: no minimum of
speech before a page is shown, and the grammar alone may show one (those rules have tests of their
own)."""


def speech() -> bytes:
    return read_wav(SPEECH / "piper-00.wav") + b"\x00" * 32 * 800


def test_early_commit_exactly_stable_ms_after_the_partial(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    rec = ScriptedRecognizer({25: "show", 30: "show me", 40: "show me billing"}, final="show me billing")
    s = Session(grammar_engine, recognizer=rec, config=EAGER)
    events = run(s, speech())
    part = next(e for e in events if isinstance(e, Partial) and e.text == "show me billing")
    nav = [e for e in events if isinstance(e, Navigate)]
    assert len(nav) == 1 and nav[0].url == "/billing.html" and nav[0].early
    policy = s.config.policy
    # Expected: stable for stable_ms, or settled_ms once the speaker has paused for pause_ms.
    ep, silence_at = Endpointer(s.config.vad), {}
    pcm = speech()
    for i in range(0, len(pcm), FRAME):
        ep.push(pcm[i : i + FRAME])
        silence_at[(i // FRAME + 1) * 20] = ep.silence_ms
    first = part.audio_ms + policy.settled_ms
    settled = min(t for t, sil in silence_at.items() if t >= first and sil >= policy.pause_ms)
    assert nav[0].audio_ms == min(part.audio_ms + policy.stable_ms, settled)
    final = next(e for e in events if isinstance(e, Final))
    assert nav[0].audio_ms < final.audio_ms  # acted before the endpoint
    assert any(isinstance(e, Say) and "Billing" in e.text for e in events)
    assert s.url == "/billing.html"


def test_wrong_early_guess_is_corrected(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    rec = ScriptedRecognizer({25: "show me billing"}, final="show me the team")
    s = Session(grammar_engine, recognizer=rec, start_url="/index.html", config=EAGER)
    events = run(s, speech())
    navs = [e.url for e in events if isinstance(e, Navigate)]
    assert navs == ["/billing.html", "/team.html"]
    assert s.url == "/team.html" and s.mispredictions == 1


def test_out_of_domain_final_cancels_and_says_so(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    rec = ScriptedRecognizer({25: "show me billing"}, final="what weather today")
    s = Session(grammar_engine, recognizer=rec, start_url="/index.html", config=EAGER)
    events = run(s, speech())
    cancel = [e for e in events if isinstance(e, Cancel)]
    assert cancel and cancel[0].url == "/index.html"
    assert any(isinstance(e, Rejected) for e in events)
    assert any(isinstance(e, Say) and "only help" in e.text for e in events)
    assert s.url == "/index.html"


def test_no_navigation_for_garbage(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    rec = ScriptedRecognizer({20: "what", 40: "what weather"}, final="what weather today")
    s = Session(grammar_engine, recognizer=rec)
    events = run(s, speech())
    assert not [e for e in events if isinstance(e, Navigate | Cancel)]
    assert s.url is None


def test_typed_request_takes_the_same_path(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    s = Session(grammar_engine, recognizer=ScriptedRecognizer({}, final=""))
    events = s.feed_text("how do I invite a teammate", 0)
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/team.html"]
    assert any(getattr(e, "selector", None) == "#invite" for e in events)


def test_control_words(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    s = Session(grammar_engine, recognizer=ScriptedRecognizer({}, final=""), start_url="/index.html")
    s.feed_text("open reports", 0)
    assert s.url == "/reports.html"
    assert any(isinstance(e, Scroll) and e.direction == "down" for e in s.feed_text("scroll down", 1))
    back = [e for e in s.feed_text("go back", 2) if isinstance(e, Back)]
    assert back and back[0].url == "/index.html" and s.url == "/index.html"


def test_stalled_audio_closes_the_utterance_at_the_deadline(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    rec = ScriptedRecognizer({25: "show me billing"}, final="show me billing")
    s = Session(grammar_engine, recognizer=rec)
    pcm = read_wav(SPEECH / "piper-00.wav")
    run(s, pcm[: len(pcm) // 2 // FRAME * FRAME])
    deadline = s.next_deadline()
    assert deadline is not None
    assert s.tick(deadline - 1) == []
    events = s.tick(deadline)
    assert any(isinstance(e, Final) and e.text == "show me billing" for e in events)
    assert s.next_deadline() is None


def test_same_events_whole_frame_by_frame_and_odd_splits(engine) -> None:  # type: ignore[no-untyped-def]
    """Real recognizer and real whisper: chunking must not change anything. The session's quick
    and careful listens are answered after each chunk, whatever its size (the session holds the
    rest of the chunk until then); background listens are never answered here, since when their
    answers arrive is up to the shell."""
    pcm = read_wav(SPEECH / "piper-02.wav") + b"\x00" * 32 * 800

    def events_for(chunks: list[bytes]) -> list:  # type: ignore[type-arg]
        s = Session(engine)
        out = []
        for i, c in enumerate(chunks):
            out += answer_requests(s.feed_transcript, s.feed_audio(c, i), engine.verifier, i)
        return out + answer_requests(s.feed_transcript, s.close(10**12), engine.verifier, 10**12)

    whole = events_for([pcm])
    frames = events_for([pcm[i : i + FRAME] for i in range(0, len(pcm), FRAME)])
    odd = events_for([pcm[i : i + 333] for i in range(0, len(pcm), 333)])
    assert whole == frames == odd
    assert any(isinstance(e, Navigate) and e.url == "/team.html" for e in whole)
    assert any(isinstance(e, Transcribe) and not e.may_decline for e in whole)  # the answers were used


def test_later_words_correct_an_early_guess_before_the_endpoint(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    rec = ScriptedRecognizer({20: "go to an team", 50: "go to integrations"}, final="go to integrations")
    s = Session(grammar_engine, recognizer=rec, start_url="/index.html", config=EAGER)
    events = run(s, speech())
    navs = [e for e in events if isinstance(e, Navigate)]
    final = next(e for e in events if isinstance(e, Final))
    assert [n.url for n in navs] == ["/team.html", "/integrations.html"]
    assert all(n.early and n.audio_ms < final.audio_ms for n in navs)
    assert s.mispredictions == 1 and s.url == "/integrations.html"
    s.feed_text("go back", 10**12)
    assert s.url == "/index.html"  # the wrong page left no trace in the history


class _Verifier(ScriptedVerifier):
    def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "", focus: tuple[str, ...] = (),
                   weigh: bool = False, noise: bytes = b"") -> str:
        assert len(pcm) > 32 * 500  # the whole utterance, pre-roll included
        return super().transcribe(pcm, thorough, hint)


def test_verifier_corrects_and_rescues(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    wrong = ScriptedRecognizer({}, final="open all the security")
    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Open notifications."))
    events = run(Session(eng, recognizer=wrong), speech())
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/notifications.html"]
    assert next(e for e in events if isinstance(e, Final)).source == "verifier"

    garbage = ScriptedRecognizer({}, final="only look feel")
    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Where am I in voices?"))  # fuzzy: invoices
    events = run(Session(eng, recognizer=garbage), speech())
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/billing.html"]


def test_verifier_cannot_make_out_of_domain_speech_navigate(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Who won the game last night?"))
    rec = ScriptedRecognizer({}, final="who won that game last night")
    events = run(Session(eng, recognizer=rec), speech())
    assert not [e for e in events if isinstance(e, Navigate)]
    rejected = [e for e in events if isinstance(e, Rejected)]
    assert rejected and rejected[0].text == "Who won the game last night?"


def test_grammar_keeps_the_element_when_both_name_the_same_page(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Have you are in by the team mate?"))
    rec = ScriptedRecognizer({}, final="how do i invite a teammate")
    events = run(Session(eng, recognizer=rec), speech())
    assert any(isinstance(e, Say) and e.text.startswith("To invite") for e in events)


def test_verifier_acts_at_the_first_pause_not_the_endpoint(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    verifier = _Verifier("Open notifications.")
    eng = dataclasses.replace(grammar_engine, verifier=verifier)
    s = Session(eng, recognizer=ScriptedRecognizer({}, final="look too old"))
    events = run(s, speech())
    nav = next(e for e in events if isinstance(e, Navigate))
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert nav.url == "/notifications.html"
    assert nav.audio_ms == ended.last_voiced_ms + s.config.listen.quick_ms  # the quick listen, at the short pause
    assert verifier.calls == 1  # the endpoint reuses the transcript: nothing was said after it


class _CarefulVerifier(_Verifier):
    def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "", focus: tuple[str, ...] = (),
                   weigh: bool = False, noise: bytes = b"") -> str:
        self.calls += 1
        if thorough:
            self.hints.append(hint)
        return "Open notifications." if thorough else "Open the door"


def test_careful_listen_only_when_nothing_matched(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    verifier = _CarefulVerifier("")
    eng = dataclasses.replace(grammar_engine, verifier=verifier)
    s = Session(eng, recognizer=ScriptedRecognizer({}, final="look too old"))
    events = run(s, speech())
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/notifications.html"]
    # Done at the first pause, not at the endpoint, and not repeated there.
    nav = next(e for e in events if isinstance(e, Navigate))
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert nav.audio_ms == ended.last_voiced_ms + s.config.listen.careful_ms and verifier.calls == 2
    calls = verifier.calls
    run(Session(eng, recognizer=ScriptedRecognizer({25: "open notifications"}, final="open notifications")), speech())
    # The grammar matched, but the verifier's quick words name nothing and sound nothing like it:
    # they overrule it, after a careful listen (which names the page), prompted with the
    # grammar's page; with no page from the grammar, the careful listen has no hint.
    assert verifier.calls == calls + 2
    assert verifier.hints == ["", "Show me the Notifications."]


def test_the_grammar_does_not_overturn_the_verifier_until_more_is_said(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    # After the verifier named notifications at the pause, the grammar keeps revising its partial
    # in the trailing silence towards another page: the page must not flap back and forth.
    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Open notifications."))
    first = run(Session(eng, recognizer=ScriptedRecognizer({}, final="")), speech())
    started = next(e for e in first if isinstance(e, SpeechStarted)).audio_ms
    ended = next(e for e in first if isinstance(e, SpeechEnded)).last_voiced_ms
    preroll = min(SessionConfig().vad.preroll_frames, started // 20)
    frame = preroll + (ended + 200 - started) // 20  # 200 ms into the silence, before the endpoint
    s = Session(eng, recognizer=ScriptedRecognizer({frame: "open all the security"}, final="open all the security"))
    events = run(s, speech())
    revised = next(e for e in events if isinstance(e, Partial) and e.text == "open all the security")
    nav = [e for e in events if isinstance(e, Navigate)]
    assert [e.url for e in nav] == ["/notifications.html"] and nav[0].audio_ms < revised.audio_ms
    assert s.mispredictions == 0


def test_command_acts_at_the_first_pause_and_overrides_an_early_page(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from voicetour.events import State

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Scroll down."))
    # The grammar mistook the command for a page while it was being said.
    s = Session(eng, recognizer=ScriptedRecognizer({25: "roles"}, final="roles"), start_url="/index.html", config=EAGER)
    events = run(s, speech())
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    kinds = [type(e).__name__ for e in events if isinstance(e, Navigate | Cancel | Scroll)]
    assert kinds == ["Navigate", "Cancel", "Scroll"]
    scroll = next(e for e in events if isinstance(e, Scroll))
    assert scroll.direction == "down" and scroll.audio_ms == ended.last_voiced_ms + s.config.listen.careful_ms
    assert s.url == "/index.html" and s.mispredictions == 1
    # Done once, not again at the endpoint; the turn still ends with 'listening'.
    assert sum(isinstance(e, Scroll) for e in events) == 1
    assert [e.state for e in events if isinstance(e, State)][-1] == "listening"


def test_lone_grammar_command_loses_to_a_longer_sentence(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Open out applications"))
    events = run(Session(eng, recognizer=ScriptedRecognizer({}, final="no")), speech())
    final = next(e for e in events if isinstance(e, Final))
    assert final.text == "Open out applications" and final.source == "verifier"


def test_candidates_and_prerender_follow_each_partial(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    from voicetour.events import Candidates, Prerender
    MAX_PRERENDER = SessionConfig().max_prerender  # noqa: N806

    rec = ScriptedRecognizer({25: "show me", 30: "show me the", 40: "show me billing"}, final="show me billing")
    events = run(Session(grammar_engine, recognizer=rec), speech())
    cands = [e for e in events if isinstance(e, Candidates)]
    pres = [e for e in events if isinstance(e, Prerender)]
    assert cands and all(len(c.items) <= 5 for c in cands)
    assert all([i.score for i in c.items] == sorted((i.score for i in c.items), reverse=True) for c in cands)
    # Prerender: the candidates' distinct pages, best first, only when they change, before the commit.
    for p in pres:
        assert len(p.urls) == len(set(p.urls)) <= MAX_PRERENDER
    last = pres[-1]
    assert last.urls[0] == "/billing.html"
    nav = next(e for e in events if isinstance(e, Navigate))
    assert last.audio_ms < nav.audio_ms  # the page was predicted before it was committed
    assert all(a.urls != b.urls for a, b in zip(pres, pres[1:], strict=False))


def test_detach_keeps_an_early_page_and_the_session(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """A full page load cuts the utterance after its early commit: the page stands, the reply is
    given, and the same session hears the next request."""
    from voicetour.events import State

    rec = ScriptedRecognizer({25: "show me billing"}, final="show me billing")
    s = Session(grammar_engine, recognizer=rec, start_url="/index.html", config=EAGER)
    pcm = speech()
    events: list = []  # type: ignore[type-arg]
    i = 0
    while not any(isinstance(e, Navigate) for e in events):
        events += s.feed_audio(pcm[i : i + FRAME], i // FRAME * 20 * MS)
        i += FRAME
    assert s.current is not None  # still speaking when the page changed
    tail = s.detach(i // FRAME * 20 * MS)
    assert [type(e).__name__ for e in tail] == ["SpeechEnded", "Final", "Say", "State"]
    assert isinstance(tail[-1], State) and tail[-1].state == "listening" and s.url == "/billing.html"
    assert not s.closed and s.mispredictions == 0
    s.recognizer = ScriptedRecognizer({25: "show me the team"}, final="show me the team")
    after = run(s, speech(), start_ns=10_000 * MS)
    navs = [e for e in after if isinstance(e, Navigate)]
    assert [n.url for n in navs] == ["/team.html"] and navs[0].turn == 2


def _answering(  # type: ignore[type-arg]
    s: Session, pcm: bytes, answers: list[str | None] | Callable[[Transcribe], str | None],
    delay_frames: int | Callable[[Transcribe], int] = 2,
) -> list:
    """Feed ``pcm`` frame by frame, answering each Transcribe request ``delay_frames`` later (or
    ``delay_frames(request)``) with the next of ``answers`` or what ``answers(request)`` says
    (what a shell does, the listen running beside the frames)."""
    events: list = []  # type: ignore[type-arg]
    due: list[tuple[int, Transcribe]] = []
    queue = list(answers) if isinstance(answers, list) else []

    def answer(req: Transcribe) -> str | None:
        if callable(answers):
            return answers(req)
        return queue.pop(0) if queue else None

    for n, i in enumerate(range(0, len(pcm), FRAME)):
        now = n * 20 * MS
        out = []
        for req in [req for at, req in due if at == n]:
            out += s.feed_transcript(req, answer(req), now)
        out += s.feed_audio(pcm[i : i + FRAME], now)
        # The session's own quick and careful listens: answered at once by its engine's verifier.
        out = answer_requests(s.feed_transcript, out, s.engine.verifier, now)
        events += out
        due += [(n + (delay_frames(e) if callable(delay_frames) else delay_frames), e)
                for e in out if isinstance(e, Transcribe) and e.may_decline]
    return events


def test_background_listens_name_the_page_before_the_speaker_stops(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Show me, Billing"))
    # The grammar never hears the page; two background answers in a row name it.
    s = Session(eng, recognizer=ScriptedRecognizer({}, final="show me new"), config=EAGER)
    events = _answering(s, speech(), ["Show me the", "Show me, Billing", "Show me, Billing"])
    asks = [e for e in events if isinstance(e, Transcribe) and e.kind == "speaking"]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    gaps = [b.upto_ms - a.upto_ms for a, b in zip(asks, asks[1:], strict=False)]
    assert len(asks) >= 3 and min(gaps) >= s.config.listen.every_ms
    assert asks[0].upto_ms - SessionConfig().listen.first_ms >= 0 and asks[-1].upto_ms <= ended.audio_ms
    assert all(len(a.pcm) > 0 for a in asks)
    pre = next(e for e in events if isinstance(e, Prerender))
    nav = next(e for e in events if isinstance(e, Navigate))
    assert pre.urls[0] == "/billing.html" and pre.audio_ms < nav.audio_ms  # pre-rendered after one answer
    # Revealed when the third answer came back (one frame later), before the speaker stopped.
    assert nav.url == "/billing.html" and nav.early and nav.audio_ms == asks[2].audio_ms + 20
    assert nav.audio_ms < ended.last_voiced_ms
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/billing.html"]
    # One request at a time: a slow answer spaces them out.
    slow_session = Session(eng, recognizer=ScriptedRecognizer({}, final="show me new"), config=EAGER)
    slow = _answering(slow_session, speech(), [None] * 9, 15)
    asks = [e for e in slow if isinstance(e, Transcribe) and e.kind == "speaking"]
    assert len(asks) >= 2 and min(b.upto_ms - a.upto_ms for a, b in zip(asks, asks[1:], strict=False)) >= 14 * 20


def test_a_control_named_by_one_word_in_the_background_waits_for_the_pause(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """Whisper heard the start of "show me the icons" as "Show me the right" twice: the Right
    button of another page (AdminLTE 3). A page named so is shown while speaking (the test
    above); a control named by one word, with the grammar naming something else, waits."""
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Show me the security"))
    s = Session(eng, recognizer=ScriptedRecognizer({}, final="show me new"), config=EAGER)
    events = _answering(s, speech(), ["Show me the", "Show me the security", "Show me the security"])
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    navs = [e for e in events if isinstance(e, Navigate)]
    assert any(isinstance(e, Prerender) and e.urls[0] == "/settings.html" for e in events)
    assert navs and all(n.audio_ms > ended.last_voiced_ms for n in navs)
    assert navs[-1].url == "/settings.html"


def test_background_answers_that_are_declined_or_stale_change_nothing(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Who won the game?"))
    s = Session(eng, recognizer=ScriptedRecognizer({}, final="who won the game"))
    events = _answering(s, speech(), [None, None, None, None])  # the verifier was busy every time
    asks = [e for e in events if isinstance(e, Transcribe)]
    assert len(asks) >= 3  # a declined answer lets the session ask again
    assert not [e for e in events if isinstance(e, Navigate | Prerender)]
    # An answer for a turn that is over is dropped.
    assert s.feed_transcript(asks[-1], "Show me billing", 10**12) == []
    assert s.feed_transcript(dataclasses.replace(asks[-1], turn=asks[-1].turn + 1), "Show me billing", 10**12) == []


def test_the_grammar_cannot_commit_to_a_page_the_verifier_does_not_hear(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Open notifications."))
    # The grammar settles early on the wrong page; whisper keeps hearing notifications.
    rec = ScriptedRecognizer({22: "open all the security"}, final="open all the security")
    s = Session(eng, recognizer=rec, config=EAGER)
    events = _answering(s, speech(), ["Open notifications"] * 10)
    # The first answer named notifications before the grammar's page was stable: no flapping.
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/notifications.html"]
    baseline = run(Session(eng, recognizer=ScriptedRecognizer({22: "open all the security"},
                                                              final="open all the security"), config=EAGER), speech())
    assert [e.url for e in baseline if isinstance(e, Navigate)][0] == "/settings.html"  # without the answers


def test_the_grammar_shows_a_page_early_only_once_the_verifier_names_it_too(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from voicetour.session.policy import PolicyConfig

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Show me the..."))
    config = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0))
    sure = {22: "show me billing"}  # the grammar is sure of billing from frame 22 on

    def navigations(answers: list[str | None]) -> list[Navigate]:
        s = Session(eng, recognizer=ScriptedRecognizer(sure, final="show me billing"), config=config)
        return [e for e in _answering(s, speech(), answers) if isinstance(e, Navigate)]

    # Background listens that name nothing: no page while the person speaks.
    last_voiced = _last_voiced_ms(grammar_engine)
    alone = navigations(["Show me the"] * 10)
    assert all(n.audio_ms > last_voiced for n in alone)
    # One that names the grammar's page: shown before the speaker stops.
    both = navigations(["Show me the", "Show me billing"] + ["Show me billing"] * 8)
    assert both[0].url == "/billing.html" and both[0].early and both[0].audio_ms < last_voiced
    # Named in two of the product's words, all the target's: the grammar alone is enough.
    s = Session(eng, recognizer=ScriptedRecognizer({22: "how do i export a report"}, final="how do i export a report"),
                config=config)
    strong = next(e for e in _answering(s, speech(), ["Show me the"] * 10) if isinstance(e, Navigate))
    assert strong.url == "/reports.html" and strong.audio_ms < last_voiced
    # Without the rule, the grammar alone shows it as soon as it is stable.
    eager = Session(eng, recognizer=ScriptedRecognizer(sure, final="show me billing"), config=EAGER)
    first = next(e for e in _answering(eager, speech(), ["Show me the"] * 10) if isinstance(e, Navigate))
    assert first.audio_ms < both[0].audio_ms


def test_a_sure_grammar_page_waits_for_the_verifier_only_until_the_deadline(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from voicetour.session.policy import PolicyConfig

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Show me billing"))
    # No background listens while speaking: the pause's own listen is the one on its way.
    config = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0),
                           listen=ListenConfig(every_ms=0))
    deadline = config.listen.deadline_ms
    last_voiced = _last_voiced_ms(grammar_engine)

    def first_navigation(delay_frames: int) -> Navigate:
        s = Session(eng, recognizer=ScriptedRecognizer({22: "show me billing"}, final="show me billing"), config=config)
        return next(e for e in _answering(s, speech(), ["Show me billing"], delay_frames) if isinstance(e, Navigate))

    # The pause's listen is answered in 40 ms: its words decide, well before the deadline.
    quick = first_navigation(2)
    assert quick.url == "/billing.html" and quick.audio_ms - last_voiced < deadline
    # It takes 800 ms (a busy machine): the grammar's page is shown at the deadline, not later.
    late = first_navigation(40)
    assert late.url == "/billing.html" and deadline <= late.audio_ms - last_voiced <= deadline + 40


def test_no_grammar_page_at_the_deadline_when_the_words_heard_while_speaking_name_nothing(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """Real "snowboy": whisper heard "Snowboy!" while it was said, the grammar "see all add hook"
    (the integrations page, sure of it); the pause's listen was late on a busy machine."""
    import dataclasses

    from voicetour.session.policy import PolicyConfig

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Snowboy"))
    config = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0))
    s = Session(eng, recognizer=ScriptedRecognizer({22: "show me billing"}, final="show me billing"), config=config)
    events = _answering(s, speech(), lambda req: "Snowboy",
                        delay_frames=lambda req: 40 if req.kind == "pause" else 2)
    assert not [e for e in events if isinstance(e, Navigate)]
    assert any(isinstance(e, Transcribe) and e.kind == "speaking" for e in events)  # it did listen while speaking


def _last_voiced_ms(grammar_engine) -> int:  # type: ignore[no-untyped-def]
    events = run(Session(grammar_engine, recognizer=ScriptedRecognizer({}, final=""), config=EAGER), speech())
    return next(e for e in events if isinstance(e, SpeechEnded)).last_voiced_ms


def test_the_pause_listen_is_asked_early_and_decides_at_the_short_pause(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    last = _last_voiced_ms(grammar_engine)

    def shell(req: Transcribe) -> str | None:  # only the pause's listen names the page
        if req.kind == "speaking" and req.upto_ms >= last:
            return None  # declined (the model was busy): words for all the speech would stand for the pause's
        return "Show me, Billing." if req.kind == "pause" else "Show me"

    for delay in (1, 3):  # the answer in before the 60 ms pause, or after it
        verifier = _Verifier("Open notifications.")  # the session's own (synchronous) listen: must not run
        s = Session(dataclasses.replace(grammar_engine, verifier=verifier),
                    recognizer=ScriptedRecognizer({}, final="show me new"))
        answered_at: dict[int, int] = {}
        feed = s.feed_transcript

        def spy(req: Transcribe, text: str | None, now: int, feed=feed, s=s, at=answered_at) -> list:  # type: ignore[no-untyped-def,type-arg]
            at[req.upto_ms] = s.audio_ms
            return feed(req, text, now)

        s.feed_transcript = spy  # type: ignore[method-assign]
        events = _answering(s, speech(), shell, delay_frames=delay)
        asks = [e for e in events if isinstance(e, Transcribe)]
        ask = next(e for e in asks if e.kind == "pause")
        before = asks[asks.index(ask) - 1]  # asked while speaking; one request at a time
        assert ask.audio_ms == max(last + s.config.listen.ask_ms, before.audio_ms + (delay - 1) * 20)
        assert len(ask.pcm) == len(asks[0].pcm) + (ask.upto_ms - asks[0].upto_ms) * 32  # all, the pause so far
        nav = [e for e in events if isinstance(e, Navigate)]
        assert [e.url for e in nav] == ["/billing.html"]
        # Revealed on the 60 ms pause's frame, or when the answer comes in if that is later.
        assert nav[0].audio_ms == max(last + s.config.listen.quick_ms, answered_at[ask.upto_ms])
        assert answered_at[ask.upto_ms] == (last + 20 if delay == 1 else last + 100)  # both cases happened
        assert verifier.calls == 0


def test_words_heard_up_to_the_last_voiced_frame_serve_as_the_pause_listen(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    last = _last_voiced_ms(grammar_engine)
    for delay, revealed in ((1, last + 60), (5, last + 80)):  # answered early in the pause, or after 60 ms
        verifier = _Verifier("Open notifications.")  # the session's own listen: must not run
        s = Session(dataclasses.replace(grammar_engine, verifier=verifier), recognizer=ScriptedRecognizer({}, final=""))
        # Asked at the last voiced frame, answered in the pause: all the speech there is, no need to ask again.
        events = _answering(s, speech(), lambda req: "Show me, Billing." if req.upto_ms >= last else "Show me", delay)
        asks = [e for e in events if isinstance(e, Transcribe)]
        assert asks[-1].upto_ms == last and not [e for e in asks if e.kind == "pause"]
        nav = [e for e in events if isinstance(e, Navigate)]
        assert [e.url for e in nav] == ["/billing.html"] and nav[0].audio_ms == revealed
        assert verifier.calls == 0


def test_a_pause_listen_nobody_else_agrees_with_is_heard_again(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    last = _last_voiced_ms(grammar_engine)
    # Cut short; a page only guessed at from similar words ("Addings" ~ "add webhook") that nobody else
    # heard; declined.
    # Words for all the speech that name nothing are heard again carefully (not quickly first: a quick
    # listen of the same audio mostly says the same again); declined, the quick listen hears them.
    for early, again in (("Show me the", "careful"), ("Open the Addings", "careful"), (None, "quick")):
        kinds: list[bool] = []
        verifier = _Verifier(lambda pcm, thorough, kinds=kinds: kinds.append(thorough) or "Show me billing.")  # type: ignore[misc]
        s = Session(dataclasses.replace(grammar_engine, verifier=verifier),
                    recognizer=ScriptedRecognizer({}, final="show me new"))

        def shell(req: Transcribe, early: str | None = early) -> str | None:
            if req.kind == "speaking" and req.upto_ms >= last:
                return None  # declined: the pause's own listen hears all the speech
            return early if req.kind == "pause" else "Show me"

        events = _answering(s, speech(), shell)
        nav = [e for e in events if isinstance(e, Navigate)]
        assert [e.url for e in nav] == ["/billing.html"], early
        step = s.config.listen.careful_ms if again == "careful" else s.config.listen.quick_ms
        assert nav[0].audio_ms == last + step  # heard again in the pause
        assert kinds == [again == "careful"]  # ...once: the endpoint reuses it



class _ShortClipVerifier(_Verifier):
    """Whisper on a noise clip: 'Go back.'; on the whole request: 'Show me billing.'"""

    def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "", focus: tuple[str, ...] = (),
                   weigh: bool = False, noise: bytes = b"") -> str:
        self.calls += 1
        return "Go back." if len(pcm) < 32 * 700 else "Show me billing."


def test_a_clip_too_short_to_be_speech_is_not_decided_at_its_pause(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    MIN_PAUSE_SPEECH_MS = ListenConfig().min_speech_ms  # noqa: N806

    request = read_wav(SPEECH / "piper-00.wav")
    probe = Endpointer(SessionConfig().vad)
    first = next(i for i in range(0, len(request), FRAME) if probe.voiced(request[i : i + FRAME]))
    clip = request[first : first + 6 * FRAME]  # 120 ms of voice, then a pause, then the request
    assert 6 * 20 < MIN_PAUSE_SPEECH_MS
    verifier = _ShortClipVerifier("")
    s = Session(dataclasses.replace(grammar_engine, verifier=verifier), recognizer=ScriptedRecognizer({}, final=""))
    pcm = b"\x00" * 32 * 300 + clip + b"\x00" * 32 * 200 + request[first - 2 * FRAME :] + b"\x00" * 32 * 800
    events = _answering(s, pcm, lambda req: verifier.transcribe(req.pcm))
    assert not [e for e in events if isinstance(e, Back) or (isinstance(e, Say) and "previous" in e.text)]
    assert not [e for e in events if isinstance(e, Transcribe) and e.kind == "pause" and e.upto_ms < 300 + 120 + 200]
    nav = [e for e in events if isinstance(e, Navigate)]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert [e.url for e in nav] == ["/billing.html"] and nav[0].audio_ms < ended.audio_ms  # at a pause, not the end


def test_a_declined_pause_listen_is_not_asked_again_in_that_pause(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    verifier = _Verifier("Show me billing.")
    s = Session(dataclasses.replace(grammar_engine, verifier=verifier), recognizer=ScriptedRecognizer({}, final=""))
    events = _answering(s, speech(), lambda req: None, delay_frames=1)  # declined: the model is busy
    pause_asks = [e for e in events if isinstance(e, Transcribe) and e.kind == "pause"]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert len([a for a in pause_asks if a.upto_ms > ended.last_voiced_ms]) == 1
    nav = [e for e in events if isinstance(e, Navigate)]  # ...and the session listened itself at 60 ms
    assert [e.url for e in nav] == ["/billing.html"] and nav[0].audio_ms == ended.last_voiced_ms + 60


def test_a_request_that_names_two_pages_alike_asks_which_and_takes_a_one_word_answer(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    s = Session(grammar_engine, recognizer=ScriptedRecognizer({}, final=""))
    asked = s.feed_text("notification settings", 0)
    assert not [e for e in asked if isinstance(e, Navigate)]
    assert [e.text for e in asked if isinstance(e, Say)] == ["Which one: Notifications, or Settings?"]
    again = s.feed_text("yes", 0)  # does not say which: asked again, nothing moves
    assert [e.text for e in again if isinstance(e, Say)] == ["Which one: Notifications, or Settings?"]
    assert [e.url for e in s.feed_text("settings", 0) if isinstance(e, Navigate)] == ["/settings.html"]
    assert [e.text for e in s.feed_text("team billing", 0) if isinstance(e, Say)] == ["Which one: Billing, or Team?"]
    assert [e.url for e in s.feed_text("the second one", 0) if isinstance(e, Navigate)] == ["/team.html"]
    s.feed_text("team billing", 0)
    assert [e.url for e in s.feed_text("show me the reports", 0) if isinstance(e, Navigate)] == ["/reports.html"]
    assert s.tour.choices is None  # a new request drops the question
    assert not [e for e in s.feed_text("billing", 0) if isinstance(e, Say) and "Which" in e.text]


def test_a_question_between_two_controls_alike_names_their_pages_and_takes_a_page_as_answer() -> None:
    site = parse_site({"version": 1, "name": "Helio", "pages": [
        {"id": "contacts", "url": "/contacts.html", "title": "Contacts", "elements": [
            {"id": "import", "selector": "#import", "label": "Import a file"}]},
        {"id": "leads", "url": "/leads.html", "title": "Leads", "elements": [
            {"id": "import", "selector": "#import", "label": "Import file"}]},
    ]})
    s = Session(Engine.for_site(site, verify=False), recognizer=ScriptedRecognizer({}, final=""))
    asked = s.feed_text("import a file", 0)
    assert [e.text for e in asked if isinstance(e, Say)] == [
        "Which one: Import a file on Contacts, or Import file on Leads?"]
    answer = s.feed_text("leads", 0)
    assert [e.url for e in answer if isinstance(e, Navigate)] == ["/leads.html"]
    assert [e.selector for e in answer if isinstance(e, Highlight)] == ["#import"]


def test_an_answer_to_the_question_needs_no_more_speech_than_its_word(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """One word is too little speech to go to a page on (real people's "up", "bed"), unless it
    answers the question the agent asked."""
    s = Session(grammar_engine, recognizer=ScriptedRecognizer({}, final=""))
    s.feed_text("notification settings", 0)
    short = s.tour.resolve((2, 0), "notifications", None, None, fuzzy=False, pages=False)
    assert [e.url for e in short if isinstance(e, Navigate)] == ["/notifications.html"]
    assert not [e for e in s.tour.resolve((3, 0), "notifications", None, None, fuzzy=False, pages=False)
                if isinstance(e, Navigate)]  # no question pending: a word alone is not enough


def test_in_a_pause_the_grammar_waits_when_the_words_heard_while_speaking_named_nothing_twice(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """Even in two of the product's words ("export report"), the grammar's page is not shown in a
    pause while the verifier's last two background answers were words that name nothing; the
    pause's own listen decides when it comes."""
    import dataclasses

    from voicetour.session.policy import PolicyConfig

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Snowboy"))
    config = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0),
                           listen=ListenConfig(every_ms=40, first_ms=40, deadline_ms=2000))
    last_voiced = _last_voiced_ms(grammar_engine)

    def navigations(pause_words: str) -> list[Navigate]:
        s = Session(eng, recognizer=ScriptedRecognizer({int(last_voiced / 20) - 1: "export report"},
                                                        final="export report"), config=config)
        def shell(req: Transcribe) -> str | None:
            if req.kind == "speaking" and req.upto_ms >= last_voiced:
                return None  # declined: the pause's own listen hears all the speech
            return pause_words if req.kind == "pause" else "Snowboy"

        events = _answering(s, speech(), shell, delay_frames=lambda req: 15 if req.kind == "pause" else 1)
        return [e for e in events if isinstance(e, Navigate)]

    assert not navigations("Snowboy")  # nothing is shown: not early, not at the end
    shown = navigations("How do I export a report?")
    assert shown and shown[0].url == "/reports.html"
    assert shown[0].audio_ms - last_voiced >= 15 * 20  # when the pause's listen named it, not before


def test_the_grammars_page_stands_when_the_verifiers_words_sound_like_it(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    def heard(verifier_words: str) -> tuple[Session, list]:  # type: ignore[type-arg]
        eng = dataclasses.replace(grammar_engine, verifier=_Verifier(verifier_words))
        s = Session(eng, recognizer=ScriptedRecognizer({25: "show me billing"}, final="show me billing"))
        return s, run(s, speech())

    s, events = heard("Me bell ink.")  # words whisper does not know, misheard (no request to see: not
    # sounded out alone, ``Ranker._sounds_near``)
    navs = [e for e in events if isinstance(e, Navigate)]
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert [e.url for e in navs] == ["/billing.html"]
    assert navs[0].audio_ms <= ended.last_voiced_ms + s.config.listen.careful_ms  # at the pause, not the endpoint
    assert next(e for e in events if isinstance(e, Final)).source == "alike"

    _, events = heard("Show me the bell tower.")  # other words: the grammar's page does not stand
    assert not [e for e in events if isinstance(e, Navigate)]
    assert next(e for e in events if isinstance(e, Final)).source == "verifier"


def _sign_in_navs(quick: str, careful: str | None = None,
                  config: SessionConfig | None = None) -> tuple[list[Navigate], SpeechEnded]:
    """The pages gone to on three sign-in pages when the verifier hears ``quick`` (and, listening
    carefully, ``careful``), and the end of the speech."""
    import dataclasses

    from voicetour.session.engine import Engine
    from voicetour.site.model import parse_site

    site = parse_site({"version": 1, "name": "Sign-in pages", "pages": [
        {"id": "login", "url": "/login.html", "title": "Login",
         "elements": [{"id": "password", "label": "Password", "selector": "#password"}]},
        {"id": "register", "url": "/register.html", "title": "Register",
         "elements": [{"id": "repeat", "label": "Repeat password", "selector": "#repeat"}]},
        {"id": "forgot", "url": "/forgot.html", "title": "Forgot password",
         "elements": [{"id": "request", "label": "Request new password", "selector": "#request"}]},
    ]})
    verifier = _Verifier(lambda pcm, thorough: careful if thorough and careful is not None else quick)
    eng = dataclasses.replace(Engine.for_site(site, verify=False), verifier=verifier)
    events = run(Session(eng, recognizer=ScriptedRecognizer({}, final=""), config=config), speech())
    return [e for e in events if isinstance(e, Navigate)], next(e for e in events if isinstance(e, SpeechEnded))


def test_part_of_a_name_heard_at_a_pause_waits_for_the_end() -> None:
    """A pause inside a sentence ("I have a question, ..." heard as "I can request": AdminLTE's
    Request new password control, whose other word is on every sign-in page) is not the place to
    go to a page named only in part: the end decides."""
    part, ended = _sign_in_navs("I can request")
    assert [n.url for n in part] == ["/forgot.html"] and part[0].audio_ms == ended.audio_ms  # at the end
    whole, ended = _sign_in_navs("I can request a new password")
    assert [n.url for n in whole] == ["/forgot.html"] and whole[0].audio_ms < ended.audio_ms  # at the pause


def test_part_of_a_name_heard_whole_by_a_careful_listen_is_gone_to_at_the_pause() -> None:
    """``ListenConfig.careful_partial``: "Show Me Mavic Form Elements", then carefully "Show me
    the basic form elements." (espeak-ng, AdminBSB). Careful words naming another target, or the
    same in part again, leave it to the end; so does the option turned off."""
    whole, ended = _sign_in_navs("I can request", careful="I can request a new password")
    assert [n.url for n in whole] == ["/forgot.html"] and whole[0].audio_ms < ended.audio_ms  # at the pause
    for careful in ("I can request", "I can repeat the password"):
        part, ended = _sign_in_navs("I can request", careful=careful)
        assert [n.url for n in part] == ["/forgot.html"] and part[0].audio_ms == ended.audio_ms
    off = SessionConfig(listen=ListenConfig(careful_partial=False))
    part, ended = _sign_in_navs("I can request", careful="I can request a new password", config=off)
    assert [n.url for n in part] == ["/forgot.html"] and part[0].audio_ms == ended.audio_ms


class _PromptedVerifier(_Verifier):
    """Whisper that hears ``quick`` unprompted and ``careful`` when prompted with a page."""

    def __init__(self, quick: str, careful: str) -> None:
        super().__init__(quick)
        self.careful = careful

    def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "", focus: tuple[str, ...] = (),
                   weigh: bool = False, noise: bytes = b"") -> str:
        said = super().transcribe(pcm, thorough, hint)
        return self.careful if thorough and hint else said


def test_a_careful_listen_prompted_with_the_grammars_page(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    def heard(quick: str, careful: str) -> tuple[list[str], _PromptedVerifier]:
        verifier = _PromptedVerifier(quick, careful)
        eng = dataclasses.replace(grammar_engine, verifier=verifier)
        events = run(Session(eng, recognizer=ScriptedRecognizer({25: "show me billing"}, final="show me billing")),
                     speech())
        return [e.url for e in events if isinstance(e, Navigate)], verifier

    # espeak-ng's "show me the calendar": "Show me Macalander" unprompted, itself when prompted
    urls, verifier = heard("Show me Macbilling.", "Show me the billing.")
    assert urls == ["/billing.html"] and "Show me the Billing." in verifier.hints
    # whisper repeating its prompt over what it had heard as a wake word: no page
    urls, _ = heard("Computer.", "Show me the Billing.")
    assert urls == []


def test_a_careful_listen_reads_the_likeliest_names_not_all_the_products_words(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    def listens(focus_careful: bool) -> tuple[list[str], list[tuple[bool, tuple[str, ...]]]]:
        seen: list[tuple[bool, tuple[str, ...]]] = []

        def said(pcm: bytes, thorough: bool) -> str:
            return "Show me the billing." if thorough else "Show me Macbilling."

        class Recording(ScriptedVerifier):
            def transcribe(self, pcm: bytes, thorough: bool = False, hint: str = "",
                           focus: tuple[str, ...] = (), weigh: bool = False, noise: bytes = b"") -> str:
                seen.append((thorough, focus))
                return super().transcribe(pcm, thorough, hint, focus)

        eng = dataclasses.replace(grammar_engine, verifier=Recording(said))
        config = SessionConfig(listen=ListenConfig(focus_careful=focus_careful))
        events = run(Session(eng, config=config,
                             recognizer=ScriptedRecognizer({25: "show me billing"}, final="show me billing")), speech())
        return [e.url for e in events if isinstance(e, Navigate)], seen

    urls, seen = listens(True)
    assert urls == ["/billing.html"]
    careful = [focus for thorough, focus in seen if thorough]
    assert len(careful) == 1 and "Billing" in careful[0]  # the grammar's page among the names read
    assert all(focus == () for thorough, focus in seen if not thorough)  # quick listens read every word
    urls, seen = listens(False)
    assert urls == ["/billing.html"] and all(focus == () for _, focus in seen)


def test_early_unlike_holds_the_grammars_strong_words_against_other_words_heard(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """``PolicyConfig.early_unlike`` (off by default): real coffee orders, whisper's "I'd like a
    single shot" against the grammar's "... filter coffee"."""
    import dataclasses

    from voicetour.session.policy import PolicyConfig

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Show me the..."))
    last_voiced = _last_voiced_ms(grammar_engine)

    def early(answers: list[str | None], unlike: bool) -> list[Navigate]:
        config = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0, early_unlike=unlike))
        s = Session(eng, recognizer=ScriptedRecognizer({22: "how do i export a report"},
                                                       final="how do i export a report"), config=config)
        return [e for e in _answering(s, speech(), answers) if isinstance(e, Navigate) and e.audio_ms < last_voiced]

    assert [n.url for n in early(["I'd like a single shot"] * 10, unlike=False)] == ["/reports.html"]
    assert early(["I'd like a single shot"] * 10, unlike=True) == []
    assert [n.url for n in early(["How do I export a rep"] * 10, unlike=True)] == ["/reports.html"]  # alike


def test_the_start_of_another_pages_name_waits_for_a_longer_pause() -> None:
    """'Show me the Basic', heard in a pause of 60 ms inside "show me the basic form elements"
    (piper, AdminBSB), showed the Basic cards page: such a page waits for ``ahead_ms`` of silence
    (still before the end); a name that begins no other is gone to at the first pause."""
    import dataclasses

    from voicetour.session.engine import Engine
    from voicetour.site.model import parse_site

    site = parse_site({"version": 1, "name": "Admin", "pages": [
        {"id": "basic", "url": "/basic.html", "title": "Basic"},
        {"id": "elements", "url": "/elements.html", "title": "Basic form elements"},
        {"id": "carousel", "url": "/carousel.html", "title": "Carousel"},
    ]})
    engine = Engine.for_site(site, verify=False)

    def first_nav(verifier_words: str) -> tuple[Navigate, SpeechEnded]:
        eng = dataclasses.replace(engine, verifier=_Verifier(verifier_words))
        events = run(Session(eng, recognizer=ScriptedRecognizer({}, final="")), speech())
        return next(e for e in events if isinstance(e, Navigate)), next(e for e in events if isinstance(e, SpeechEnded))

    ahead = PolicyConfig().ahead_ms
    nav, ended = first_nav("Show me the Basic")
    assert nav.url == "/basic.html" and ended.last_voiced_ms + ahead <= nav.audio_ms < ended.audio_ms
    nav, ended = first_nav("Show me the carousel")
    assert nav.url == "/carousel.html" and nav.audio_ms < ended.last_voiced_ms + ahead


def test_words_heard_while_speaking_that_name_most_of_another_page_are_shown_at_a_longer_pause(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """AdminBSB, piper: whisper heard "Show me the data tables" while the grammar had "show me the
    basic page please" (Basic cards, sure of it). The grammar's page is not shown at the deadline
    against those words, and the page they name most of ("Jquery Datatables") is shown once the
    pause is longer than a speaker's inside a sentence (``ahead_ms``), not at the endpoint."""
    import dataclasses

    from voicetour.session.engine import Engine
    from voicetour.site.model import parse_site

    site = parse_site({"name": "Admin", "base_url": "http://127.0.0.1:8123", "pages": [
        {"id": name.lower().replace(" ", "-"), "url": f"/{name.lower().replace(' ', '-')}.html", "title": name}
        for name in ("Basic", "Jquery Datatables", "Jquery Knob", "Typography")]})
    eng = Engine.for_site(site, verify=False)
    last = _last_voiced_ms(grammar_engine)
    config = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0))
    for answer in ("Jummy the Datatables", "Show me the Jquery"):
        eng_v = dataclasses.replace(eng, verifier=_Verifier(answer))
        s = Session(eng_v, recognizer=ScriptedRecognizer({22: "show me the basic page please"},
                                                         final="show me the basic page please"), config=config)
        events = _answering(s, speech(), lambda req, answer=answer: answer)  # type: ignore[misc]
        nav = [e for e in events if isinstance(e, Navigate)]
        if answer == "Jummy the Datatables":
            assert [e.url for e in nav] == ["/jquery-datatables.html"]
            assert nav[0].audio_ms - last == config.policy.ahead_ms < s.config.vad.end_ms
        else:  # half of two names: no page in the pause, and never Basic
            assert all(e.url != "/basic.html" for e in nav)
            assert all(e.audio_ms - last >= s.config.vad.end_ms for e in nav)


def test_when_the_words_heard_while_speaking_named_nothing_the_pause_listens_carefully_at_once(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """espeak-ng on AdminBSB: "Show me the National" while speaking; the quick listen of all the
    speech "Show Me, La Nash, Board" again, and only the careful one (prompted with the grammar's
    page) "Show me the Dashboard": three whisper runs after the speech ended. Now the pause's own
    listen is the careful one. Its words count unless they are the prompt's, parroted: whisper
    prompted with "Show me the Billing." over a wake word."""
    import dataclasses

    last = _last_voiced_ms(grammar_engine)
    config = SessionConfig(policy=PolicyConfig(min_page_speech_ms=0, min_early_speech_ms=0),
                           listen=ListenConfig(careful_pause=True))
    # Careful words that name nothing are heard again quickly (in noise the careful listen heard
    # "Let's roll that." where the quick one heard "Scroll up.").
    for while_speaking, careful_words, quick_words, shown in (
            ("Show me the villain", "Show me billing.", "Snowboy", ["/billing.html"]),
            ("Snowboy!", "Show me the Billing.", "Snowboy", []),
            ("Show me the villain", "Show me the villain.", "Show me billing.", ["/billing.html"])):
        asked: list[Transcribe] = []

        def shell(req: Transcribe, said: str = while_speaking, careful: str = careful_words,
                  asked: list[Transcribe] = asked) -> str | None:
            asked.append(req)
            if req.kind == "speaking" and req.upto_ms >= last:
                return None  # declined: the pause's own listen hears all the speech
            return careful if req.kind == "pause" else said

        verifier = _Verifier(quick_words)  # the session's own quick listen, unprompted
        s = Session(dataclasses.replace(grammar_engine, verifier=verifier),
                    recognizer=ScriptedRecognizer({30: "show me billing"}, final="show me billing"), config=config)
        events = _answering(s, speech(), shell)
        pause = next(r for r in asked if r.kind == "pause")
        assert pause.thorough and pause.hint == "Show me the Billing."
        nav = [e for e in events if isinstance(e, Navigate)]
        assert [e.url for e in nav] == shown, while_speaking
        if careful_words == "Show me billing.":
            assert nav[0].audio_ms - last <= s.config.listen.quick_ms + 40 and verifier.calls == 0
        else:  # the prompt's words, or words that name nothing: heard again, unprompted, and only once
            assert verifier.calls == 1 and verifier.hints == []


def test_a_lean_turn_is_heard_by_the_verifier_alone_at_the_pause(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """A busy server's turn (``Session.lean``): the grammar recognizer is not run and nothing is
    asked while the person speaks; the pause's listen decides. The flag is read when a turn
    starts: the next turn, with it cleared, is heard in full again."""
    import dataclasses

    eng = dataclasses.replace(grammar_engine, verifier=_Verifier("Show me billing."))
    grammar = ScriptedRecognizer({5: "show me billing"}, final="show me billing")
    s = Session(eng, recognizer=grammar)
    s.lean = True
    events = _answering(s, speech(), lambda req: "Show me billing.")
    asks = [e for e in events if isinstance(e, Transcribe)]
    assert grammar.utterances == 0 and grammar.frames == 0  # never started, never fed
    assert asks and all(a.kind != "speaking" for a in asks)
    ended = next(e for e in events if isinstance(e, SpeechEnded))
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/billing.html"]
    nav = next(e for e in events if isinstance(e, Navigate))
    assert nav.audio_ms - ended.last_voiced_ms <= s.config.listen.careful_ms + 40  # at the pause, not the endpoint
    assert next(e for e in events if isinstance(e, Final)).source == "verifier"
    s.lean = False
    again = _answering(s, speech(), lambda req: "Show me billing.")
    assert grammar.utterances == 1 and grammar.frames > 0
    assert any(isinstance(e, Transcribe) and e.kind == "speaking" for e in again)


def test_a_lean_turns_end_waits_for_its_pause_listen(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """A lean turn's pause listen, declined when the model is busy, is asked again at
    ``lean_ask_ms`` waiting for the model (``Transcribe.wait``), and the turn's end (here before
    that listen is done) waits for it instead of asking for the same words again."""
    import dataclasses

    verifier = _Verifier("Show me billing.")
    s = Session(dataclasses.replace(grammar_engine, verifier=verifier), recognizer=ScriptedRecognizer({}, final=""))
    s.lean = True
    clip = read_wav(SPEECH / "piper-00.wav")
    asked: list[Transcribe] = []
    wanted_when_asked: list[bool] = []

    def shell(req: Transcribe) -> str | None:
        if not req.wait:
            return None  # the model is busy: declined
        return "Show me billing." if s.wants(req) else None

    def slow(req: Transcribe) -> int:
        asked.append(req)
        wanted_when_asked.append(s.wants(req))
        return 40 if req.wait else 1  # 800 ms: after the endpoint (400 ms of silence)

    events = _answering(s, clip + b"\x00" * 32 * 1200 + clip + b"\x00" * 32 * 1200, shell, slow)
    pauses = [r for r in asked if r.kind == "pause"]
    assert pauses and all(wanted_when_asked)
    assert [r.wait for r in pauses] == [False, True] * 2  # declined, then asked again, waiting
    ends = [e.last_voiced_ms for e in events if isinstance(e, SpeechEnded)]
    assert all(r.audio_ms - end >= s.config.listen.lean_ask_ms for r, end in zip(pauses[1::2], ends, strict=True))
    assert not any(s.wants(r) for r in pauses)  # the turns are over
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert len(ended) == 2
    assert [e.url for e in events if isinstance(e, Navigate)] == ["/billing.html"] * 2
    assert verifier.calls == 0  # the ends waited for the pause listens: no listen of their own
    finals = [e for e in events if isinstance(e, Final)]
    assert [f.source for f in finals] == ["verifier"] * len(finals)


def test_a_pause_listen_is_not_wanted_once_the_person_speaks_on(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """``Session.wants``: a shell that waits for the model asks it before running a lean turn's
    pause listen, and skips the listen when the person has spoken on since."""
    import dataclasses

    s = Session(dataclasses.replace(grammar_engine, verifier=_Verifier("")),
                recognizer=ScriptedRecognizer({}, final=""))
    s.lean = True
    clip = read_wav(SPEECH / "piper-00.wav")
    said = clip[: int(last_voiced_ms(clip)) * 32]
    onset = next(i for i in range(0, len(clip), FRAME) if rms(clip[i : i + FRAME]) > 500)
    gap = b"\x00" * 32 * 100  # 100 ms: a pause inside the sentence, shorter than the endpoint's
    pcm = said + gap + clip[onset:]
    first: Transcribe | None = None
    wanted: list[bool] = []
    for n, i in enumerate(range(0, len(pcm), FRAME)):
        for e in s.feed_audio(pcm[i : i + FRAME], n * 20 * MS):
            if isinstance(e, Transcribe) and e.kind == "pause" and first is None:
                first = e
        if first is not None:
            wanted.append(s.wants(first))
    assert first is not None
    assert wanted[0] and not wanted[-1]  # wanted in its pause, not once the speech went on


def test_needs_worker_only_when_the_grammar_recognizer_may_run(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """``Session.needs_worker``: the shell feeds audio on its event loop unless the grammar
    recognizer may run (a full turn under way, or loud enough audio to start one)."""
    clip = read_wav(SPEECH / "piper-00.wav")
    quiet, loud = b"\x00" * 32 * 200, clip[:FRAME * 40]
    s = Session(grammar_engine, recognizer=ScriptedRecognizer({}, final=""))
    assert not s.needs_worker(quiet) and s.needs_worker(loud)
    s.feed_audio(clip[: FRAME * 10 + 7], 0)  # half a frame left in the framer counts with the next audio
    assert s.needs_worker(quiet) == (s.current is not None)
    s.lean = True
    assert s.needs_worker(loud) == (s.current is not None)  # a full turn goes on; a new one would be lean
    import dataclasses

    lean = Session(dataclasses.replace(grammar_engine, verifier=_Verifier("")),
                   recognizer=ScriptedRecognizer({}, final=""))
    lean.lean = True
    for i in range(0, len(clip), FRAME):
        assert not lean.needs_worker(clip[i : i + FRAME])
        lean.feed_audio(clip[i : i + FRAME], 0)
    assert lean.turn == 1


def test_a_short_turn_goes_to_a_page_only_when_it_was_asked_for_in_words(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """Under ``min_page_speech_ms`` of speech (a request whose edges noise thinned: piper's "show
    me billing" in 10 dB noise was 480 ms), a page is gone to when the verifier heard it asked for
    in words ("Show me billing."), not on a word alone ("Billing.": real people's one-word clips)."""
    import dataclasses

    request = read_wav(SPEECH / "piper-00.wav")
    probe = Endpointer(SessionConfig().vad)
    first = next(i for i in range(0, len(request), FRAME) if probe.voiced(request[i : i + FRAME]))
    pcm = b"\x00" * 32 * 300 + request[: first + 23 * FRAME] + b"\x00" * 32 * 900  # 460 ms of voice

    def pages(heard: str, policy: PolicyConfig) -> list[str]:
        s = Session(dataclasses.replace(grammar_engine, verifier=ScriptedVerifier(heard)),
                    recognizer=ScriptedRecognizer({}, final=""), config=SessionConfig(policy=policy))
        return [e.url for e in _answering(s, pcm, lambda req: heard) if isinstance(e, Navigate)]

    default = PolicyConfig()
    assert pages("Show me billing.", default) == ["/billing.html"]
    words_alone = dataclasses.replace(default, min_asked_speech_ms=default.min_page_speech_ms)
    assert pages("Show me billing.", words_alone) == []  # the clip is under min_page_speech_ms
    assert pages("Billing.", default) == []
    assert pages("Go Billing.", default) == []  # a verb and a name is not yet asking in words


def test_a_listen_carries_the_room_heard_before_the_turn(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """Every listen of a turn carries the room's sound from before the person spoke, without the
    frames that started the turn (``Turn.noise``), for the verifier to take out of the speech; a
    turn right after another, with too little room before it, keeps the earlier room."""
    import dataclasses

    import numpy as np

    rng = np.random.default_rng(1)
    room = (rng.standard_normal(16000) * 300).astype("<i2").tobytes()  # 1 s of steady noise
    request = read_wav(SPEECH / "piper-00.wav")
    noisy = (np.frombuffer(request, "<i2") + rng.standard_normal(len(request) // 2) * 300).astype("<i2").tobytes()
    s = Session(dataclasses.replace(grammar_engine, verifier=ScriptedVerifier("Show me billing.")),
                recognizer=ScriptedRecognizer({}, final=""))
    probe = Endpointer(SessionConfig().vad)
    first = next(i for i in range(0, len(request), FRAME) if probe.voiced(request[i : i + FRAME]))
    last = max(i for i in range(0, len(request), FRAME) if probe.voiced(request[i : i + FRAME]))
    ended = noisy[: last + 22 * FRAME]  # the turn ends 400 ms after its last voiced frame
    again = noisy[first - 2 * FRAME :]  # and the next starts at once: 40 ms of room before it
    events = _answering(s, room + ended + again + room, lambda req: "Show me billing.")
    asks = [e for e in events if isinstance(e, Transcribe)]
    assert {a.turn for a in asks} == {1, 2} and all(a.noise == asks[0].noise for a in asks)
    heard = asks[0].noise
    assert len(heard) >= 5 * FRAME and heard in room + noisy[:first]
    assert all(rms(heard[i : i + FRAME]) < 2 * 300 for i in range(0, len(heard), FRAME))  # the room, no voice
