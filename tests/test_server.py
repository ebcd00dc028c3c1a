"""The protocol through Starlette's TestClient, and a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets
from starlette.testclient import TestClient

from voicetour.audio.wav import read_wav
from voicetour.cli import demo_app_dir
from voicetour.server.app import create_app
from voicetour.session.engine import Engine
from voicetour.site.model import parse_site

from .conftest import SPEECH, resuming, running


@pytest.fixture(scope="module")
def app(site, engine):  # type: ignore[no-untyped-def]
    return create_app(site, app_dir=demo_app_dir(), engine=engine)


def receive_until(ws, kind: str, limit: int = 400) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    seen = []
    for _ in range(limit):
        msg = ws.receive_json()
        seen.append(msg)
        if msg["type"] == kind:
            return seen
    raise AssertionError(f"no {kind!r} in {[m['type'] for m in seen]}")


def test_pages_are_served(app) -> None:  # type: ignore[no-untyped-def]
    c = TestClient(app)
    assert 'id="stage"' in c.get("/voicetour/").text  # the tour page
    assert 'id="stage"' not in c.get("/").text and "Acme Cloud" in c.get("/").text  # the product, at the root
    assert "Invite a colleague" in c.get("/team.html").text
    assert c.get("/voicetour/site").json()["name"] == "Acme Cloud"
    assert "AudioWorkletProcessor" in c.get("/voicetour/static/capture-worklet.js").text


def test_typed_request_over_the_socket(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app).websocket_connect("/voicetour/ws") as ws:
        assert ws.receive_json()["type"] == "ready"
        ws.send_json({"type": "hello", "url": "/index.html"})
        ws.send_json({"type": "text", "text": "how do I invite a teammate"})
        msgs = receive_until(ws, "say")
        nav = [m for m in msgs if m["type"] == "navigate"]
        assert nav and nav[0]["url"] == "/team.html"
        assert any(m["type"] == "highlight" and m["selector"] == "#invite" for m in msgs)


def test_spoken_request_over_the_socket(app) -> None:  # type: ignore[no-untyped-def]
    pcm = read_wav(SPEECH / "piper-00.wav") + b"\x00" * 32 * 700
    with TestClient(app).websocket_connect("/voicetour/ws") as ws:
        ws.receive_json()
        for i in range(0, len(pcm), 640):
            ws.send_bytes(pcm[i : i + 640])
        msgs = receive_until(ws, "trace")  # the turn's waterfall comes last, after its metrics
        assert [m["url"] for m in msgs if m["type"] == "navigate"] == ["/billing.html"]
        assert any(m["type"] == "partial" for m in msgs)
        assert "billing" in next(m for m in msgs if m["type"] == "final")["text"].lower()
    # What the request cost in CPU, by stage (the real recognizer's frames, real whisper's listens
    # in its own threads), adds up to the whole; and /metrics has it too.
    cpu = {m["labels"].get("stage", "all"): m["value_ms"] for m in msgs if m["type"] == "metric" and m["name"] == "cpu"}
    print("cpu of the turn (ms):", cpu)
    assert cpu["frames"] > 0 and cpu["listen"] > 0, cpu
    assert cpu["all"] == pytest.approx(sum(v for k, v in cpu.items() if k != "all"), abs=0.05)
    operator = {"Authorization": f"Bearer {app.state.admin_key}"}
    exposition = TestClient(app).get("/voicetour/metrics", headers=operator).text
    assert 'voicetour_cpu_seconds_total{stage="listen"}' in exposition
    per_turn = next(line for line in exposition.splitlines() if line.startswith("voicetour_cpu_seconds_per_turn "))
    assert float(per_turn.split()[1]) > 0


@pytest.mark.parametrize(
    ("send", "code"),
    [
        (lambda ws: ws.send_bytes(b"\x01\x02\x03"), "bad_audio"),
        (lambda ws: ws.send_bytes(b"\x00" * 40_000), "too_large"),
        (lambda ws: ws.send_text("not json"), "invalid_message"),
        (lambda ws: ws.send_json({"type": "launch_rockets"}), "unknown_type"),
        (lambda ws: ws.send_text(json.dumps({"type": "text", "text": "x" * 5000})), "too_large"),
        (lambda ws: ws.send_json({"type": "text"}), "invalid_message"),
        (lambda ws: ws.send_text("[" * 2000 + "]" * 2000), "invalid_message"),  # nested too deeply
        (lambda ws: ws.send_text('{"type": "visible", "url": "/\\ud800", "turn": 1}'), "invalid_message"),
        (lambda ws: ws.send_json({"type": "page", "url": "javascript:alert(1)"}), "invalid_message"),
        (lambda ws: ws.send_json({"type": "hello", "url": "//evil.example/x"}), "invalid_message"),
    ],
)
def test_bad_input_gets_an_error_and_the_session_goes_on(app, send, code) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app).websocket_connect("/voicetour/ws") as ws:
        ws.receive_json()
        send(ws)
        err = ws.receive_json()
        assert err["type"] == "error" and err["code"] == code and err["message"]
        ws.send_json({"type": "text", "text": "open billing"})
        msgs = receive_until(ws, "say")
        assert any(m["type"] == "navigate" and m["url"] == "/billing.html" for m in msgs)


def test_audio_faster_than_real_time_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app).websocket_connect("/voicetour/ws") as ws:
        ws.receive_json()
        for _ in range(12):  # 12 s of audio at once
            ws.send_bytes(b"\x00" * 32_000)
        msgs = receive_until(ws, "error", limit=50)
        assert msgs[-1]["code"] == "too_fast"


def test_real_uvicorn_two_independent_sessions_and_a_vanishing_client(app) -> None:  # type: ignore[no-untyped-def]
    pcm = read_wav(SPEECH / "piper-02.wav")

    async def vanish() -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/voicetour/ws") as ws:
            await ws.recv()
            for i in range(0, len(pcm) // 2, 640):
                await ws.send(pcm[i : i + 640])
        # closed mid-sentence

    async def ask(text: str) -> str:
        async with websockets.connect(f"ws://127.0.0.1:{port}/voicetour/ws") as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "text", "text": text}))
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] == "navigate":
                    return str(msg["url"])

    async def main() -> list[str]:
        await vanish()
        return list(await asyncio.gather(ask("show me billing"), ask("open the reports")))

    with running(app) as port:
        assert asyncio.run(main()) == ["/billing.html", "/reports.html"]


def test_a_page_that_reconnects_before_the_old_socket_closed_still_resumes(app) -> None:  # type: ignore[no-untyped-def]
    """After a full page load the new page often connects while the server is still closing the
    old socket: it waits for the session to be parked instead of starting a new one."""

    async def main() -> tuple[bool, str, bool]:
        async with websockets.connect(f"ws://127.0.0.1:{port}/voicetour/ws") as old:
            token = json.loads(await old.recv())["resume"]
            await old.send(json.dumps({"type": "text", "text": "show me billing"}))
            new = await websockets.connect(f"ws://127.0.0.1:{port}/voicetour/ws", subprotocols=resuming(token))
            assert new.subprotocol == "voicetour"
            await asyncio.sleep(0.3)  # the new page is up; the old one has not gone yet
        # the old socket closes here
        try:
            ready = json.loads(await new.recv())
            assert ready["resume"] != token  # a token is spent once used
            await new.send(json.dumps({"type": "text", "text": "go back"}))
            while (msg := json.loads(await new.recv()))["type"] != "say":
                pass
        finally:
            await new.close()
        async with websockets.connect(f"ws://127.0.0.1:{port}/voicetour/ws", subprotocols=resuming(token)) as stolen:
            again = json.loads(await stolen.recv())
        # A token in the URL, where logs and proxies keep it, resumes nothing.
        async with websockets.connect(f"ws://127.0.0.1:{port}/voicetour/ws?resume={ready['resume']}") as logged:
            in_url = json.loads(await logged.recv())
        assert in_url["resumed"] is False
        return bool(ready["resumed"]), str(msg["text"]), bool(again["resumed"])

    with running(app) as port:
        resumed, said, replayed = asyncio.run(main())
    assert resumed
    assert said == "Going back."  # the same conversation: it remembers the page before billing
    assert not replayed  # the old token, seen in a URL or a log, resumes nothing


def test_past_capacity_a_new_visitor_is_told_the_tour_is_busy(site, engine) -> None:  # type: ignore[no-untyped-def]
    from starlette.websockets import WebSocketDisconnect

    app = create_app(site, app_dir=demo_app_dir(), engine=engine, max_sessions=1)
    with TestClient(app) as client:
        with client.websocket_connect("/voicetour/ws") as first:
            assert first.receive_json()["type"] == "ready"
            with client.websocket_connect("/voicetour/ws") as second:
                busy = second.receive_json()
                assert busy["type"] == "error" and busy["code"] == "busy" and "try again" in busy["message"]
                with pytest.raises(WebSocketDisconnect) as closed:
                    second.receive_json()
                assert closed.value.code == 1013
            first.send_text(json.dumps({"type": "text", "text": "show me billing"}))
            assert receive_until(first, "navigate")[-1]["url"] == "/billing.html"  # the admitted one goes on
        with client.websocket_connect("/voicetour/ws") as third:  # the place is free again
            assert third.receive_json()["type"] == "ready"


def test_a_client_that_sends_but_never_reads_cannot_grow_the_server(site, engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Messages waiting for the core are bounded, and a message the client never takes ends the
    session instead of holding it (and everything queued behind it) forever."""
    from voicetour.errors import ProtocolError
    from voicetour.server import socket as socket_module
    from voicetour.server.parking import Sessions
    from voicetour.server.socket import ClientGone, SessionSocket
    from voicetour.telemetry.metrics import Metrics

    class Deaf:
        async def send_json(self, msg: object) -> None:
            await asyncio.sleep(3600)

    sock = SessionSocket(Deaf(), engine, Metrics(), Sessions({}, lambda: 0), lambda: 0)  # type: ignore[arg-type]
    ping = {"type": "websocket.receive", "text": json.dumps({"type": "ping", "t": 1})}
    for _ in range(socket_module.MAX_WAITING_MESSAGES):
        sock.accept(ping)
    with pytest.raises(ProtocolError) as refused:
        sock.accept(ping)
    assert refused.value.code == "overloaded" and "'ping' message was not processed" in str(refused.value)
    assert len(sock.inbox) == socket_module.MAX_WAITING_MESSAGES
    monkeypatch.setattr(socket_module, "SEND_TIMEOUT_S", 0.05)
    with pytest.raises(ClientGone):
        asyncio.run(sock.send({"type": "pong"}))


def test_parked_sessions_are_bounded_oldest_first(engine) -> None:  # type: ignore[no-untyped-def]
    from voicetour.server.parking import PARKED_PER_SESSION, Sessions
    from voicetour.session.core import Session

    sessions = Sessions({}, lambda: 0, max_open=1)  # type: ignore[arg-type]
    parked = []
    for _ in range(PARKED_PER_SESSION + 2):
        token, recorder = sessions.new()
        session = Session(engine)
        sessions.park(token, session, recorder, [])
        parked.append((token, session))
    assert list(sessions.parked) == [t for t, _ in parked[-PARKED_PER_SESSION:]]
    assert all(s.closed for _, s in parked[:2]) and not any(s.closed for _, s in parked[2:])


def test_sessions_only_from_the_products_pages_and_its_own(app) -> None:  # type: ignore[no-untyped-def]
    """Any website a visitor opens could otherwise open sessions on the server in their name."""
    client = TestClient(app)
    with client.websocket_connect("/voicetour/ws", headers={"Origin": "http://evil.example"}) as ws:
        refused = ws.receive_json()
        assert refused["type"] == "error" and refused["code"] == "origin" and "evil.example" in refused["message"]
    with client.websocket_connect("/voicetour/ws", headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["type"] == "ready"  # the tour page, on voicetour's own origin
    site = parse_site({"name": "P", "base_url": "https://product.example/app/",
                       "pages": [{"id": "home", "url": "/", "title": "Home"}]})
    other = TestClient(create_app(site, engine=Engine.for_site(site, verify=False),
                                  allowed_origins=("https://www.product.example",)))
    for origin in ("https://product.example", "https://www.product.example"):
        with other.websocket_connect("/voicetour/ws", headers={"Origin": origin}) as ws:
            assert ws.receive_json()["type"] == "ready", origin


def test_a_typed_request_without_a_conversation(app) -> None:  # type: ignore[no-untyped-def]
    """POST /voicetour/ask: what the typed box uses when the tour is full or the socket is down."""
    c = TestClient(app)
    answer = c.post("/voicetour/ask", json={"type": "text", "text": "how do I invite a teammate", "url": "/index.html"})
    assert answer.status_code == 200
    msgs = answer.json()["messages"]
    assert [m["url"] for m in msgs if m["type"] == "navigate"] == ["/team.html"]
    assert any(m["type"] == "highlight" and m["selector"] == "#invite" for m in msgs)
    assert any(m["type"] == "say" for m in msgs)
    # Not a request about the product: nothing moves, and it says so.
    other = c.post("/voicetour/ask", json={"type": "text", "text": "what's the weather like", "url": "/team.html"})
    assert not [m for m in other.json()["messages"] if m["type"] == "navigate"]
    assert any(m["type"] == "rejected" for m in other.json()["messages"]), other.json()
    # Bad input: a clear error, nothing else happens.
    for body, status, code in [
        (b"not json", 400, "invalid_message"),
        (json.dumps({"type": "ping"}).encode(), 400, "invalid_message"),
        (json.dumps({"type": "text", "text": "x" * 5000}).encode(), 413, "too_large"),
        (json.dumps({"type": "text", "text": "billing", "url": "//evil.example/x"}).encode(), 400, "invalid_message"),
        (b"\xff\xfe", 400, "invalid_message"),
    ]:
        bad = c.post("/voicetour/ask", content=body)
        assert bad.status_code == status and bad.json()["code"] == code, (body[:40], bad.text)
    # Another site's page may not ask; the product's own pages may, and may read the answer.
    foreign = c.post("/voicetour/ask", json={"type": "text", "text": "billing"}, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["code"] == "origin"


def test_one_address_opening_conversations_in_a_loop_is_told_to_wait(site, engine) -> None:  # type: ignore[no-untyped-def]
    from starlette.websockets import WebSocketDisconnect

    from voicetour.server.limits import Arrivals

    app = create_app(site, app_dir=demo_app_dir(), engine=engine, connects_per_minute=3)
    with TestClient(app) as client:
        for _ in range(3):
            with client.websocket_connect("/voicetour/ws") as ws:
                assert ws.receive_json()["type"] == "ready"
        with client.websocket_connect("/voicetour/ws") as ws:
            told = ws.receive_json()
            assert told["code"] == "busy" and "a minute" in told["message"]
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1013
        operator = {"Authorization": f"Bearer {app.state.admin_key}"}
        assert 'voicetour_errors_total{code="rate",stage="socket"} 1.0' in client.get("/voicetour/metrics",
                                                                                      headers=operator).text
    now = [0]
    arrivals = Arrivals(2, lambda: now[0])
    assert [arrivals.admit("a") for _ in range(3)] == [True, True, False]
    assert arrivals.admit("b")  # another address has its own count
    now[0] += 30 * 10**9
    assert not arrivals.admit("a")  # trying again within the minute counts too
    now[0] += 61 * 10**9
    assert arrivals.admit("a")  # the minute has passed
    assert all(Arrivals(0, lambda: 0).admit("a") for _ in range(100))  # 0: no limit


def test_traces_without_transcripts_keep_timings_and_pages_not_words(site, engine) -> None:  # type: ignore[no-untyped-def]
    admin = {"Authorization": "Bearer k3y"}
    for transcripts in (True, False):
        app = create_app(site, app_dir=demo_app_dir(), engine=engine, admin_key="k3y", transcripts=transcripts)
        with TestClient(app) as client:
            with client.websocket_connect("/voicetour/ws") as ws:
                session = ws.receive_json()["session"]
                ws.send_text(json.dumps({"type": "text", "text": "my password is hunter2 show me billing"}))
                receive_until(ws, "say")
            trace = client.get(f"/voicetour/trace/{session}", headers=admin).text
        assert ("hunter2" in trace) is transcripts
        assert "/billing.html" in trace  # where the visitor was taken is kept either way


def test_past_full_sessions_requests_are_heard_lean_and_in_full_again_when_it_is_quieter(site, engine) -> None:  # type: ignore[no-untyped-def]
    """With more sessions open than ``full_sessions``, a spoken request is heard by whisper alone at
    the pause (no grammar partials) and still goes to its page; when the other visitor leaves, the
    next request is heard in full again."""
    pcm = read_wav(SPEECH / "piper-00.wav") + b"\x00" * 32 * 700
    app = create_app(site, app_dir=demo_app_dir(), engine=engine, full_sessions=1)
    operator = {"Authorization": f"Bearer {app.state.admin_key}"}

    def speak(ws) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
        for i in range(0, len(pcm), 640):  # in real time: twice in a row at once is refused as too fast
            ws.send_bytes(pcm[i : i + 640])
            time.sleep(0.02)
        msgs = receive_until(ws, "trace")
        assert not any(m["type"] == "error" for m in msgs), msgs
        return msgs

    def lean_turns(client: TestClient) -> float:
        text = client.get("/voicetour/metrics", headers=operator).text
        return float(next(x for x in text.splitlines() if x.startswith("voicetour_lean_turns_total ")).split()[1])

    with TestClient(app) as client:
        with client.websocket_connect("/voicetour/ws") as second:
            assert second.receive_json()["type"] == "ready"
            with client.websocket_connect("/voicetour/ws") as first:
                assert first.receive_json()["type"] == "ready"
                msgs = speak(second)  # two open, one heard in full: lean
                assert [m["url"] for m in msgs if m["type"] == "navigate"] == ["/billing.html"]
                assert not any(m["type"] == "partial" and m["text"] for m in msgs)
                assert lean_turns(client) == 1
            msgs = speak(second)  # alone again: in full
            assert any(m["type"] == "partial" and m["text"] for m in msgs)
            assert lean_turns(client) == 1
