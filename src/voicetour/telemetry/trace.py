"""Per-turn traces: the core's spans plus what only the shell sees (arrival of audio, sending an
action, the browser showing it), exported as Chrome trace-event JSON (opens in Perfetto).

``TurnRecorder`` is sans-I/O like the core: the shell tells it when audio arrived
(``audio(audio_ms, t_ns)``), hands it every batch of events with the time they were handled and
sent (``record``), and reports the browser's "visible" messages (``visible``). It returns, per
finished turn, ``Metric`` events with the field's names:

- ``ttfb``: speech detected → first non-empty partial transcript;
- ``end_of_utterance_delay``: end of the last voiced audio → the endpointer closing the turn;
- ``transcription_delay``: end of the last voiced audio → the final transcript;
- ``e2e_latency``: end of the last voiced audio → the action that stood was sent (voice-to-action;
  negative when the page was up before the speaker finished);
- ``voice_to_visible``: the same, to the browser's first frame showing the page;
- ``busy`` (label ``stage``: frame, rank, finish, listen): the processing time in the turn
  (listen: the whisper runs the core asked for).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace
from typing import Any

from voicetour.events import (
    Back,
    Cancel,
    Event,
    Final,
    Metric,
    Navigate,
    Partial,
    Rejected,
    Say,
    Span,
    SpeechEnded,
    SpeechStarted,
    State,
)

LANES = ("turn", "audio", "core", "intent", "verifier", "actions", "browser")
LANE_OF = {"frame": "core", "finish": "core", "rank": "intent", "verify": "verifier", "listen": "verifier"}
MAX_SPANS = 50_000
"""Per recorder; older spans are dropped first (a long live session must not grow without bound)."""


@dataclass(frozen=True, slots=True)
class TraceSpan:
    turn: int
    lane: str
    name: str
    start_ns: int
    end_ns: int
    detail: str = ""


@dataclass
class _Turn:
    id: int
    detected_ns: int
    first_partial_ns: int | None = None
    last_voiced_ns: int | None = None
    ended_ns: int | None = None
    final_ns: int | None = None
    action_ns: int | None = None
    action_url: str | None = None
    last_ns: int = 0
    visible_ns: int | None = None
    busy: dict[str, int] = field(default_factory=dict)


WORDLESS = ("navigate", "navigate (early)", "back", "cancel", "visible (pre-rendered)", "visible (loaded)")
"""Spans whose detail (a page's URL) is kept when a recorder keeps no words."""


class TurnRecorder:
    """A session's spans and metrics. ``words=False`` (``voicetour serve --no-transcripts``):
    what was said, heard and replied is not kept (span details other than page URLs are dropped)."""

    def __init__(self, name: str = "session", words: bool = True) -> None:
        self.name = name
        self.words = words
        self.spans: list[TraceSpan] = []
        self.dropped = 0
        self._arrivals_ms: list[float] = []
        self._arrivals_ns: list[int] = []
        self._turns: dict[int, _Turn] = {}
        self._done: dict[int, _Turn] = {}

    # -- inputs from the shell -------------------------------------------------------------

    def audio(self, audio_ms: float, t_ns: int) -> None:
        """Audio up to ``audio_ms`` (stream time) had arrived at ``t_ns`` (shell time)."""
        self._arrivals_ms.append(audio_ms)
        self._arrivals_ns.append(t_ns)
        if len(self._arrivals_ms) > 4 * 3000:  # keep about the last minute of 20 ms frames
            del self._arrivals_ms[:3000], self._arrivals_ns[:3000]

    def arrival_ns(self, audio_ms: float) -> int:
        """When the audio at stream time ``audio_ms`` had arrived (the first message covering it)."""
        i = bisect.bisect_left(self._arrivals_ms, audio_ms)
        if i >= len(self._arrivals_ns):
            return self._arrivals_ns[-1] if self._arrivals_ns else 0
        return self._arrivals_ns[i]

    def record(self, events: list[Event], handled_ns: int, sent_ns: int | None = None) -> list[Metric]:
        """Events the core returned, handled (returned by the core) at ``handled_ns`` and sent to
        the client at ``sent_ns``. Returns the metrics of turns that finished in this batch."""
        sent = handled_ns if sent_ns is None else sent_ns
        out: list[Metric] = []
        for ev in events:
            turn = self._turns.get(ev.turn)
            if isinstance(ev, Span):
                self._add(TraceSpan(ev.turn, LANE_OF.get(ev.name, "core"), ev.name, ev.start_ns, ev.end_ns,
                                    ev.detail))
                if turn is not None:
                    turn.busy[ev.name] = turn.busy.get(ev.name, 0) + ev.end_ns - ev.start_ns
                continue
            if isinstance(ev, SpeechStarted):
                self._turns[ev.turn] = _Turn(ev.turn, self.arrival_ns(ev.audio_ms))
            elif turn is None and isinstance(ev, Final):  # a typed request: a turn without audio
                turn = self._turns[ev.turn] = _Turn(ev.turn, handled_ns)
            if turn is None:
                continue
            turn.last_ns = max(turn.last_ns, sent)
            if isinstance(ev, Partial) and ev.text and turn.first_partial_ns is None:
                turn.first_partial_ns = handled_ns
                self._instant(ev.turn, "core", "first partial", handled_ns, ev.text)
            elif isinstance(ev, Partial):
                self._instant(ev.turn, "core", "partial", handled_ns, ev.text)
            elif isinstance(ev, SpeechEnded):
                turn.last_voiced_ns = self.arrival_ns(ev.last_voiced_ms)
                turn.ended_ns = handled_ns
                self._add(TraceSpan(ev.turn, "audio", "voice activity", turn.detected_ns, turn.last_voiced_ns))
                self._add(TraceSpan(ev.turn, "audio", "end of utterance", turn.last_voiced_ns, handled_ns))
            elif isinstance(ev, Final):
                turn.final_ns = handled_ns
                self._instant(ev.turn, "core", f"final ({ev.source})", handled_ns, ev.text)
            elif isinstance(ev, Navigate | Back | Cancel):
                url = ev.url
                turn.action_ns, turn.action_url = sent, url
                kind = type(ev).__name__.lower() + (" (early)" if isinstance(ev, Navigate) and ev.early else "")
                self._add(TraceSpan(ev.turn, "actions", kind, handled_ns, sent, url or ""))
            elif isinstance(ev, Say | Rejected):
                self._add(TraceSpan(ev.turn, "actions", type(ev).__name__.lower(), handled_ns, sent, ev.text))
            elif isinstance(ev, State) and ev.state == "listening":
                out += self._finish(turn)
        return out

    def visible(self, turn_id: int, url: str, shown_ns: int, prerendered: bool = False) -> list[Metric]:
        """The browser showed ``url`` for ``turn_id`` at ``shown_ns`` (shell time). The metric comes
        now if the turn is over, else with the turn's other metrics (the page is often up before
        the speaker has finished)."""
        turn = self._done.get(turn_id) or self._turns.get(turn_id)
        if turn is None or turn.action_ns is None:
            return []
        name = "visible (pre-rendered)" if prerendered else "visible (loaded)"
        self._add(TraceSpan(turn_id, "browser", name, turn.action_ns, max(turn.action_ns, shown_ns), url))
        turn.visible_ns = shown_ns
        if turn_id not in self._done or turn.last_voiced_ns is None:
            return []
        return [Metric(turn_id, 0, "voice_to_visible", (shown_ns - turn.last_voiced_ns) / 1e6)]

    # -- outputs ---------------------------------------------------------------------------

    def turn_spans(self, turn_id: int) -> list[TraceSpan]:
        """One turn's spans, for the debug waterfall (frame spans merged into one 'recognize' bar)."""
        spans = [s for s in self.spans if s.turn == turn_id]
        frames = [s for s in spans if s.name == "frame"]
        rest = [s for s in spans if s.name != "frame"]
        if frames:
            busy = sum(s.end_ns - s.start_ns for s in frames) / 1e6
            rest.append(TraceSpan(turn_id, "core", "recognize", frames[0].start_ns, frames[-1].end_ns,
                                  f"{len(frames)} frames, {busy:.1f} ms busy"))
        return sorted(rest, key=lambda s: (s.start_ns, s.lane))

    def _finish(self, turn: _Turn) -> list[Metric]:
        self._turns.pop(turn.id, None)
        self._done[turn.id] = turn
        if len(self._done) > 100:
            self._done.pop(next(iter(self._done)))
        out = [Metric(turn.id, 0, "busy", ns / 1e6, (("stage", stage),)) for stage, ns in turn.busy.items()]
        if turn.first_partial_ns is not None:
            out.append(Metric(turn.id, 0, "ttfb", (turn.first_partial_ns - turn.detected_ns) / 1e6,
                              (("stage", "asr"),)))
        voiced = turn.last_voiced_ns
        if voiced is not None:
            if turn.ended_ns is not None:
                out.append(Metric(turn.id, 0, "end_of_utterance_delay", (turn.ended_ns - voiced) / 1e6))
            if turn.final_ns is not None:
                out.append(Metric(turn.id, 0, "transcription_delay", (turn.final_ns - voiced) / 1e6))
            if turn.action_ns is not None:
                out.append(Metric(turn.id, 0, "e2e_latency", (turn.action_ns - voiced) / 1e6))
            if turn.visible_ns is not None:
                out.append(Metric(turn.id, 0, "voice_to_visible", (turn.visible_ns - voiced) / 1e6))
        self._add(TraceSpan(turn.id, "turn", f"turn {turn.id}", turn.detected_ns, max(turn.last_ns, turn.detected_ns)))
        return out

    def _instant(self, turn: int, lane: str, name: str, t_ns: int, detail: str = "") -> None:
        self._add(TraceSpan(turn, lane, name, t_ns, t_ns, detail))

    def _add(self, span: TraceSpan) -> None:
        if not self.words and span.detail and span.name not in WORDLESS:
            span = replace(span, detail="")
        self.spans.append(span)
        if len(self.spans) > MAX_SPANS:
            drop = len(self.spans) - MAX_SPANS
            del self.spans[:drop]
            self.dropped += drop


def chrome_trace(recorders: list[TurnRecorder]) -> dict[str, Any]:
    """Chrome trace-event JSON: one process per session, one thread per lane; open in Perfetto
    (ui.perfetto.dev) or chrome://tracing. Zero-length spans become instant events."""
    events: list[dict[str, Any]] = []
    origin = min((s.start_ns for r in recorders for s in r.spans), default=0)
    for pid, rec in enumerate(recorders, start=1):
        events.append({"ph": "M", "pid": pid, "name": "process_name", "args": {"name": rec.name}})
        for tid, lane in enumerate(LANES, start=1):
            events.append({"ph": "M", "pid": pid, "tid": tid, "name": "thread_name", "args": {"name": lane}})
        for s in rec.spans:
            ev: dict[str, Any] = {
                "name": s.name, "cat": s.lane, "pid": pid, "tid": LANES.index(s.lane) + 1,
                "ts": (s.start_ns - origin) / 1e3, "args": {"turn": s.turn},
            }
            if s.detail:
                ev["args"]["detail"] = s.detail
            if s.end_ns > s.start_ns:
                ev.update(ph="X", dur=(s.end_ns - s.start_ns) / 1e3)
            else:
                ev.update(ph="i", s="t")
            events.append(ev)
    return {"traceEvents": events, "displayTimeUnit": "ms"}
