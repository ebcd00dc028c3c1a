"""Run the session core over WAV files, as if each were streamed: `voicetour simulate`.

Timing model (default): frame i arrives at its audio time a_i (end of the frame); its processing
starts when both it has arrived and the previous frame is done: done_i = max(done_{i-1}, a_i) +
cost_i, where cost_i is the measured processing time. An action's t_ms is done_i of the frame
that triggered it, i.e. audio time plus any processing backlog. With ``realtime=True`` audio is
fed at real speed and t_ms is wall time since the stream started.

Each result carries a ``TurnRecorder`` on the same timeline (ns from the start of the stream), so
``voicetour simulate --trace out.json`` writes the Chrome trace of every file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from voicetour import clock
from voicetour.audio import FRAME_BYTES, FRAME_MS
from voicetour.audio.wav import read_wav
from voicetour.events import (
    Back,
    Cancel,
    Event,
    Final,
    Highlight,
    Navigate,
    Rejected,
    Say,
    Scroll,
    Span,
    SpeechEnded,
    Stop,
    Transcribe,
)
from voicetour.session.core import Session
from voicetour.session.engine import Engine
from voicetour.telemetry.trace import TurnRecorder

TRAILING_SILENCE_MS = 700  # let the endpointer see the end of speech, as a live mic would


@dataclass
class Result:
    audio: str
    transcript: str = ""
    final_url: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    last_voiced_ms: int | None = None
    audio_ms: int = 0
    cpu_ms: float = 0.0
    """Time spent inside the core (VAD, recognizer, ranking, policy) while feeding frames."""
    mispredictions: int = 0
    recorder: TurnRecorder = field(default_factory=TurnRecorder)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "audio": self.audio,
            "transcript": self.transcript,
            "final_url": self.final_url,
            "actions": self.actions,
            "last_voiced_ms": self.last_voiced_ms,
            "audio_ms": self.audio_ms,
            "mispredictions": self.mispredictions,
            "rtf": round(self.cpu_ms / self.audio_ms, 4) if self.audio_ms else None,
            "metrics": self.metrics,
        }


def _frames(pcm: bytes) -> Iterator[bytes]:
    pcm = pcm + b"\x00" * (TRAILING_SILENCE_MS * 32)
    for i in range(0, len(pcm), FRAME_BYTES):
        yield pcm[i : i + FRAME_BYTES]


def _action(ev: Event, t_ms: float, site_abs: Any) -> dict[str, Any] | None:
    base = {"t_ms": round(t_ms, 1), "turn": ev.turn, "audio_ms": ev.audio_ms}
    if isinstance(ev, Navigate):
        return {"type": "navigate", "url": site_abs(ev.url), "target": ev.target, "early": ev.early, **base}
    if isinstance(ev, Highlight):
        return {"type": "highlight", "selector": ev.selector, "label": ev.label, **base}
    if isinstance(ev, Cancel):
        return {"type": "cancel", "url": site_abs(ev.url) if ev.url else None, "reason": ev.reason, **base}
    if isinstance(ev, Back):
        return {"type": "back", "url": site_abs(ev.url) if ev.url else None, **base}
    if isinstance(ev, Scroll):
        return {"type": "scroll", "direction": ev.direction, **base}
    if isinstance(ev, Stop):
        return {"type": "stop", **base}
    if isinstance(ev, Say):
        return {"type": "say", "text": ev.text, **base}
    if isinstance(ev, Rejected):
        return {"type": "reject", "text": ev.text, **base}
    return None


def simulate_file(engine: Engine, path: str, start_url: str | None = None, realtime: bool = False) -> Result:
    pcm = read_wav(path)
    session = Session(engine, start_url=start_url, clock=clock.monotonic_ns)
    result = Result(audio=path, audio_ms=len(pcm) // 32, recorder=TurnRecorder(path))
    finals: list[str] = []
    done_ns = 0
    wall0 = clock.monotonic_ns()

    def record(events: list[Event], t_ms: float) -> None:
        for m in result.recorder.record(events, int(t_ms * 1e6)):
            result.metrics.append({"turn": m.turn, "name": m.name, "ms": round(m.value_ms, 1), **m.labels})
        for ev in events:
            if isinstance(ev, Final) and ev.text:
                finals.append(ev.text)
            if isinstance(ev, SpeechEnded):
                result.last_voiced_ms = ev.last_voiced_ms
            action = _action(ev, t_ms, engine.site.absolute)
            if action is not None:
                result.actions.append(action)

    listens = _Listens(engine, session, realtime)
    for i, frame in enumerate(_frames(pcm)):
        arrival_ns = (i + 1) * FRAME_MS * 1_000_000
        if realtime:
            lag = wall0 + arrival_ns - clock.monotonic_ns()
            if lag > 0:
                time.sleep(lag / 1e9)
        else:  # answers that came back (on the other core) before this frame's turn
            for ready_ns, answer in listens.due(max(done_ns, arrival_ns)):
                t0 = clock.monotonic_ns()
                events = answer()
                done_ns = max(done_ns, ready_ns) + clock.monotonic_ns() - t0
                record(events, done_ns / 1e6)
                listens.ask(events, done_ns)
        t0 = clock.monotonic_ns()
        result.recorder.audio((i + 1) * FRAME_MS, t0 - wall0 if realtime else arrival_ns)
        events = session.feed_audio(frame, t0 - wall0 if realtime else max(done_ns, arrival_ns))
        t1 = clock.monotonic_ns()
        done_ns = max(done_ns, arrival_ns) + (t1 - t0)
        result.cpu_ms += (t1 - t0) / 1e6
        record(events, (t1 - wall0) / 1e6 if realtime else done_ns / 1e6)
        while events and realtime:  # one thread: answers go in at once, late frames catch up
            events = listens.ask(events, t1 - wall0)
            record(events, (clock.monotonic_ns() - wall0) / 1e6)
        if not realtime:
            listens.ask(events, done_ns)
    t0 = clock.monotonic_ns()
    events = session.close(t0 - wall0 if realtime else done_ns)
    done_ns += clock.monotonic_ns() - t0
    record(events, (clock.monotonic_ns() - wall0) / 1e6 if realtime else done_ns / 1e6)
    result.transcript = " ".join(finals)
    result.final_url = engine.site.absolute(session.url) if session.url else None
    result.mispredictions = session.mispredictions
    return result


class _Listens:
    """The shell's side of ``Transcribe`` requests. Timing model: a listen runs on the second core
    while frames go on; it starts when asked (or when the previous listen is done) and its answer
    reaches the session before the first frame processed after it is ready. Its compute is
    measured here, before the frames that run alongside it. With ``realtime`` it runs at once, in
    the frames' thread."""

    def __init__(self, engine: Engine, session: Session, realtime: bool) -> None:
        self.engine, self.session, self.realtime = engine, session, realtime
        self.pending: list[tuple[int, Callable[[], list[Event]]]] = []
        self.free_ns = 0

    def ask(self, events: list[Event], asked_ns: int) -> list[Event]:
        """Run the Transcribe requests among ``events``; with ``realtime``, the answers' events."""
        answered: list[Event] = []
        for ev in events:
            if isinstance(ev, Transcribe):
                answered += self.run(ev, asked_ns)
        return answered

    def run(self, ev: Transcribe, asked_ns: int) -> list[Event]:
        verifier = self.engine.verifier
        assert verifier is not None
        t0 = clock.monotonic_ns()
        text = verifier.transcribe(ev.pcm)
        cost = clock.monotonic_ns() - t0
        start = asked_ns if self.realtime else max(asked_ns, self.free_ns)
        ready = start + cost
        self.free_ns = ready
        span = Span(ev.turn, ev.audio_ms, "listen", start, ready, text)

        def answer() -> list[Event]:
            return [span, *self.session.feed_transcript(ev.turn, ev.upto_ms, text, ready)]

        if self.realtime:
            return answer()
        self.pending.append((ready, answer))
        return []

    def due(self, now_ns: int) -> list[tuple[int, Callable[[], list[Event]]]]:
        ready = [p for p in self.pending if p[0] <= now_ns]
        self.pending = [p for p in self.pending if p[0] > now_ns]
        return ready


def timeline(result: Result) -> str:
    """A readable account of one file."""
    lines = [f"{result.audio}: heard {result.transcript!r}"]
    for a in result.actions:
        detail = a.get("url") or a.get("selector") or a.get("text") or a.get("direction") or ""
        early = " (early)" if a.get("early") else ""
        lines.append(f"  {a['t_ms']:8.1f} ms  {a['type']:<9} {detail}{early}")
    lines.append(f"  ends on: {result.final_url or 'no page'}")
    return "\n".join(lines)
