"""Property-based fuzzing of the browser ↔ server protocol (hypothesis): whatever a client sends
(text frames that are JSON or not, any client message type with fields of any shape, binary
frames of any length), the server answers with well-formed messages, `error` ones naming a code,
or closes the socket cleanly with a code that says why; never an unhandled exception. After the
junk, the same socket still answers a ping unless it was closed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from voicetour.cli import demo_app_dir
from voicetour.server.app import create_app
from voicetour.server.protocol import CLIENT_TYPES

CLEAN_CLOSES = {1000, 1008, 1009, 1013}
"""Normal, policy (origin), too big, try again later: every close the server makes on purpose."""

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
                    st.sampled_from(["\ud800", "/\udfff", "//evil.example/x", "javascript:alert(1)", "/billing.html",
                                     "show me billing", "x" * 5000, ""]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                             max_size=4),
                      max_leaves=12)
client_messages = st.fixed_dictionaries(
    {"type": st.sampled_from([*CLIENT_TYPES, "launch_rockets", 7, None])},
    optional={"text": values, "url": values, "turn": values, "t": values, "delay_ms": values, "prerendered": values,
              "ready": values})
frames = st.one_of(
    client_messages.map(lambda m: ("text", json.dumps(m))),
    values.map(lambda v: ("text", json.dumps(v))),
    st.text(max_size=200).map(lambda t: ("text", t)),
    st.sampled_from(["[" * 3000 + "]" * 3000, '{"type": "text", "text": "\\ud800"}', "{" * 100]).map(
        lambda t: ("text", t)),
    st.binary(max_size=3000).map(lambda b: ("bytes", b)),
    st.integers(min_value=0, max_value=40_000).map(lambda n: ("bytes", b"\x00" * n)),
)


@pytest.fixture(scope="module")
def app(site, engine):  # type: ignore[no-untyped-def]
    return create_app(site, app_dir=demo_app_dir(), engine=engine, connects_per_minute=0)


def _well_formed(message: dict[str, Any]) -> None:
    assert isinstance(message.get("type"), str), message
    if message["type"] == "error":
        assert isinstance(message.get("code"), str) and isinstance(message.get("message"), str) and message["message"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=st.lists(frames, min_size=1, max_size=6))
def test_any_input_gets_an_answer_or_a_clean_close_never_a_crash(app, sent) -> None:  # type: ignore[no-untyped-def]
    with TestClient(app) as client, client.websocket_connect("/voicetour/ws") as ws:
        assert ws.receive_json()["type"] == "ready"
        try:
            for kind, data in sent:
                ws.send_bytes(data) if kind == "bytes" else ws.send_text(data)
            ws.send_json({"type": "ping", "t": 1})
            for _ in range(500):
                message = ws.receive_json()
                _well_formed(message)
                if message["type"] == "pong":
                    break
            else:
                raise AssertionError("no pong")
        except WebSocketDisconnect as closed:
            assert closed.code in CLEAN_CLOSES, closed.code
