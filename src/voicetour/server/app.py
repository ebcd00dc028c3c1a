"""The Starlette application: tour page, product pages, site summary and the /ws session socket.

One Session (and so one recognizer) per WebSocket. The handler is a thin loop: receive, check,
feed the core (in a worker thread: decoding is CPU work), send the rendered events.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from voicetour import clock
from voicetour.audio import SAMPLE_RATE
from voicetour.errors import ProtocolError
from voicetour.events import Event
from voicetour.server.protocol import check_audio, error, parse_text, render
from voicetour.session.core import Session
from voicetour.session.engine import Engine
from voicetour.site.model import Site

STATIC = Path(str(resources.files("voicetour") / "server" / "static"))
REALTIME_SLACK_MS = 2_000
"""Audio may run ahead of the wall clock by this much (network bursts) before we refuse it."""


class SessionSocket:
    """The shell around one Session."""

    def __init__(self, ws: WebSocket, engine: Engine) -> None:
        self.ws = ws
        self.engine = engine
        self.session: Session | None = None
        self.started_ns = clock.monotonic_ns()
        self.received_ms = 0.0

    async def send_events(self, events: list[Event]) -> None:
        for ev in events:
            msg = render(ev)
            if msg is not None:
                await self.ws.send_json(msg)

    async def run(self) -> None:
        await self.ws.accept()
        self.session = await asyncio.to_thread(Session, self.engine)
        await self.ws.send_json({"type": "ready", "site": self.engine.site.name, "sample_rate": SAMPLE_RATE,
                                 "frame_ms": 20})
        try:
            while True:
                deadline = self.session.next_deadline()
                timeout = None if deadline is None else max(0.0, (deadline - clock.monotonic_ns()) / 1e9)
                try:
                    message = await asyncio.wait_for(self.ws.receive(), timeout)
                except TimeoutError:
                    await self.send_events(self.session.tick(clock.monotonic_ns()))
                    continue
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    await self.handle(message)
                except ProtocolError as exc:
                    await self.ws.send_json(error(exc.code, str(exc)))
        except WebSocketDisconnect:
            pass
        finally:
            # A client that vanished mid-sentence: finish the utterance so nothing leaks.
            self.session.close(clock.monotonic_ns())

    async def handle(self, message: MutableMapping[str, Any]) -> None:
        assert self.session is not None
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            check_audio(data)
            elapsed_ms = (clock.monotonic_ns() - self.started_ns) / 1e6
            if self.received_ms + len(data) / 32 > elapsed_ms + REALTIME_SLACK_MS:
                raise ProtocolError(
                    f"audio is arriving faster than real time ({self.received_ms / 1000:.1f} s of audio in "
                    f"{elapsed_ms / 1000:.1f} s); this chunk was not processed", code="too_fast")
            self.received_ms += len(data) / 32
            events = await asyncio.to_thread(self.session.feed_audio, data, clock.monotonic_ns())
            await self.send_events(events)
            return
        msg = parse_text(message.get("text") or "")
        if msg.type == "hello" or msg.type == "page":
            url = msg.data.get("url") or msg.data.get("page")
            if isinstance(url, str) and url:
                self.session.url = url
        elif msg.type == "text":
            events = await asyncio.to_thread(self.session.feed_text, msg.data["text"], clock.monotonic_ns())
            await self.send_events(events)
        elif msg.type == "ping":
            await self.ws.send_json({"type": "pong", "t": msg.data.get("t")})


def create_app(site: Site, app_dir: Path | None = None, engine: Engine | None = None) -> Starlette:
    """The ASGI app. With ``app_dir`` the product is served from that folder at /app; otherwise
    /app proxies to the site's base_url."""
    engine = engine or Engine.for_site(site)

    async def tour(request: Request) -> Response:
        return FileResponse(STATIC / "tour.html")

    async def site_summary(request: Request) -> Response:
        return JSONResponse({
            "name": site.name,
            "pages": [{"id": p.id, "url": p.url, "title": p.title} for p in site.pages],
            "examples": _examples(engine),
        })

    async def socket(ws: WebSocket) -> None:
        await SessionSocket(ws, engine).run()

    routes: list[Route | Mount | WebSocketRoute] = [
        Route("/", tour),
        Route("/site", site_summary),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if app_dir is not None:
        routes.append(Mount("/app", StaticFiles(directory=app_dir, html=True), name="app"))
    else:
        routes.append(Route("/app/{path:path}", _proxy(site.base_url)))
    return Starlette(routes=routes)


def _examples(engine: Engine) -> list[str]:
    out = []
    for t in engine.targets:
        if t.selector is None:
            out.append(f"show me {t.title.lower()}")
        elif t.label.split()[0].lower() in ("invite", "export", "create", "add", "change"):
            out.append(f"how do I {t.label[0].lower()}{t.label[1:]}")
    return out[:6]


def _proxy(base_url: str):  # type: ignore[no-untyped-def]
    client = httpx.AsyncClient(timeout=10.0, follow_redirects=False)

    async def proxy(request: Request) -> Response:
        if not base_url:
            return Response("this site has no base_url and no --app-dir", status_code=404)
        url = base_url.rstrip("/") + "/" + request.path_params["path"]
        if request.url.query:
            url += "?" + request.url.query
        try:
            upstream = await client.get(url)
        except httpx.HTTPError as exc:
            return Response(f"voicetour could not reach {url}: {exc.__class__.__name__}: {exc}",
                            status_code=502, media_type="text/plain")
        headers = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "cache-control")}
        return Response(upstream.content, status_code=upstream.status_code, headers=headers)

    return proxy

