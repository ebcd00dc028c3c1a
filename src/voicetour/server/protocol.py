"""Browser <-> server messages (docs/protocol.md): parse what the client sends, render events.

Pure functions; the WebSocket handler in app.py only moves bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from voicetour.errors import ProtocolError
from voicetour.events import (
    Back,
    Cancel,
    Candidates,
    Event,
    Final,
    Highlight,
    Metric,
    Navigate,
    Partial,
    Prerender,
    Rejected,
    Say,
    Scroll,
    SpeechEnded,
    SpeechStarted,
    State,
    Stop,
)
from voicetour.telemetry.trace import TraceSpan

MAX_AUDIO_BYTES = 32_000  # one message: at most 1 s of 16 kHz PCM16
MAX_TEXT_BYTES = 4_096
CLIENT_TYPES = ("hello", "text", "page", "visible", "ping")


@dataclass(frozen=True)
class ClientMessage:
    type: str
    data: dict[str, Any]


def check_audio(data: bytes) -> None:
    if len(data) > MAX_AUDIO_BYTES:
        raise ProtocolError(
            f"audio message of {len(data)} bytes is larger than {MAX_AUDIO_BYTES} (1 s); send 20 ms frames",
            code="too_large",
        )
    if len(data) % 2:
        raise ProtocolError(
            f"audio message of {len(data)} bytes is not whole PCM16 samples (odd byte count)", code="bad_audio"
        )


def parse_text(raw: str) -> ClientMessage:
    if len(raw.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ProtocolError(f"text message larger than {MAX_TEXT_BYTES} bytes", code="too_large")
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"text message is not JSON ({exc.msg})") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
        raise ProtocolError('text message must be a JSON object with a "type"')
    kind = obj["type"]
    if kind not in CLIENT_TYPES:
        raise ProtocolError(f"unknown message type {kind!r}; expected one of {', '.join(CLIENT_TYPES)}",
                            code="unknown_type")
    if kind == "text" and (not isinstance(obj.get("text"), str) or not obj["text"].strip()):
        raise ProtocolError('"text" message needs a non-empty "text" string')
    if kind in ("page", "visible") and not isinstance(obj.get("url"), str):
        raise ProtocolError(f'"{kind}" message needs a "url" string')
    return ClientMessage(kind, obj)


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def render_trace(turn: int, spans: list[TraceSpan]) -> dict[str, Any]:
    """One turn's waterfall for the tour page's debug panel: ms relative to the turn's first span."""
    t0 = min((s.start_ns for s in spans), default=0)
    return {"type": "trace", "turn": turn, "spans": [
        {"lane": s.lane, "name": s.name, "start_ms": round((s.start_ns - t0) / 1e6, 1),
         "end_ms": round((s.end_ns - t0) / 1e6, 1), "detail": s.detail} for s in spans
    ]}


def render(ev: Event) -> dict[str, Any] | None:
    """The JSON message for an event (None for events the browser does not need)."""
    base: dict[str, Any] = {"turn": ev.turn, "audio_ms": ev.audio_ms}
    match ev:
        case Partial(text=text):
            return {"type": "partial", "text": text, **base}
        case Final(text=text, typed=typed, source=source):
            return {"type": "final", "text": text, "typed": typed, "source": source, **base}
        case Candidates(items=items):
            return {"type": "candidates", "items": [
                {"target": c.target, "url": c.url, "score": c.score, "selector": c.selector} for c in items
            ], **base}
        case Prerender(urls=urls):
            return {"type": "prerender", "urls": list(urls), **base}
        case Navigate(url=url, target=target, early=early):
            return {"type": "navigate", "url": url, "target": target, "early": early, **base}
        case Highlight(selector=selector, label=label):
            return {"type": "highlight", "selector": selector, "label": label, **base}
        case Cancel(url=url, reason=reason):
            return {"type": "cancel", "url": url, "reason": reason, **base}
        case Back(url=url):
            return {"type": "back", "url": url, **base}
        case Scroll(direction=direction):
            return {"type": "scroll", "direction": direction, **base}
        case Stop():
            return {"type": "stop", **base}
        case Say(text=text):
            return {"type": "say", "text": text, **base}
        case State(state=state):
            return {"type": "state", "state": state, **base}
        case Rejected(text=text, reason=reason):
            return {"type": "rejected", "text": text, "reason": reason, **base}
        case SpeechStarted():
            return {"type": "speech_start", **base}
        case SpeechEnded(last_voiced_ms=last):
            return {"type": "speech_end", "last_voiced_ms": last, **base}
        case Metric():
            return render_metric(ev)
    return None


def render_metric(m: Metric) -> dict[str, Any]:
    return {"type": "metric", "name": m.name, "value_ms": m.value_ms, "labels": m.labels, "turn": m.turn,
            "audio_ms": m.audio_ms}
