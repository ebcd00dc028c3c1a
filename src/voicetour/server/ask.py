"""Typed requests without a conversation: ``POST /voicetour/ask``.

When every place for a conversation is taken, a new visitor is told the tour is busy and the
page falls back to its typed box, which asks here: one request, one answer, no recognizer (the
session is built without one, so it costs the ranking only, a few ms), nothing kept. The body is
the socket's ``text`` message plus the page the visitor is on; the answer is the messages the
socket would have sent for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from voicetour.errors import ProtocolError
from voicetour.server.protocol import MAX_TEXT_BYTES, check_page_url, error, parse_text, render
from voicetour.session.core import Session
from voicetour.session.engine import Engine


class NoAudio:
    """The recognizer of a session that only reads typed text."""

    def start(self) -> None:
        raise ProtocolError("this session takes typed requests only")

    def feed(self, frame: bytes) -> str:
        raise ProtocolError("this session takes typed requests only")

    def finish(self) -> str:
        return ""


async def _body(request: Request) -> str:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_TEXT_BYTES:
            raise ProtocolError(f"the request is larger than {MAX_TEXT_BYTES} bytes", code="too_large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError("the request is not UTF-8") from exc


async def answer(request: Request, engine: Engine, clock: Callable[[], int]) -> Response:
    """The answer to one typed request (400 with an ``error`` message when it is not one)."""
    try:
        msg = parse_text(await _body(request))
        if msg.type != "text":
            raise ProtocolError(f'/voicetour/ask takes a "text" message, not {msg.type!r}')
        url = msg.data.get("url")
        check_page_url("text", url)
    except ProtocolError as exc:
        return JSONResponse(error(exc.code, str(exc)), status_code=413 if exc.code == "too_large" else 400)

    def run() -> list[dict[str, object]]:
        session = Session(engine, recognizer=NoAudio(), start_url=url or None, clock=clock)
        events = session.feed_text(msg.data["text"], clock())
        return [m for m in map(render, events) if m is not None]

    return JSONResponse({"messages": await asyncio.to_thread(run)})
