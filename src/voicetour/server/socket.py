"""The shell around one Session: the /ws socket's receive loop, the processor that feeds the
core in order, and the listens (whisper runs) the core asks for.

Two tasks per connection: one receives and checks messages and never waits for the core; the
processor feeds the core, one call at a time, in a worker thread (decoding is CPU work). Every
``Transcribe`` request runs in a worker thread beside the frames and its answer joins the inbox
like any input: ``speaking`` and ``pause`` listens are declined at once when the shared verifier
is busy (another session's decision comes first); ``quick`` and ``careful`` ones wait for it (the
session holds its later input until they are answered).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from voicetour.audio import SAMPLE_RATE
from voicetour.errors import ProtocolError, VoicetourError
from voicetour.events import Event, Metric, Span, SpeechStarted, State, Transcribe
from voicetour.server.parking import Sessions
from voicetour.server.protocol import ClientMessage, check_audio, error, parse_text, render, render_trace
from voicetour.session.core import Session
from voicetour.session.engine import Engine
from voicetour.telemetry.cpu import thread_ns
from voicetour.telemetry.metrics import Metrics
from voicetour.telemetry.trace import TurnRecorder

log = logging.getLogger("voicetour")
REALTIME_SLACK_MS = 2_000
"""Audio may run ahead of the wall clock by this much (network bursts) before we refuse it."""
MAX_BACKLOG_MS = 10_000
"""Audio received but not yet processed, per session, beyond which new audio is refused."""
MAX_WAITING_MESSAGES = 64
"""Text messages (typed requests, pings, page reports) received but not yet handled, per session,
beyond which a new one is refused with an error: a client that sends but never reads must not
grow the server's memory."""
SEND_TIMEOUT_S = 10.0
"""A message the client has not taken within this long ends the session (it is not reading)."""


class ClientGone(VoicetourError):
    """The client stopped reading; the session is parked as if it had disconnected."""

    code = "not_reading"


@dataclass(frozen=True)
class Heard:
    """A listen's answer, queued for the processor like any input."""

    request: Transcribe
    text: str | None
    start_ns: int
    end_ns: int


def run_listen(engine: Engine, request: Transcribe, wanted: Callable[[], bool] | None = None) -> str | None:
    """What the verifier hears for ``request``: None (declined) when it is busy and the request
    may be declined, or when ``wanted`` says, once the model is free for it or once its audio is
    encoded, that the session no longer needs it (``Session.wants``; a background listen the
    person spoke past, a lean turn's pause listen that waited, ``Transcribe.wait``)."""
    verifier = engine.verifier
    assert verifier is not None
    if request.may_decline and not request.wait:
        return verifier.try_transcribe(request.pcm, thorough=request.thorough, hint=request.hint,
                                       focus=request.focus, wanted=wanted, weigh=request.weigh, noise=request.noise)
    if request.wait and wanted is not None:
        return verifier.wait_transcribe(request.pcm, wanted, thorough=request.thorough, hint=request.hint,
                                        focus=request.focus, weigh=request.weigh, noise=request.noise)
    return verifier.transcribe(request.pcm, thorough=request.thorough, hint=request.hint, focus=request.focus,
                               weigh=request.weigh, noise=request.noise)


def costed_listen(engine: Engine, request: Transcribe,
                  wanted: Callable[[], bool] | None = None) -> tuple[str | None, int]:
    """``run_listen`` and the CPU time it took (ns; the model's own threads included)."""
    t0 = thread_ns()
    text = run_listen(engine, request, wanted)
    assert engine.verifier is not None
    return text, thread_ns() - t0 + engine.verifier.native_ns()


def costed(fn: Callable[..., Any], *args: Any) -> tuple[list[Event], int]:
    """A core call and the CPU time it took (ns; it runs in the calling thread)."""
    t0 = thread_ns()
    events = list(fn(*args))
    return events, thread_ns() - t0


PROTOCOL = "voicetour"
"""The WebSocket subprotocol a client offers; beside it, ``resume.TOKEN`` carries a resume token
(in a header, never in the URL, where access logs and proxies would keep it)."""
RESUME = "resume."


def subprotocol(ws: WebSocket) -> str | None:
    """The subprotocol to accept: ours when offered (a browser that offered some fails a socket
    whose answer names none)."""
    return PROTOCOL if PROTOCOL in (ws.scope.get("subprotocols") or ()) else None


def resume_token(ws: WebSocket) -> str:
    return next((p[len(RESUME):] for p in ws.scope.get("subprotocols") or () if p.startswith(RESUME)), "")


class SessionSocket:
    def __init__(self, ws: WebSocket, engine: Engine, metrics: Metrics, sessions: Sessions,
                 clock: Callable[[], int]) -> None:
        self.ws = ws
        self.engine = engine
        self.metrics = metrics
        self.sessions = sessions
        self.clock = clock
        self.recorder = TurnRecorder("", words=sessions.words)
        self.token = ""
        self.session: Session | None = None
        self.started_ns = clock()
        self.received_ms = 0.0
        """Audio received on this connection (for the faster-than-real-time check)."""
        self.stream_ms = 0.0
        """The session's audio time at the end of what was received (for the trace)."""
        self.backlog_ms = 0.0
        self.mispredictions = 0
        self.inbox: deque[tuple[bytes, int] | ClientMessage | Heard | None] = deque()
        self.wakeup = asyncio.Event()
        self.listening: set[asyncio.Task[None]] = set()
        self.spent: dict[str, int] = {}
        """CPU ns by stage since the last turn finished (silence included): the next turn's cost."""

    def spend(self, stage: str, ns: int) -> None:
        self.spent[stage] = self.spent.get(stage, 0) + ns
        self.metrics.cpu_spent.labels(stage).inc(ns / 1e9)

    def turn_cost(self, turn: int) -> list[Metric]:
        """What a finished turn cost: CPU ms by stage since the previous turn ended, and in all."""
        spent, self.spent = self.spent, {}
        self.metrics.cpu_per_turn.observe(sum(spent.values()) / 1e9)
        return [Metric(turn, 0, "cpu", round(sum(spent.values()) / 1e6, 2)),
                *(Metric(turn, 0, "cpu", round(ns / 1e6, 2), (("stage", stage),)) for stage, ns in spent.items())]

    async def send(self, msg: dict[str, Any]) -> None:
        self.metrics.send_queue.inc()
        t0 = self.clock()
        try:
            await asyncio.wait_for(self.ws.send_json(msg), SEND_TIMEOUT_S)
        except TimeoutError:
            self.metrics.errors.labels("socket", "not_reading").inc()
            raise ClientGone(f"the client took no message for {SEND_TIMEOUT_S:.0f} s") from None
        except WebSocketDisconnect:  # it closed while we spoke (a tab closed right after a page load)
            raise ClientGone("the client went away") from None
        finally:
            self.metrics.send_queue.dec()
            self.metrics.send.observe((self.clock() - t0) / 1e9)

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
        await self.send_metrics(self.recorder.record(events, handled_ns, self.clock()))
        for turn in finished:
            self.metrics.turn_finished()
            await self.send_metrics(self.turn_cost(turn))
            await self.send(render_trace(turn, self.recorder.turn_spans(turn)))
        assert self.session is not None
        if self.session.mispredictions > self.mispredictions:
            self.metrics.mispredictions.inc(self.session.mispredictions - self.mispredictions)
            self.mispredictions = self.session.mispredictions

    async def send_metrics(self, metrics: list[Metric]) -> None:
        """A finished turn's measurements: into /metrics, and to the page (its debug panel)."""
        for m in metrics:
            self.metrics.observe(m)
            await self.send(render(m) or {})

    def listen(self, request: Transcribe) -> None:
        """Run a Transcribe request in a worker thread; its answer joins the inbox."""

        async def run() -> None:
            start = self.clock()
            try:
                session = self.session
                assert session is not None
                text, cpu = await asyncio.to_thread(costed_listen, self.engine, request,
                                                    lambda: session.wants(request))
                self.spend("listen", cpu)
            except Exception:  # noqa: BLE001 - answered as declined: the session goes on without it
                self.metrics.errors.labels("listen", "internal").inc()
                log.exception("session %s: %s listen failed", self.recorder.name, request.kind)
                text = None if request.may_decline else ""
            self.metrics.listens.labels(request.kind, "declined" if text is None else "answered").inc()
            self.inbox.append(Heard(request, text, start, self.clock()))
            self.wakeup.set()

        task = asyncio.create_task(run())
        self.listening.add(task)
        task.add_done_callback(self.listening.discard)

    async def work(self, stage: str, fn: Any, *args: Any) -> list[Event]:
        """Run a core call in a worker thread (decoding is CPU work); counted as queue depth, its
        CPU time as ``stage``'s."""
        self.metrics.queue.inc()
        try:
            events, cpu = await asyncio.to_thread(costed, fn, *args)
            self.spend(stage, cpu)
            return events
        finally:
            self.metrics.queue.dec()

    def inline(self, stage: str, fn: Any, *args: Any) -> list[Event]:
        """A core call that runs no model, on the event loop (``Session.needs_worker``)."""
        events, cpu = costed(fn, *args)
        self.spend(stage, cpu)
        return events

    async def run(self) -> None:
        await self.ws.accept(subprotocol=subprotocol(self.ws))
        if not self.sessions.admit():  # full: say so at once, rather than slow everyone down
            self.metrics.errors.labels("socket", "busy").inc()
            await self.ws.send_json(error("busy", f"The voice tour is busy ({self.sessions.max_open} conversations); "
                                                  "try again in a moment."))
            await self.ws.close(code=1013)
            return
        self.metrics.sessions.inc()
        try:
            parked = await self.sessions.resume(resume_token(self.ws))
            pending: list[Event] = []
            if parked is not None:  # the same visitor after a full page load: same conversation
                self.token, self.session, self.recorder, pending = parked
            else:
                self.session = await asyncio.to_thread(lambda: Session(self.engine, clock=self.clock))
                self.token, self.recorder = self.sessions.new()
            self.stream_ms = float(self.session.audio_ms)
            await self.send({"type": "ready", "site": self.engine.site.name, "sample_rate": SAMPLE_RATE,
                             "frame_ms": 20, "session": self.recorder.name, "resume": self.token,
                             "resumed": parked is not None})
            if pending:
                await self.send_events(pending, self.clock())
            await self.loop()
        except ClientGone:
            pass  # it stopped reading, or went away, before the conversation began
        finally:
            self.sessions.release()
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
        except (WebSocketDisconnect, ClientGone):
            pass
        finally:
            self.inbox.append(None)  # what was received is still processed, then the session closes
            self.wakeup.set()
            try:
                await processor
            except (WebSocketDisconnect, RuntimeError, ClientGone):
                pass  # the client left (or stopped reading) while we were answering
            except Exception:
                self.metrics.errors.labels("socket", "internal").inc()
                log.exception("session %s failed", self.recorder.name)
                raise
            finally:
                for task in list(self.listening):
                    task.cancel()
                # A client that vanished mid-sentence (or is loading the next page): finish the
                # utterance, and keep the session a while in case the same visitor comes back.
                events = await self.settle(self.session.detach(self.clock()))
                now = self.clock()
                self.recorder.record(events, now)
                self.sessions.park(self.token, self.session, self.recorder, events)

    def accept(self, message: MutableMapping[str, Any]) -> None:
        """Check one message and queue it for the processor (raises ProtocolError)."""
        if message.get("bytes") is not None:
            data: bytes = message["bytes"]
            check_audio(data)
            now = self.clock()
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
            parsed = parse_text(message.get("text") or "")
            if sum(isinstance(m, ClientMessage) for m in self.inbox) >= MAX_WAITING_MESSAGES:
                raise ProtocolError(f"{MAX_WAITING_MESSAGES} messages are already waiting on this session; this "
                                    f"{parsed.type!r} message was not processed (read the server's messages, "
                                    "then send it again)", code="overloaded")
            self.inbox.append(parsed)
        self.wakeup.set()

    async def process(self) -> None:
        assert self.session is not None
        while True:
            if not self.inbox:
                self.wakeup.clear()
                deadline = self.session.next_deadline()
                timeout = None if deadline is None else max(0.0, (deadline - self.clock()) / 1e9)
                try:
                    await asyncio.wait_for(self.wakeup.wait(), timeout)
                except TimeoutError:
                    now = self.clock()
                    await self.send_events(self.session.tick(now), now)
                continue
            item = self.inbox.popleft()
            if item is None:
                return
            if isinstance(item, Heard):
                events = await self.work("answers", self.session.feed_transcript, item.request, item.text, self.clock())
                text = item.text if item.text is not None else "(declined: the verifier was busy)"
                span = Span(item.request.turn, item.request.audio_ms, "listen", item.start_ns, item.end_ns,
                            f"{item.request.kind}: {text}")
                await self.send_events([span, *events], self.clock())
            elif isinstance(item, tuple):
                chunks = [item]
                while self.inbox and isinstance(self.inbox[0], tuple):
                    chunks.append(self.inbox.popleft())  # type: ignore[arg-type]
                data = b"".join(c[0] for c in chunks)
                self.backlog_ms -= len(data) / 32
                self.session.lean = self.sessions.busy()
                try:
                    if self.session.needs_worker(data):
                        events = await self.work("frames", self.session.feed_audio, data, self.clock())
                    else:  # the VAD alone: microseconds, not worth a thread's hop
                        events = self.inline("frames", self.session.feed_audio, data, self.clock())
                except VoicetourError as exc:
                    self.metrics.errors.labels("session", type(exc).__name__).inc()
                    await self.send(error("bad_input", str(exc)))
                    continue
                handled = self.clock()
                for _, arrived in chunks:
                    self.metrics.lag.observe((handled - arrived) / 1e9)
                if self.session.lean:
                    self.metrics.lean.inc(sum(isinstance(e, SpeechStarted) for e in events))
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
            events = await self.work("text", self.session.feed_text, msg.data["text"], self.clock())
            await self.send_events(events, self.clock())
        elif msg.type == "visible":
            turn = msg.data.get("turn")
            if isinstance(turn, int):
                prerendered = msg.data.get("prerendered") is True
                self.metrics.reveals.labels("prerendered" if prerendered else "loaded").inc()
                await self.send_metrics(self.recorder.visible(turn, msg.data["url"], self.clock(),
                                                              prerendered))
        elif msg.type == "ping":
            await self.send({"type": "pong", "t": msg.data.get("t")})



    async def settle(self, events: list[Event]) -> list[Event]:
        """The session's last words before it is parked: the listens it still waits for (the
        socket's tasks are gone) run here, and their answers go in."""
        assert self.session is not None
        out = list(events)
        while (request := self.session.waiting_for) is not None:
            text = await asyncio.to_thread(run_listen, self.engine, request)
            out += self.session.feed_transcript(request, text, self.clock())
        return out
