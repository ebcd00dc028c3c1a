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
from voicetour.events import Action, Event, Final, Rejected, Span, SpeechEnded, Transcribe
from voicetour.server.protocol import render
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


def _action(ev: Event, t_ms: float, site_abs: Callable[[str], str]) -> dict[str, Any] | None:
    """An action as the protocol renders it, with its time and absolute URLs."""
    msg = render(ev) if isinstance(ev, Action | Rejected) else None
    if msg is None:
        return None
    if isinstance(msg.get("url"), str):
        msg["url"] = site_abs(msg["url"])
    return {**msg, "t_ms": round(t_ms, 1)}


def simulate_file(engine: Engine, path: str, start_url: str | None = None, realtime: bool = False,
                  lean: bool = False) -> Result:
    """``lean``: the session's turns are lean (``Session.lean``), as on a busy server."""
    pcm = read_wav(path)
    session = Session(engine, start_url=start_url, clock=clock.monotonic_ns)
    session.lean = lean
    result = Result(audio=path, audio_ms=len(pcm) // 32, recorder=TurnRecorder(path))
    finals: list[str] = []
    wall0 = clock.monotonic_ns()

    def record(events: list[Event], t_ns: int) -> None:
        t_ms = (clock.monotonic_ns() - wall0) / 1e6 if realtime else t_ns / 1e6
        for m in result.recorder.record(events, int(t_ms * 1e6)):
            result.metrics.append({"turn": m.turn, "name": m.name, "ms": round(m.value_ms, 1), **dict(m.labels)})
        for ev in events:
            if isinstance(ev, Final) and ev.text:
                finals.append(ev.text)
            if isinstance(ev, SpeechEnded):
                result.last_voiced_ms = ev.last_voiced_ms
            action = _action(ev, t_ms, engine.site.absolute)
            if action is not None:
                result.actions.append(action)

    listens = _Listens(engine, session, realtime, record, result)
    done_ns = 0
    for i, frame in enumerate(_frames(pcm)):
        arrival_ns = (i + 1) * FRAME_MS * 1_000_000
        if realtime:
            lag = wall0 + arrival_ns - clock.monotonic_ns()
            if lag > 0:
                time.sleep(lag / 1e9)
        else:  # answers that came back (on the other core) before this frame's turn
            done_ns = listens.deliver(max(done_ns, arrival_ns), done_ns)
        t0 = clock.monotonic_ns()
        now = t0 - wall0 if realtime else max(done_ns, arrival_ns)
        result.recorder.audio((i + 1) * FRAME_MS, now if realtime else arrival_ns)
        events = session.feed_audio(frame, now)
        cost = clock.monotonic_ns() - t0
        result.cpu_ms += cost / 1e6
        done_ns = listens.handle(events, max(done_ns, arrival_ns) + cost)
    t0 = clock.monotonic_ns()
    events = session.close(t0 - wall0 if realtime else done_ns)
    listens.handle(events, done_ns + clock.monotonic_ns() - t0)
    result.transcript = " ".join(finals)
    result.final_url = engine.site.absolute(session.url) if session.url else None
    result.mispredictions = session.mispredictions
    return result


class _Listens:
    """The shell's side of ``Transcribe`` requests. Timing model: a ``speaking`` or ``pause``
    listen runs on the second core while frames go on; it starts when asked (or when the previous
    one is done) and its answer reaches the session before the first frame processed after it is
    ready. A ``quick`` or ``careful`` listen runs on the frames' path (the session holds its input
    until it is answered), so its time is added to theirs. With ``realtime`` every listen runs at
    once, in the frames' thread."""

    def __init__(self, engine: Engine, session: Session, realtime: bool,
                 record: Callable[[list[Event], int], None], result: Result) -> None:
        self.engine, self.session, self.realtime, self.record, self.result = engine, session, realtime, record, result
        self.pending: list[tuple[int, Transcribe, str, int]] = []
        self.free_ns = 0

    def handle(self, events: list[Event], t_ns: int) -> int:
        """Record ``events`` (produced by ``t_ns``) and run the requests among them; returns when
        the session's path is free again."""
        self.record(events, t_ns)
        for ev in events:
            if not isinstance(ev, Transcribe):
                continue
            verifier = self.engine.verifier
            assert verifier is not None
            t0 = clock.monotonic_ns()
            text = verifier.transcribe(ev.pcm, thorough=ev.thorough, hint=ev.hint, focus=ev.focus, weigh=ev.weigh,
                                       noise=ev.noise)
            cost = clock.monotonic_ns() - t0
            if ev.may_decline and not self.realtime:
                start = max(t_ns, self.free_ns)
                self.free_ns = start + cost
                self.pending.append((start + cost, ev, text, start))
                continue
            if not ev.may_decline:
                self.result.cpu_ms += cost / 1e6
            t_ns = self._answer(ev, text, t_ns, t_ns + cost)
        return t_ns

    def deliver(self, now_ns: int, done_ns: int) -> int:
        """Feed the answers ready by ``now_ns``; returns when the session's path is free again."""
        ready = sorted((p for p in self.pending if p[0] <= now_ns), key=lambda p: p[0])
        self.pending = [p for p in self.pending if p[0] > now_ns]
        for ready_ns, ev, text, start in ready:
            done_ns = self._answer(ev, text, start, max(done_ns, ready_ns))
        return done_ns

    def _answer(self, ev: Transcribe, text: str, start_ns: int, ready_ns: int) -> int:
        span = Span(ev.turn, ev.audio_ms, "listen", start_ns, ready_ns, f"{ev.kind}: {text}")
        t0 = clock.monotonic_ns()
        events = self.session.feed_transcript(ev, text, ready_ns)
        cost = clock.monotonic_ns() - t0
        self.result.cpu_ms += cost / 1e6
        return self.handle([span, *events], ready_ns + cost)


def timeline(result: Result) -> str:
    """A readable account of one file."""
    lines = [f"{result.audio}: heard {result.transcript!r}"]
    for a in result.actions:
        detail = a.get("url") or a.get("selector") or a.get("text") or a.get("direction") or ""
        early = " (early)" if a.get("early") else ""
        lines.append(f"  {a['t_ms']:8.1f} ms  {a['type']:<9} {detail}{early}")
    lines.append(f"  ends on: {result.final_url or 'no page'}")
    return "\n".join(lines)
