"""Spans from the core on a fake clock, per-turn metrics, the Chrome trace, /metrics and /trace."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from voicetour.asr.fake import ScriptedRecognizer
from voicetour.audio.wav import read_wav
from voicetour.cli import demo_app_dir
from voicetour.events import Navigate, Span, SpeechEnded
from voicetour.server.app import create_app
from voicetour.session.core import Session
from voicetour.telemetry.trace import TurnRecorder, chrome_trace

from .conftest import SPEECH
from .test_session import EAGER, FRAME, MS, speech


class FakeClock:
    """Advances 1 ms every time it is read: each timed stage lasts exactly 1 ms."""

    def __init__(self) -> None:
        self.t = 0

    def __call__(self) -> int:
        self.t += MS
        return self.t


class ManualClock:
    """Moves only when the test moves it."""

    def __init__(self) -> None:
        self.t = 0

    def __call__(self) -> int:
        return self.t


def feed(session: Session, rec: TurnRecorder, pcm: bytes, paint_ms: int | None = None) -> list:  # type: ignore[type-arg]
    """Frames arrive every 20 ms; the shell hands each batch of events to the recorder when handled.
    With ``paint_ms`` the browser reports each navigation visible that long after it was sent."""
    out = []
    for i in range(0, len(pcm), FRAME):
        now = (i // FRAME + 1) * 20 * MS
        rec.audio((i // FRAME + 1) * 20, now)
        events = session.feed_audio(pcm[i : i + FRAME], now)
        out += rec.record(events, now)
        for nav in (e for e in events if isinstance(e, Navigate) and paint_ms is not None):
            assert rec.visible(nav.turn, nav.url, now + paint_ms * MS) == []  # the turn is still open
        out += events
    return out


def test_core_spans_follow_the_shell_timeline(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    recognizer = ScriptedRecognizer({25: "show me billing"}, final="show me billing")
    session = Session(grammar_engine, recognizer=recognizer, clock=FakeClock(), config=EAGER)
    events = feed(session, TurnRecorder(), speech())
    spans = [e for e in events if isinstance(e, Span)]
    frames = [s for s in spans if s.name == "frame"]
    assert frames and all(s.end_ns - s.start_ns >= MS for s in frames)
    # A frame's span starts at the time the shell passed in (its arrival), not the clock's own origin.
    first = frames[0]
    assert first.start_ns == first.audio_ms * MS + MS
    ranks = [s for s in spans if s.name == "rank"]
    assert [r.detail for r in ranks] == ["show me billing"]
    assert [s.name for s in spans].count("finish") == 1


def test_no_clock_no_spans(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    session = Session(grammar_engine, recognizer=ScriptedRecognizer({25: "show me billing"}, final="show me billing"))
    events = feed(session, TurnRecorder(), speech())
    assert not any(isinstance(e, Span) for e in events)


def test_turn_metrics_from_the_recorder(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    recognizer = ScriptedRecognizer({25: "show me billing"}, final="show me billing")
    session = Session(grammar_engine, recognizer=recognizer, clock=FakeClock(), config=EAGER)
    rec = TurnRecorder("s1")
    out = feed(session, rec, speech())
    metrics = {m.name + m.label("stage"): m.value_ms for m in out if m.__class__.__name__ == "Metric"}
    nav = next(e for e in out if isinstance(e, Navigate))
    ended = next(e for e in out if isinstance(e, SpeechEnded))
    # Everything is handled the instant its audio arrives, so the delays are pure audio time.
    assert metrics["e2e_latency"] == nav.audio_ms - ended.last_voiced_ms
    assert metrics["end_of_utterance_delay"] == ended.audio_ms - ended.last_voiced_ms
    assert metrics["transcription_delay"] == ended.audio_ms - ended.last_voiced_ms
    assert metrics["ttfbasr"] > 0
    assert metrics["busyrank"] >= 1.0 and metrics["busyframe"] > metrics["busyrank"]
    visible = rec.visible(nav.turn, nav.url, (ended.last_voiced_ms + 30) * MS)
    assert [(m.name, m.value_ms) for m in visible] == [("voice_to_visible", 30.0)]
    assert "voice_to_visible" not in metrics  # not reported before the browser said so
    trace = chrome_trace([rec])
    names = {e["name"] for e in trace["traceEvents"]}
    assert {"frame", "rank", "finish", "voice activity", "end of utterance", "navigate (early)", "say",
            "visible (loaded)", "turn 1"} <= names
    assert all(e["ts"] >= 0 for e in trace["traceEvents"] if "ts" in e)
    waterfall = rec.turn_spans(1)
    assert "recognize" in {s.name for s in waterfall} and "frame" not in {s.name for s in waterfall}


def test_metrics_and_trace_endpoints(site, engine) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock()
    app = create_app(site, app_dir=demo_app_dir(), engine=engine, clock=clock, admin_key="k3y")
    admin = {"Authorization": "Bearer k3y"}
    pcm = read_wav(SPEECH / "piper-00.wav") + b"\x00" * 32 * 900
    with TestClient(app) as client:
        with client.websocket_connect("/voicetour/ws") as ws:
            ready = ws.receive_json()
            ws.send_bytes(b"\x00\x01\x02")  # odd length: an error, counted, and the session goes on
            for i in range(0, len(pcm), FRAME):
                ws.send_bytes(pcm[i : i + FRAME])
                clock.t += 20 * MS  # real time on the server's clock: it refuses audio far ahead of it
            seen = []
            while not any(m["type"] == "trace" for m in seen):
                seen.append(ws.receive_json())
            nav = next(m for m in seen if m["type"] == "navigate")
            ws.send_text(json.dumps({"type": "visible", "url": nav["url"], "turn": nav["turn"]}))
            seen.append(ws.receive_json())
        kinds = [m["type"] for m in seen]
        assert "error" in kinds and "metric" in kinds
        assert seen[-1] == {**seen[-1], "type": "metric", "name": "voice_to_visible"}
        trace_msg = next(m for m in seen if m["type"] == "trace")
        names = {s["name"] for s in trace_msg["spans"]}
        assert {"voice activity", "recognize"} <= names and names & {"navigate", "navigate (early)"}
        # Whisper listened in the background while the person spoke, beside the frames.
        assert any(s["name"] == "listen" and s["lane"] == "verifier" for s in trace_msg["spans"])
        assert client.get("/voicetour/metrics").status_code == 401  # off the machine: operators only
        text = client.get("/voicetour/metrics", headers=admin).text
        assert "voicetour_e2e_latency_seconds_count 1.0" in text
        assert "voicetour_voice_to_visible_seconds_count 1.0" in text
        assert 'voicetour_errors_total{code="bad_audio",stage="protocol"} 1.0' in text
        assert "voicetour_turns_total 1.0" in text and "process_cpu_seconds_total" in text
        assert 'voicetour_listens_total{outcome="answered",when="speaking"}' in text
        assert ready["session"] in client.get("/voicetour/trace", headers=admin).json()["sessions"]
        trace = client.get(f"/voicetour/trace/{ready['session']}", headers=admin).json()
        assert any(e.get("name") == "visible (loaded)" for e in trace["traceEvents"])
        assert client.get("/voicetour/trace/nope", headers=admin).status_code == 404
        # What visitors said is not for anyone else: no key, a wrong key, another site's page.
        other_site = {"Origin": "http://evil.example"}
        for path in ("/voicetour/trace", "/voicetour/trace/all", f"/voicetour/trace/{ready['session']}"):
            for headers in ({}, {"Authorization": "Bearer nope"}, other_site):
                refused = client.get(path, headers=headers)
                assert refused.status_code == 401 and "admin key" in refused.json()["error"]
        for path in ("/voicetour/trace", "/voicetour/metrics", "/voicetour/"):
            assert "access-control-allow-origin" not in client.get(path, headers={**admin, **other_site}).headers
        # The embed snippet's files and the site summary are for the product's pages, on their own origin.
        for path in ("/voicetour/site", "/voicetour/static/voicetour.js"):
            assert client.get(path, headers=other_site).headers["access-control-allow-origin"] == "*"
        own = ("/voicetour/", "/voicetour/static/tour.js", "/voicetour/site", "/voicetour/metrics")
        for path in own:  # voicetour's own responses
            headers = client.get(path, headers=admin).headers
            assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
            assert "frame-ancestors 'self'" in headers["content-security-policy"]
            assert "default-src 'self'" in headers["content-security-policy"]
        assert "content-security-policy" not in client.get("/index.html").headers  # the product's own


def test_page_visible_before_the_speaker_finished(grammar_engine) -> None:  # type: ignore[no-untyped-def]
    """The usual case: the browser reports the page while the turn is still open; the metric comes
    with the turn's end, negative."""
    recognizer = ScriptedRecognizer({25: "show me billing"}, final="show me billing")
    session = Session(grammar_engine, recognizer=recognizer, clock=FakeClock(), config=EAGER)
    out = feed(session, TurnRecorder(), speech(), paint_ms=16)
    nav = next(e for e in out if isinstance(e, Navigate))
    ended = next(e for e in out if isinstance(e, SpeechEnded))
    v2v = [m.value_ms for m in out if getattr(m, "name", "") == "voice_to_visible"]
    assert v2v == [nav.audio_ms + 16 - ended.last_voiced_ms] and v2v[0] < 0
