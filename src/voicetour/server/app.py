"""The Starlette application: tour page, product pages, site summary and the /ws session socket.

One Session (and so one recognizer) per WebSocket. The handler is a thin loop: receive, check,
feed the core (in a worker thread: decoding is CPU work), send the rendered events. Around that it
records the session's trace (``/trace/{id}``, Chrome trace-event JSON) and the process's USE
metrics (``/metrics``, Prometheus), and sends the tour page one ``trace`` message per turn for its
debug waterfall.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from voicetour import clock
from voicetour.audio import SAMPLE_RATE
from voicetour.errors import ProtocolError, VoicetourError
from voicetour.events import Event, Metric, Span, State, Transcribe
from voicetour.server.protocol import ClientMessage, check_audio, error, parse_text, render, render_metric, render_trace
from voicetour.session.core import Session
from voicetour.session.engine import Engine
from voicetour.site.model import Site
from voicetour.telemetry.metrics import Metrics
from voicetour.telemetry.trace import TurnRecorder, chrome_trace

log = logging.getLogger("voicetour")
KEEP_TRACES = 50
"""Traces of this many most recent sessions stay available at /trace/{id}."""
PARK_SECONDS = 60
"""A closed session is kept this long for its visitor to resume it."""
RESUME_WAIT_S = 3.0
"""How long a resuming page waits for its old socket to finish closing."""

STATIC = Path(str(resources.files("voicetour") / "server" / "static"))
REALTIME_SLACK_MS = 2_000
"""Audio may run ahead of the wall clock by this much (network bursts) before we refuse it."""
WORKER_THREADS = 32
MAX_BACKLOG_MS = 10_000
"""Audio received but not yet processed, per session, beyond which new audio is refused."""


@dataclass(frozen=True)
class Heard:
    """A background listen's answer, queued for the processor like any input."""

    request: Transcribe
    text: str | None
    start_ns: int
    end_ns: int


class SessionSocket:
    """The shell around one Session."""

    def __init__(self, ws: WebSocket, engine: Engine, metrics: Metrics, sessions: Sessions) -> None:
        self.ws = ws
        self.engine = engine
        self.metrics = metrics
        self.sessions = sessions
        self.recorder = TurnRecorder("")
        self.token = ""
        self.session: Session | None = None
        self.started_ns = clock.monotonic_ns()
        self.received_ms = 0.0
        """Audio received on this connection (for the faster-than-real-time check)."""
        self.stream_ms = 0.0
        """The session's audio time at the end of what was received (for the trace)."""
        self.backlog_ms = 0.0
        self.mispredictions = 0
        self.inbox: deque[tuple[bytes, int] | ClientMessage | Heard | None] = deque()
        self.wakeup = asyncio.Event()
        self.listening: asyncio.Task[None] | None = None

    async def send(self, msg: dict[str, Any]) -> None:
        self.metrics.send_queue.inc()
        t0 = clock.monotonic_ns()
        try:
            await self.ws.send_json(msg)
        finally:
            self.metrics.send_queue.dec()
            self.metrics.send.observe((clock.monotonic_ns() - t0) / 1e9)

    async def send_events(self, events: list[Event], handled_ns: int) -> None:
        finished: list[int] = []
        for ev in events:
            msg = render(ev)
            if msg is not None:
                await self.send(msg)
            if isinstance(ev, State) and ev.state == "listening":
                finished.append(ev.turn)
            if isinstance(ev, Transcribe):
                self.listen(ev)
        await self.send_metrics(self.recorder.record(events, handled_ns, clock.monotonic_ns()))
        for turn in finished:
            self.metrics.turns.inc()
            await self.send(render_trace(turn, self.recorder.turn_spans(turn)))
        assert self.session is not None
        if self.session.mispredictions > self.mispredictions:
            self.metrics.mispredictions.inc(self.session.mispredictions - self.mispredictions)
            self.mispredictions = self.session.mispredictions

    async def send_metrics(self, metrics: list[Metric]) -> None:
        """A finished turn's measurements: into /metrics, and to the page (its debug panel)."""
        for m in metrics:
            self.metrics.observe(m)
            await self.send(render_metric(m))

    def listen(self, request: Transcribe) -> None:
        """Run a Transcribe request in a worker thread, beside the session's frames; its answer
        joins the inbox. Declined at once when the shared verifier is busy (another session's
        decision comes first): the session is only a little slower without it."""
        verifier = self.engine.verifier
        assert verifier is not None

        async def run() -> None:
            start = clock.monotonic_ns()
            try:
                text = await asyncio.to_thread(verifier.try_transcribe, request.pcm)
            except Exception:  # noqa: BLE001 - the session goes on without this answer, and asks again
                self.metrics.errors.labels("listen", "internal").inc()
                log.exception("session %s: background listen failed", self.recorder.name)
                text = None
            when = "pause" if request.pause else "speaking"
            self.metrics.listens.labels(when, "declined" if text is None else "answered").inc()
            self.inbox.append(Heard(request, text, start, clock.monotonic_ns()))
            self.wakeup.set()

        self.listening = asyncio.create_task(run())

    async def work(self, fn: Any, *args: Any) -> list[Event]:
        """Run a core call in a worker thread (decoding is CPU work); counted as queue depth."""
        self.metrics.queue.inc()
        try:
            return list(await asyncio.to_thread(fn, *args))
        finally:
            self.metrics.queue.dec()

    async def run(self) -> None:
        await self.ws.accept()
        self.metrics.sessions.inc()
        try:
            parked = await self.sessions.resume(self.ws.query_params.get("resume") or "")
            pending: list[Event] = []
            if parked is not None:  # the same visitor after a full page load: same conversation
                self.token, self.session, self.recorder, pending = parked
            else:
                self.session = await asyncio.to_thread(lambda: Session(self.engine, clock=clock.monotonic_ns))
                self.token, self.recorder = self.sessions.new()
            self.stream_ms = float(self.session.audio_ms)
            await self.send({"type": "ready", "site": self.engine.site.name, "sample_rate": SAMPLE_RATE,
                             "frame_ms": 20, "session": self.recorder.name, "resume": self.token,
                             "resumed": parked is not None})
            if pending:
                await self.send_events(pending, clock.monotonic_ns())
            await self.loop()
        finally:
            self.metrics.sessions.dec()

    async def loop(self) -> None:
        """Two tasks: this one receives and checks messages, never waiting for the core; the
        processor feeds the core in order. Audio that piled up while the core was busy (a
        transcription, a slow machine) goes to the core in one call, not one thread hop per frame."""
        assert self.session is not None
        processor = asyncio.create_task(self.process())
        try:
            while not processor.done():
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    self.accept(message)
                except ProtocolError as exc:
                    self.metrics.errors.labels("protocol", exc.code).inc()
                    await self.send(error(exc.code, str(exc)))
        except WebSocketDisconnect:
            pass
        finally:
            self.inbox.append(None)  # what was received is still processed, then the session closes
            self.wakeup.set()
            try:
                await processor
            except (WebSocketDisconnect, RuntimeError):
                pass  # the client left while we were answering
            except Exception:
                self.metrics.errors.labels("socket", "internal").inc()
                log.exception("session %s failed", self.recorder.name)
                raise
            finally:
                if self.listening is not None:
                    self.listening.cancel()
                # A client that vanished mid-sentence (or is loading the next page): finish the
                # utterance, and keep the session a while in case the same visitor comes back.
                now = clock.monotonic_ns()
                events = self.session.detach(now)
                self.recorder.record(events, now)
                self.sessions.park(self.token, self.session, self.recorder, events)

    def accept(self, message: MutableMapping[str, Any]) -> None:
        """Check one message and queue it for the processor (raises ProtocolError)."""
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            check_audio(data)
            now = clock.monotonic_ns()
            elapsed_ms = (now - self.started_ns) / 1e6
            if self.received_ms + len(data) / 32 > elapsed_ms + REALTIME_SLACK_MS:
                raise ProtocolError(
                    f"audio is arriving faster than real time ({self.received_ms / 1000:.1f} s of audio in "
                    f"{elapsed_ms / 1000:.1f} s); this chunk was not processed", code="too_fast")
            if self.backlog_ms + len(data) / 32 > MAX_BACKLOG_MS:
                raise ProtocolError(
                    f"the server is {self.backlog_ms / 1000:.1f} s behind on this session's audio; this chunk "
                    "was not processed (the server is overloaded)", code="overloaded")
            self.received_ms += len(data) / 32
            self.stream_ms += len(data) / 32
            self.backlog_ms += len(data) / 32
            self.recorder.audio(self.stream_ms, now)
            self.inbox.append((data, now))
        else:
            self.inbox.append(parse_text(message.get("text") or ""))
        self.wakeup.set()

    async def process(self) -> None:
        assert self.session is not None
        while True:
            if not self.inbox:
                self.wakeup.clear()
                deadline = self.session.next_deadline()
                timeout = None if deadline is None else max(0.0, (deadline - clock.monotonic_ns()) / 1e9)
                try:
                    await asyncio.wait_for(self.wakeup.wait(), timeout)
                except TimeoutError:
                    now = clock.monotonic_ns()
                    await self.send_events(self.session.tick(now), now)
                continue
            item = self.inbox.popleft()
            if item is None:
                return
            if isinstance(item, Heard):
                events = await self.work(self.session.feed_transcript, item.request.turn, item.request.upto_ms,
                                         item.text, clock.monotonic_ns())
                text = item.text if item.text is not None else "(declined: the verifier was busy)"
                span = Span(item.request.turn, item.request.audio_ms, "listen", item.start_ns, item.end_ns,
                            ("in the pause: " if item.request.pause else "") + text)
                await self.send_events([span, *events], clock.monotonic_ns())
            elif isinstance(item, tuple):
                chunks = [item]
                while self.inbox and isinstance(self.inbox[0], tuple):
                    chunks.append(self.inbox.popleft())  # type: ignore[arg-type]
                data = b"".join(c[0] for c in chunks)
                self.backlog_ms -= len(data) / 32
                try:
                    events = await self.work(self.session.feed_audio, data, clock.monotonic_ns())
                except VoicetourError as exc:
                    self.metrics.errors.labels("session", type(exc).__name__).inc()
                    await self.send(error("bad_input", str(exc)))
                    continue
                handled = clock.monotonic_ns()
                for _, arrived in chunks:
                    self.metrics.lag.observe((handled - arrived) / 1e9)
                await self.send_events(events, handled)
            else:
                await self.handle(item)

    async def handle(self, msg: ClientMessage) -> None:
        assert self.session is not None
        if msg.type == "hello" or msg.type == "page":
            url = msg.data.get("url") or msg.data.get("page")
            if isinstance(url, str) and url:
                self.session.url = url
        elif msg.type == "text":
            events = await self.work(self.session.feed_text, msg.data["text"], clock.monotonic_ns())
            await self.send_events(events, clock.monotonic_ns())
        elif msg.type == "visible":
            turn = msg.data.get("turn")
            if isinstance(turn, int):
                prerendered = msg.data.get("prerendered") is True
                self.metrics.reveals.labels("prerendered" if prerendered else "loaded").inc()
                await self.send_metrics(self.recorder.visible(turn, msg.data["url"], clock.monotonic_ns(),
                                                              prerendered))
        elif msg.type == "ping":
            await self.send({"type": "pong", "t": msg.data.get("t")})


class Sessions:
    """Sessions whose socket closed, kept ``PARK_SECONDS`` for the same visitor to resume (the
    embed snippet reconnects after each full page load with the secret ``resume`` token from its
    ``ready`` message); and the traces of recent sessions."""

    def __init__(self, traces: OrderedDict[str, TurnRecorder]) -> None:
        self.traces = traces
        self.parked: dict[str, tuple[Session, TurnRecorder, list[Event], int]] = {}
        self.live: dict[str, asyncio.Event] = {}
        """Tokens whose socket is open or still closing; the event is set when it is parked."""

    def new(self) -> tuple[str, TurnRecorder]:
        recorder = TurnRecorder(uuid.uuid4().hex[:10])
        self.traces[recorder.name] = recorder
        while len(self.traces) > KEEP_TRACES:
            self.traces.popitem(last=False)
        token = secrets.token_urlsafe(18)
        self.live[token] = asyncio.Event()
        return token, recorder

    def park(self, token: str, session: Session, recorder: TurnRecorder, events: list[Event]) -> None:
        self.expire()
        # Events the old socket could not deliver; those that reached the visitor's new page are
        # the ones after ``ready`` (a reply, the end of the turn).
        self.parked[token] = (session, recorder, [e for e in events if render(e) is not None],
                              clock.monotonic_ns())
        parked = self.live.pop(token, None)
        if parked is not None:
            parked.set()

    async def resume(self, token: str) -> tuple[str, Session, TurnRecorder, list[Event]] | None:
        """The parked session for ``token``. The new page often connects before the old socket has
        finished closing (it may be finishing a transcription): wait for it, up to ``RESUME_WAIT_S``."""
        closing = self.live.get(token)
        if closing is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closing.wait(), RESUME_WAIT_S)
        self.expire()
        if token not in self.parked:
            return None
        session, recorder, events, _ = self.parked.pop(token)
        self.live[token] = asyncio.Event()
        return token, session, recorder, events

    def expire(self) -> None:
        now = clock.monotonic_ns()
        for token, (session, _, _, since) in list(self.parked.items()):
            if now - since > PARK_SECONDS * 1e9:
                session.close(now)
                del self.parked[token]


def create_app(site: Site, app_dir: Path | None = None, engine: Engine | None = None) -> Starlette:
    """The ASGI app. With ``app_dir`` the product is served from that folder at /app; otherwise
    /app proxies to the site's base_url."""
    engine = engine or Engine.for_site(site)
    metrics = Metrics()
    traces: OrderedDict[str, TurnRecorder] = OrderedDict()

    async def tour(request: Request) -> Response:
        return FileResponse(STATIC / "tour.html")

    async def site_summary(request: Request) -> Response:
        return JSONResponse({
            "name": site.name,
            "pages": [{"id": p.id, "url": p.url, "title": p.title} for p in site.pages],
            "examples": _examples(engine),
        })

    sessions = Sessions(traces)

    async def socket(ws: WebSocket) -> None:
        await SessionSocket(ws, engine, metrics, sessions).run()

    async def metrics_page(request: Request) -> Response:
        return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")

    async def trace_list(request: Request) -> Response:
        return JSONResponse({"sessions": list(traces)})

    async def trace(request: Request) -> Response:
        sid = request.path_params["session"]
        if sid == "all":
            return JSONResponse(chrome_trace(list(traces.values())))
        if sid not in traces:
            return JSONResponse({"error": f"no trace for session {sid!r} (the last {KEEP_TRACES} are kept)"},
                                status_code=404)
        return JSONResponse(chrome_trace([traces[sid]]))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Enough workers that sessions waiting for the shared whisper model do not starve the others'
        # frame decoding (the default pool has cores + 4 threads).
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKER_THREADS, "voicetour"))
        task = asyncio.create_task(_watch_loop(metrics))
        try:
            yield
        finally:
            task.cancel()

    routes: list[Route | Mount | WebSocketRoute] = [
        Route("/", tour),
        Route("/site", site_summary),
        Route("/metrics", metrics_page),
        Route("/trace", trace_list),
        Route("/trace/{session}", trace),
        WebSocketRoute("/ws", socket),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if app_dir is not None:
        routes.append(Mount("/app", StaticFiles(directory=app_dir, html=True), name="app"))
    else:
        routes.append(Route("/app/{path:path}", _proxy(site.base_url)))
    # The embed snippet runs on the product's origin and loads our script, worklet and /site.
    cors = Middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"])
    app = Starlette(routes=routes, lifespan=lifespan, middleware=[cors])
    app.state.metrics = metrics
    app.state.traces = traces
    return app


async def _watch_loop(metrics: Metrics, interval: float = 0.1) -> None:
    """Event-loop lag (how late a timer fires) and CPU utilization, sampled every ``interval``."""
    cpu0, wall0 = time.process_time(), clock.monotonic_ns()
    late_ns = 0
    while True:
        t0 = clock.monotonic_ns()
        await asyncio.sleep(interval)
        late = max(0, clock.monotonic_ns() - t0 - int(interval * 1e9))
        metrics.loop_lag.observe(late / 1e9)
        late_ns += late
        now = clock.monotonic_ns()
        if now - wall0 >= 1e9:
            cpu = time.process_time()
            metrics.cpu.set((cpu - cpu0) / ((now - wall0) / 1e9) / metrics.cores)
            metrics.loop_busy.set(min(1.0, late_ns / (now - wall0)))
            metrics.load.set(os.getloadavg()[0] / metrics.cores)
            cpu0, wall0, late_ns = cpu, now, 0


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

