"""USE metrics (utilization, saturation, errors) for every resource, in Prometheus format.

One ``Metrics`` per server process (its own registry, so tests can build many apps). Resources:

- recognizer (the core, per frame): utilization ``voicetour_busy_seconds_total{stage="frame"}``;
  saturation ``voicetour_processing_lag_seconds`` (audio arrival → processed) and
  ``voicetour_worker_queue_depth``; errors ``voicetour_errors_total{stage="session"}``.
- verifier (whisper, one shared model, a decision's listen and a background one at once):
  utilization ``voicetour_busy_seconds_total{stage="verify"}``;
  saturation shows as processing lag; errors as the recognizer's.
- intent ranking: utilization ``voicetour_busy_seconds_total{stage="rank"}`` (inline, never queues).
- socket send queue: ``voicetour_send_seconds``; saturation ``voicetour_send_queue_depth``;
  errors ``voicetour_errors_total{stage="protocol"|"socket"}``.
- event loop: ``voicetour_event_loop_busy_ratio``; saturation ``voicetour_event_loop_lag_seconds``.
- CPU: ``process_cpu_seconds_total`` and ``voicetour_cpu_utilization_ratio``; saturation
  ``voicetour_cpu_load_per_core`` (> 1: runnable work is waiting). What it buys:
  ``voicetour_cpu_seconds_total{stage}`` (the sessions' CPU by stage: frames, listen, answers,
  text), ``voicetour_cpu_per_turn_seconds`` (each finished turn's CPU, the silence before it
  included) and ``voicetour_cpu_seconds_per_turn`` (all of the process's CPU since it started /
  finished turns: the cost of a request, idle time and everything else included).

The table with how to read each one is in docs/metrics.md.

Per-turn latencies use the field's names: ``voicetour_ttfb_seconds``,
``voicetour_end_of_utterance_delay_seconds``, ``voicetour_transcription_delay_seconds``,
``voicetour_e2e_latency_seconds`` (voice-to-action) and ``voicetour_voice_to_visible_seconds``.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector, generate_latest

from voicetour.events import Metric
from voicetour.telemetry.cpu import process_ns

LATENCY_BUCKETS = (-1.0, -0.5, -0.25, -0.1, 0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
CPU_BUCKETS = (0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)
SHORT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
TURN_METRICS = ("ttfb", "end_of_utterance_delay", "transcription_delay", "e2e_latency", "voice_to_visible")


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        ProcessCollector(registry=r)
        self.sessions = Gauge("voicetour_sessions_active", "Open tour sessions (WebSockets).", registry=r)
        self.turns = Counter("voicetour_turns_total", "Finished turns.", registry=r)
        self.lean = Counter("voicetour_lean_turns_total", "Turns heard lean (more sessions open than "
                            "--full-sessions): whisper alone at the pause.", registry=r)
        self.mispredictions = Counter("voicetour_mispredictions_total",
                                      "Early navigations the final words contradicted.", registry=r)
        self.reveals = Counter("voicetour_reveals_total", "Pages shown after an action, by how: from a "
                               "pre-rendered frame or loaded.", ["how"], registry=r)
        self.listens = Counter("voicetour_listens_total", "Background transcriptions, by when they were asked "
                               "(speaking, or early in a pause) and outcome: answered, or declined because "
                               "the verifier was busy (saturation).", ["when", "outcome"], registry=r)
        self.errors = Counter("voicetour_errors_total", "Errors by stage and code.", ["stage", "code"], registry=r)
        self.busy = Counter("voicetour_busy_seconds_total", "Core processing time by stage (utilization: rate).",
                            ["stage"], registry=r)
        self.stage = Histogram("voicetour_processing_seconds", "Processing time per turn by stage.", ["stage"],
                               buckets=SHORT_BUCKETS, registry=r)
        self.turn = {
            name: Histogram(f"voicetour_{name}_seconds", f"Per-turn {name.replace('_', ' ')}.",
                            buckets=LATENCY_BUCKETS, registry=r)
            for name in TURN_METRICS
        }
        self.lag = Histogram("voicetour_processing_lag_seconds",
                             "Audio arrival to the core having processed it (recognizer saturation).",
                             buckets=SHORT_BUCKETS, registry=r)
        self.queue = Gauge("voicetour_worker_queue_depth", "Core calls waiting for or running in worker threads.",
                           registry=r)
        self.send = Histogram("voicetour_send_seconds", "Time to hand one message to the socket.",
                              buckets=SHORT_BUCKETS, registry=r)
        self.send_queue = Gauge("voicetour_send_queue_depth", "Messages waiting to be sent, all sessions.",
                                registry=r)
        self.loop_lag = Histogram("voicetour_event_loop_lag_seconds", "How late a 100 ms timer fires.",
                                  buckets=SHORT_BUCKETS, registry=r)
        self.loop_busy = Gauge("voicetour_event_loop_busy_ratio",
                               "Share of the last interval the event loop was late (a lower bound on busy).",
                               registry=r)
        self.cpu = Gauge("voicetour_cpu_utilization_ratio", "Process CPU time / (wall time x cores), last interval.",
                         registry=r)
        self.load = Gauge("voicetour_cpu_load_per_core", "1-minute load average / cores (saturation > 1).",
                          registry=r)
        self.cores = os.cpu_count() or 1
        self.cpu_spent = Counter("voicetour_cpu_seconds_total", "Sessions' CPU time by stage (frames: the "
                                 "grammar recognizer, endpointer and ranking; listen: whisper, its own threads "
                                 "included; answers, text).", ["stage"], registry=r)
        self.cpu_per_turn = Histogram("voicetour_cpu_per_turn_seconds", "CPU time of each finished turn, the "
                                      "silence before it included.", buckets=CPU_BUCKETS, registry=r)
        self.finished = 0
        self.cpu0_ns = process_ns()  # the models are loaded by now: what follows is serving
        per_turn = Gauge("voicetour_cpu_seconds_per_turn", "All of this process's CPU time since it began to "
                         "serve / finished turns (0 before the first).", registry=r)
        per_turn.set_function(lambda: (process_ns() - self.cpu0_ns) / 1e9 / self.finished if self.finished else 0.0)

    def turn_finished(self) -> None:
        self.turns.inc()
        self.finished += 1

    def observe(self, metric: Metric) -> None:
        if metric.name == "busy":
            stage = metric.label("stage", "?")
            self.busy.labels(stage).inc(metric.value_ms / 1e3)
            self.stage.labels(stage).observe(metric.value_ms / 1e3)
        elif metric.name in self.turn:
            self.turn[metric.name].observe(metric.value_ms / 1e3)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
