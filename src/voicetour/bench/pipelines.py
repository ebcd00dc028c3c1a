"""The two pipelines the bench compares, run on the same audio in the same process, and scoring.

- streaming: the voicetour core (``simulate_file``), frames arriving at their audio time;
- baseline: the field's sequential pipeline. A VAD (the same WebRTC endpointer) with a typical
  500 ms silence timeout ends the utterance; then faster-whisper (tiny.en, the bundled weights,
  the same product-word prompt, greedy, full 30 s window as faster-whisper does) transcribes the
  whole utterance; then the same intent matcher (ranker + policy + control words) picks the
  action. Nothing overlaps: each stage starts when the previous one is done.

Timing model for both (see simulate.py): frame i arrives at its audio time; work starts when the
frame has arrived and the previous work is done; compute is measured on this machine. An action's
time is when the work that produced it finished. ``voice_to_action`` = that time minus the end of
the last voiced 10 ms of the *clean* audio (from its energy, not from either pipeline's VAD).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voicetour import clock
from voicetour.audio import FRAME_BYTES, FRAME_MS
from voicetour.audio.vad import Endpointer, VadConfig
from voicetour.audio.wav import read_wav
from voicetour.bench.corpus import Item
from voicetour.evaluate import last_voiced_ms
from voicetour.intent.text import control_of
from voicetour.session.engine import Engine
from voicetour.session.policy import PolicyConfig, decide
from voicetour.simulate import TRAILING_SILENCE_MS, simulate_file

BASELINE_SILENCE_MS = 500


@dataclass
class Outcome:
    """One utterance through one pipeline."""

    heard: str
    actions: list[dict[str, Any]]
    """Each {"type", "t_ms", ...} as in simulate.py: navigate (url), scroll (direction), stop, back."""
    final_url: str | None
    audio_ms: int
    cpu_ms: float
    stages_ms: dict[str, float] = field(default_factory=dict)
    """Compute per stage (recognizer, rank, verify / vad, transcribe, intent)."""
    mispredictions: int = 0
    process_cpu_ms: float = 0.0
    """All of the process's CPU time for this utterance (whisper's own threads included)."""


@dataclass
class Scored:
    pipeline: str
    item: Item
    outcome: Outcome
    ok: bool
    false_action: bool
    v2a_ms: float | None
    decided_audio_ms: float | None
    """Audio time of the deciding action, minus the end of speech (how long it waited for words)."""
    wrong_shown: bool = False
    """A page other than the right one was shown at some point (early flashes included)."""


def run_streaming(engine: Engine, path: Path, realtime: bool = False) -> Outcome:
    res = simulate_file(engine, str(path), realtime=realtime)
    stages: dict[str, float] = {}
    for m in res.metrics:
        if m["name"] == "busy":
            stages[m["stage"]] = stages.get(m["stage"], 0.0) + m["ms"]
    return Outcome(res.transcript, res.actions, res.final_url, res.audio_ms, res.cpu_ms, stages, res.mispredictions)


def run_baseline(engine: Engine, path: Path, silence_ms: int = BASELINE_SILENCE_MS) -> Outcome:
    """The sequential pipeline on one file (see the module docstring)."""
    if engine.verifier is None:
        raise ValueError("the baseline needs the whisper model (Engine.for_site(site, verify=True))")
    pcm = read_wav(path)
    audio_ms = len(pcm) // 32
    pcm += b"\x00" * (TRAILING_SILENCE_MS * 32)
    cfg = VadConfig(end_ms=silence_ms)
    endpointer = Endpointer(cfg)
    preroll: list[bytes] = []
    utterance: bytearray | None = None
    done_ns = 0
    vad_ns = 0
    end_at_ms: float | None = None
    for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        frame = pcm[i : i + FRAME_BYTES]
        arrival = (i // FRAME_BYTES + 1) * FRAME_MS * 1_000_000
        t0 = clock.monotonic_ns()
        _, transition = endpointer.push(frame)
        cost = clock.monotonic_ns() - t0
        vad_ns += cost
        done_ns = max(done_ns, arrival) + cost
        if utterance is None:
            preroll = (preroll + [frame])[-cfg.preroll_frames :]
            if transition == "start":
                utterance = bytearray(b"".join(preroll))
            continue
        utterance += frame
        if transition == "end":
            end_at_ms = done_ns / 1e6
            break
    stages = {"vad": vad_ns / 1e6}
    if utterance is None or end_at_ms is None:
        return Outcome("", [], None, audio_ms, vad_ns / 1e6, stages)
    t0 = clock.monotonic_ns()
    full = getattr(engine.verifier, "transcribe_full", None)  # the field's way, when the verifier has one
    heard = full(bytes(utterance)) if full is not None else engine.verifier.transcribe(bytes(utterance), thorough=True)
    t1 = clock.monotonic_ns()
    command = control_of(heard)
    verdict, top = decide(engine.ranker.rank(heard, fuzzy=True), PolicyConfig())
    t2 = clock.monotonic_ns()
    stages.update(transcribe=(t1 - t0) / 1e6, intent=(t2 - t1) / 1e6)
    t_ms = round(end_at_ms + (t2 - t0) / 1e6, 1)
    actions: list[dict[str, Any]] = []
    final_url = None
    if command in ("scroll_down", "scroll_up"):
        actions.append({"type": "scroll", "direction": command.removeprefix("scroll_"), "t_ms": t_ms})
    elif command == "stop":
        actions.append({"type": "stop", "t_ms": t_ms})
    elif command is None and verdict == "accept" and top is not None:
        final_url = engine.site.absolute(top.target.url)
        actions.append({"type": "navigate", "url": final_url, "t_ms": t_ms, "decided_ms": end_at_ms})
    cpu = (vad_ns + t2 - t0) / 1e6
    return Outcome(heard, actions, final_url, audio_ms, cpu, stages)


def score(pipeline: str, engine: Engine, item: Item, outcome: Outcome, clean_dir: Path) -> Scored:
    """Right action or not, a false action or not, and voice-to-action for one utterance."""
    end = last_voiced_ms(read_wav(clean_dir / item.clean))
    acts = [a for a in outcome.actions if a["type"] in ("navigate", "scroll", "stop", "back")]
    hit: dict[str, Any] | None = None
    if item.page is not None:
        expected = engine.site.absolute(engine.site.page(item.page).url)
        ok = outcome.final_url == expected
        hit = next((a for a in acts if a["type"] == "navigate" and a["url"] == expected), None) if ok else None
    elif item.control is not None:
        want = item.control.removeprefix("scroll_")
        hit = next((a for a in acts if (a["type"] == "scroll" and a.get("direction") == want)
                    or (a["type"] == item.control == "stop")), None)
        ok = hit is not None and outcome.final_url is None  # the page it started on (none) is kept
    else:
        ok = not acts
    right = engine.site.absolute(engine.site.page(item.page).url) if item.page is not None else None
    wrong_shown = any(a["type"] == "navigate" and a.get("url") != right for a in acts)
    return Scored(
        pipeline, item, outcome, ok,
        false_action=item.kind == "ood" and bool(acts),
        v2a_ms=round(hit["t_ms"] - end, 1) if hit is not None else None,
        decided_audio_ms=round(float(hit.get("decided_ms", hit.get("audio_ms", hit["t_ms"]))) - end, 1)
        if hit is not None else None,
        wrong_shown=wrong_shown,
    )
