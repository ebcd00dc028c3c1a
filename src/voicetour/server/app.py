"""The Starlette application. The product is at the root, as it is on its own origin (served from
a folder, or proxied from the site's ``base_url``: server/proxy.py), so that its root-relative
stylesheets, scripts, API calls and router work unchanged; voicetour's own routes are under one
reserved prefix, ``/voicetour/``: the tour page, the site summary, metrics, traces, static files and
the ``ws`` session socket (server/socket.py). Parked sessions: server/parking.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from voicetour import clock as real_clock
from voicetour.intent.naming import ACTION_VERBS
from voicetour.server import PREFIX
from voicetour.server.ask import answer as typed_answer
from voicetour.server.limits import CONNECTS_PER_MINUTE, PARK_SECONDS, Arrivals
from voicetour.server.parking import KEEP_TRACES, Sessions, trim_heap
from voicetour.server.protocol import error
from voicetour.server.proxy import METHODS, proxy
from voicetour.server.proxy_socket import socket_proxy
from voicetour.server.socket import SessionSocket, subprotocol
from voicetour.session.engine import Engine
from voicetour.session.reply import task_of
from voicetour.site.model import Site
from voicetour.telemetry.metrics import Metrics
from voicetour.telemetry.trace import TurnRecorder, chrome_trace

STATIC = Path(str(resources.files("voicetour") / "server" / "static"))
WORKER_THREADS = 32


ASK_AT_ONCE = 4
"""Typed requests without a conversation answered at once (a few ms each); more get 503."""


def create_app(site: Site, app_dir: Path | None = None, engine: Engine | None = None,
               clock: Callable[[], int] = real_clock.monotonic_ns, admin_key: str | None = None,
               max_sessions: int | None = None, allowed_origins: tuple[str, ...] = (),
               connects_per_minute: int = CONNECTS_PER_MINUTE, transcripts: bool = True,
               park_seconds: float = PARK_SECONDS, full_sessions: int | None = None) -> Starlette:
    """The ASGI app: the tour page at /voicetour/, the product at the root (from ``app_dir``, or
    proxied from the site's base_url). ``clock`` (monotonic ns) is the only clock the server
    reads for sessions and their traces. The traces hold what visitors said: /trace answers only
    ``Authorization: Bearer <admin_key>`` (a random key when none is given: ``app.state.admin_key``).
    Sessions are opened from pages of voicetour's own origin, the product's (base_url) and
    ``allowed_origins`` only: any other site's page is refused (a client that sends no Origin, not
    a browser, is let in). One client address opens at most ``connects_per_minute`` sockets a
    minute (0: no limit); ``transcripts=False`` keeps what visitors said out of the traces. Past
    ``full_sessions`` open sessions, turns are lean (``Session.lean``; default: never)."""
    admin_key = admin_key or secrets.token_urlsafe(24)
    engine = engine or Engine.for_site(site)
    metrics = Metrics()
    traces: OrderedDict[str, TurnRecorder] = OrderedDict()

    async def tour(request: Request) -> Response:
        return FileResponse(STATIC / "tour.html")

    async def product_worker(request: Request) -> Response:
        """The service worker that keeps the product's absolute URLs on this origin (static/product-worker.js),
        allowed to serve the whole origin, where the product is."""
        return FileResponse(STATIC / "product-worker.js", media_type="text/javascript",
                            headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"})

    async def site_summary(request: Request) -> Response:
        return JSONResponse({
            "name": site.name,
            "root": site.root_path,
            "product": _origin(site.base_url) if site.base_url and app_dir is None else "",
            "pages": [{"id": p.id, "url": p.url, "title": p.title} for p in site.pages],
            "examples": _examples(engine),
        })

    sessions = Sessions(traces, clock, max_sessions, words=transcripts, park_seconds=park_seconds,
                        full_open=full_sessions)
    arrivals = Arrivals(connects_per_minute, clock)

    async def health(request: Request) -> Response:
        """For a load balancer's checks: the process is up; how full it is (and its asyncio tasks,
        for the soak: they must come back to their level when the visitors leave)."""
        return JSONResponse({"ok": True, "sessions": sessions.open, "max_sessions": sessions.max_open,
                             "parked": len(sessions.parked), "tasks": len(asyncio.all_tasks())})

    origins = {_origin(u) for u in (site.base_url, *allowed_origins) if u}

    def foreign(origin: str | None, host: str | None) -> bool:
        """A page of another site (a client that sends no Origin, not a browser, is let in)."""
        return origin is not None and _origin(origin) not in origins and urlsplit(origin).netloc != host

    async def turn_away(ws: WebSocket, counted: str, code: str, message: str, close: int) -> None:
        """Tell a socket why it is not taken (``error``), then close it."""
        metrics.errors.labels("socket", counted).inc()
        await ws.accept(subprotocol=subprotocol(ws))
        await ws.send_json(error(code, message))
        await ws.close(code=close)

    async def socket(ws: WebSocket) -> None:
        origin = ws.headers.get("origin")
        if foreign(origin, ws.headers.get("host")):
            await turn_away(ws, "origin", "origin", f"voicetour does not take conversations from pages of "
                            f"{str(origin)[:100]} (voicetour serve --allow-origin adds a site)", 1008)
        elif not arrivals.admit(ws.client.host if ws.client else ""):
            await turn_away(ws, "rate", "busy", f"Too many conversations from your address (at most "
                            f"{arrivals.per_minute} a minute); try again in a moment.", 1013)
        else:
            await SessionSocket(ws, engine, metrics, sessions, clock).run()

    asking = [0]  # typed requests being answered now

    async def ask(request: Request) -> Response:
        origin = request.headers.get("origin")
        if foreign(origin, request.headers.get("host")):
            metrics.errors.labels("ask", "origin").inc()
            return JSONResponse(error("origin", f"voicetour does not take requests from pages of {str(origin)[:100]}"),
                                status_code=403)
        if asking[0] >= ASK_AT_ONCE:  # a flood of asks must not take the cores from the conversations
            metrics.errors.labels("ask", "busy").inc()
            return JSONResponse(error("busy", "The voice tour is busy; try again in a moment."), status_code=503,
                                headers={"Retry-After": "1"})
        asking[0] += 1
        try:
            answer = await typed_answer(request, engine, clock)
        finally:
            asking[0] -= 1
        if origin is not None:  # an allowed page (the embed snippet on the product's own pages) may read it
            answer.headers["Access-Control-Allow-Origin"] = origin
            answer.headers["Vary"] = "Origin"
        return answer

    async def metrics_page(request: Request) -> Response:
        """For the machine's own Prometheus without a key; from anywhere else (a load balancer
        says so with X-Forwarded-For) with the admin key only."""
        client = request.client.host if request.client else ""
        on_host = client in ("127.0.0.1", "::1") and "x-forwarded-for" not in request.headers
        if not on_host and (no := refused(request, "metrics are for operators")) is not None:
            return no
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    def refused(request: Request, why: str = "traces hold what visitors said") -> Response | None:
        """401 unless the request carries the admin key."""
        given = request.headers.get("authorization", "")
        if secrets.compare_digest(given.encode(), f"Bearer {admin_key}".encode()):
            return None
        return JSONResponse({"error": f"{why}: send Authorization: Bearer <admin key> "
                                      "(printed by voicetour serve, or VOICETOUR_ADMIN_KEY)"},
                            status_code=401, headers={"WWW-Authenticate": "Bearer"})

    async def trace_list(request: Request) -> Response:
        return refused(request) or JSONResponse({"sessions": list(traces)})

    async def trace(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        sid = request.path_params["session"]
        chosen = list(traces.values()) if sid == "all" else [traces[sid]] if sid in traces else None
        if chosen is None:
            return JSONResponse({"error": f"no trace for session {sid!r} (the last {KEEP_TRACES} are kept)"},
                                status_code=404)
        # Off the event loop: a session at the span cap took 459 ms to render, stalling every session.
        body = await asyncio.to_thread(lambda: json.dumps(chrome_trace(chosen)).encode())
        return Response(body, media_type="application/json")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Enough workers that sessions waiting for the shared whisper model do not starve the others'
        # frame decoding (the default pool has cores + 4 threads).
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKER_THREADS, "voicetour"))
        tasks = [asyncio.create_task(_watch_loop(metrics, clock)), asyncio.create_task(_sweep(sessions))]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()

    own: list[Route | Mount | WebSocketRoute] = [
        Route("/", tour),
        Route("/site", site_summary),
        Route("/product-worker.js", product_worker),
        Route("/health", health),
        Route("/ask", ask, methods=["POST"]),
        Route("/metrics", metrics_page),
        Route("/trace", trace_list),
        Route("/trace/{session}", trace),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    routes: list[Route | Mount | WebSocketRoute] = [
        Route(PREFIX, lambda request: RedirectResponse(PREFIX + "/")),
        Mount(PREFIX, routes=own),
    ]
    if app_dir is not None:
        routes.append(Mount("", StaticFiles(directory=app_dir, html=True), name="product"))
    else:
        routes.append(Route("/{path:path}", proxy(site.base_url), methods=METHODS))
        routes.append(WebSocketRoute("/{path:path}", socket_proxy(site.base_url)))
    # The embed snippet runs on the product's origin and loads our script, worklet and site
    # summary: those, and nothing else, may be read from another origin.
    cors = Middleware(CorsFor, prefixes=(f"{PREFIX}/static/", f"{PREFIX}/site"))
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[cors, Middleware(OwnHeaders)])
    app.state.metrics = metrics
    app.state.traces = traces
    app.state.admin_key = admin_key
    return app


class OwnHeaders:
    """On voicetour's own responses (not the proxied product's): no MIME sniffing, no referrer
    sent on, no framing by other sites, and the tour page runs only voicetour's own scripts and
    connects only to its own origin (its frames show the product, which is on that origin)."""

    HEADERS = ((b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
               (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                            b"base-uri 'none'; form-action 'self'; frame-ancestors 'self'"))

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class CorsFor:
    """CORS headers (any origin, GET) on the paths under ``prefixes`` only."""

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...]) -> None:
        self.app = app
        self.prefixes = prefixes
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(self.prefixes):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _watch_loop(metrics: Metrics, clock: Callable[[], int], interval: float = 0.1) -> None:
    """Event-loop lag (how late a timer fires) and CPU utilization, sampled every ``interval``."""
    cpu0, wall0 = time.process_time(), clock()
    late_ns = 0
    while True:
        t0 = clock()
        await asyncio.sleep(interval)
        late = max(0, clock() - t0 - int(interval * 1e9))
        metrics.loop_lag.observe(late / 1e9)
        late_ns += late
        now = clock()
        if now - wall0 >= 1e9:
            cpu = time.process_time()
            metrics.cpu.set((cpu - cpu0) / ((now - wall0) / 1e9) / metrics.cores)
            metrics.loop_busy.set(min(1.0, late_ns / (now - wall0)))
            metrics.load.set(os.getloadavg()[0] / metrics.cores)
            cpu0, wall0, late_ns = cpu, now, 0


async def _sweep(sessions: Sessions, interval: float = 5.0) -> None:
    """Close parked sessions nobody came back for, whether or not anyone else connects, and give
    the memory of the sessions gone since the last sweep back to the system (``trim_heap``)."""
    while True:
        await asyncio.sleep(interval)
        sessions.expire()
        if sessions.freed:
            sessions.freed = 0
            await asyncio.to_thread(trim_heap)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` as a browser writes an origin (lower case, no default port)."""
    parts = urlsplit(url.lower())
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port
    except ValueError:
        port = None
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _examples(engine: Engine) -> list[str]:
    out = []
    for t in engine.targets:
        if t.selector is None:
            out.append(f"show me {t.title.lower()}")
        elif t.label.split()[0].lower() in ACTION_VERBS:
            out.append(f"how do I {task_of(t.label)}")
    return out[:6]
