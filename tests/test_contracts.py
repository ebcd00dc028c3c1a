"""The core's contracts without audio: listen policy, config checks, typed events, the action
layer's command table, the one renderer, and a session that holds its input for an answer."""

from __future__ import annotations

import dataclasses

import pytest

from voicetour import events as ev
from voicetour.asr.fake import ScriptedRecognizer, ScriptedVerifier, answer_requests
from voicetour.errors import UsageError
from voicetour.server.protocol import render
from voicetour.session import Session, SessionConfig
from voicetour.session.listening import ListenConfig
from voicetour.session.tour import COMMANDS, Tour

from .test_session import FRAME, MS, speech


def test_pause_steps_are_data_in_order() -> None:
    assert ListenConfig().steps() == ((20, "ask"), (60, "quick"), (80, "careful"))
    assert ListenConfig(ask_ms=0).steps() == ((60, "quick"), (80, "careful"))


@pytest.mark.parametrize("bad", [
    {"quick_ms": 70},  # not a multiple of the 20 ms frame: would never fire
    {"careful_ms": 40},  # careful before quick
    {"ask_ms": 60},  # ask no earlier than quick
    {"every_ms": -20},
])
def test_listen_config_checks_itself(bad: dict[str, int]) -> None:
    with pytest.raises(UsageError):
        ListenConfig(**bad)


def test_session_config_checks_itself() -> None:
    with pytest.raises(UsageError):
        SessionConfig(stall_ms=0)


def test_background_listens_are_scheduled_by_audio_time() -> None:
    policy = ListenConfig(every_ms=160, first_ms=400)
    assert not policy.speaking_due(heard_ms=380, since_last_ms=10_000)  # too little heard yet
    assert policy.speaking_due(heard_ms=400, since_last_ms=10_000)
    assert not policy.speaking_due(heard_ms=900, since_last_ms=140)  # asked 140 ms ago
    assert policy.speaking_due(heard_ms=900, since_last_ms=160)
    assert not ListenConfig(every_ms=0).speaking_due(heard_ms=5_000, since_last_ms=5_000)


def test_events_have_no_meaningless_defaults() -> None:
    with pytest.raises(TypeError):
        ev.Navigate(1, 20)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ev.Final(1, 20, "show me billing")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.Say(1, 20, "hi").text = "bye"  # type: ignore[misc]
    assert ev.Final(1, 20, "x", "typed").typed and not ev.Final(1, 20, "x", "grammar").typed


def _all(cls: type) -> list[type]:
    """``cls`` and its subclasses, once each (a slotted dataclass replaces the class it decorates,
    and both may still be listed as subclasses)."""
    found = {c.__qualname__: c for sub in cls.__subclasses__() for c in _all(sub)}
    return [cls, *found.values()]


def test_every_browser_event_renders_from_its_fields() -> None:
    wired = [c for c in _all(ev.Event) if c.wire is not None]  # type: ignore[attr-defined]
    assert {c.__name__ for c in wired} >= {"Navigate", "Cancel", "Say", "Partial", "Final", "Prerender", "Metric"}
    assert len({c.wire for c in wired}) == len(wired)  # type: ignore[attr-defined]
    assert render(ev.Navigate(3, 980, "/team.html", "team", True)) == {
        "type": "navigate", "turn": 3, "audio_ms": 980, "url": "/team.html", "target": "team", "early": True}
    assert render(ev.Candidates(1, 2, (ev.Candidate("team", "/team.html", 0.9, None),)))["items"] == [
        {"target": "team", "url": "/team.html", "score": 0.9, "selector": None}]
    assert render(ev.Metric(1, 0, "busy", 2.5, (("stage", "frame"),)))["labels"] == {"stage": "frame"}
    assert render(ev.Transcribe(1, 2, "quick", 2, b"")) is None  # for the shell, not the page
    assert render(ev.Span(1, 2, "frame", 0, 1, "")) is None


def test_commands_are_a_table_through_the_tour(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    tour = Tour("Acme", grammar_engine.ranker, SessionConfig().policy, "/index.html")
    assert set(COMMANDS) == {"back", "stop", "scroll_down", "scroll_up", "yes", "no"}
    assert [type(e).__name__ for e in tour.command((1, 0), "back")] == ["Say", "State"]  # no history yet
    team = next(t for t in grammar_engine.targets if t.url == "/team.html" and t.selector is None)
    tour.go((1, 0), team, early=False)
    back = tour.command((2, 0), "back")
    assert isinstance(back[0], ev.Back) and back[0].url == "/index.html" and tour.url == "/index.html"
    tour.pending = team
    assert [type(e).__name__ for e in tour.command((3, 0), "yes", done=False)] == ["State", "Navigate", "Say"]
    assert tour.url == "/team.html" and tour.pending is None
    scroll = tour.command((4, 0), "scroll_up")
    assert isinstance(scroll[0], ev.Scroll) and scroll[0].direction == "up"


def test_the_session_holds_its_input_while_a_quick_listen_is_out(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """Nothing is lost or reordered while a decision waits for words: audio, typed text and close
    are held and replayed once the answer is in."""
    verifier = ScriptedVerifier("Open notifications.")
    eng = dataclasses.replace(grammar_engine, verifier=verifier)
    pcm = speech()
    # Reference: answered at once.
    ref = Session(eng, recognizer=ScriptedRecognizer({}, final="look too old"))
    expected = []
    for i in range(0, len(pcm), FRAME):
        expected += answer_requests(ref.feed_transcript, ref.feed_audio(pcm[i : i + FRAME], 0), verifier, 0)
    # Now the quick request is left out while the rest of the audio arrives.
    s = Session(eng, recognizer=ScriptedRecognizer({}, final="look too old"))
    got: list[ev.Event] = []
    request = None
    for i in range(0, len(pcm), FRAME):
        out = s.feed_audio(pcm[i : i + FRAME], 0)
        assert request is None or out == []  # held once the request is out
        got += out
        request = request or next((e for e in out if isinstance(e, ev.Transcribe) and e.kind == "quick"), None)
    assert request is not None and s.waiting_for is request and s.next_deadline() is None
    assert s.feed_text("scroll down", 0) == [] and s.close(0) == []  # held too, in order
    got += answer_requests(s.feed_transcript, s.feed_transcript(request, verifier.transcribe(request.pcm), 0),
                           verifier, 0)
    assert got[: len(expected)] == expected  # the same events, only later
    tail = got[len(expected):]
    assert [e.text for e in tail if isinstance(e, ev.Final)] == ["scroll down"]
    assert any(isinstance(e, ev.Scroll) for e in tail) and s.waiting_for is None and s.closed
    # An answer nobody waits for any more changes nothing.
    assert s.feed_transcript(request, "Show me billing", 10 * MS) == []
