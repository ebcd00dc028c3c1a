"""Browser <-> server messages (docs/protocol.md): parse what the client sends, render events.

Pure functions; the WebSocket handler in app.py only moves bytes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from voicetour.errors import ProtocolError
from voicetour.events import Event, Final, Metric
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


PATH = re.compile(r"/(?![/\\])[^\x00-\x20\\]*")
"""A page of the product as the client reports it: a path, never another origin ("//evil.example",
"javascript:...")."""


def check_page_url(kind: str, url: object) -> None:
    """Raise ProtocolError unless ``url`` is absent or a path of the product."""
    if url not in (None, "") and not (isinstance(url, str) and PATH.fullmatch(url)):
        raise ProtocolError(f'"{kind}" url must be a path of the product ("/team.html"), got {str(url)[:80]!r}')


def parse_text(raw: str) -> ClientMessage:
    try:
        size = len(raw.encode("utf-8"))
    except UnicodeEncodeError as exc:
        raise ProtocolError("text message is not valid UTF-8 (a lone surrogate)") from exc
    if size > MAX_TEXT_BYTES:
        raise ProtocolError(f"text message larger than {MAX_TEXT_BYTES} bytes", code="too_large")
    try:
        obj = json.loads(raw)
        json.dumps(obj, ensure_ascii=False).encode("utf-8")  # "\ud800" escapes decode to lone surrogates
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"text message is not JSON ({exc.msg})") from exc
    except RecursionError as exc:
        raise ProtocolError("text message is nested too deeply") from exc
    except UnicodeEncodeError as exc:
        raise ProtocolError("text message holds a string that is not valid Unicode (a lone surrogate)") from exc
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
    if kind in ("hello", "page"):
        check_page_url(kind, obj.get("url"))
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
    """The JSON message for an event: its class's ``wire`` type and its fields (None for events
    the browser does not need: requests to the shell, spans). One renderer for every shell:
    ``simulate`` prints the same objects."""
    if ev.wire is None:
        return None
    msg: dict[str, Any] = {"type": ev.wire}
    for f in fields(ev):
        msg[f.name] = _plain(getattr(ev, f.name))
    if isinstance(ev, Final):
        msg["typed"] = ev.typed
    elif isinstance(ev, Metric):
        msg["labels"] = dict(ev.labels)
    return msg


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    return value
