"""Aggregate scored utterances into report.json, report.md and PNG plots."""

from __future__ import annotations

import json
import platform
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from voicetour.bench.pipelines import Scored

PIPELINES = ("streaming", "baseline")


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def _rate(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def summarize(rows: list[Scored]) -> dict[str, Any]:
    """The keys the issue asks for, plus breakdowns by kind of request and by noise."""
    lat = [r.v2a_ms for r in rows if r.v2a_ms is not None]
    ood = [r for r in rows if r.item.kind == "ood"]
    audio_ms = sum(r.outcome.audio_ms for r in rows)
    stages: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        for stage, ms in r.outcome.stages_ms.items():
            stages[stage].append(ms)
    by_kind = defaultdict(list)
    by_snr = defaultdict(list)
    by_voice = defaultdict(list)
    for r in rows:
        by_kind[r.item.kind].append(r.ok)
        by_snr["clean" if r.item.snr_db is None else f"{r.item.snr_db:g} dB"].append(r.ok)
        by_voice[r.item.voice].append(r.ok)
    decided = [r.decided_audio_ms for r in rows if r.decided_audio_ms is not None]
    cpu = [r.outcome.process_cpu_ms for r in rows]
    return {
        "n": len(rows),
        "voice_to_action_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "p99": _pct(lat, 99),
                               "mean": round(float(np.mean(lat)), 1) if lat else None, "n": len(lat)},
        "accuracy": _rate([r.ok for r in rows]),
        "wrong_page_shown": sum(r.wrong_shown for r in rows),
        "false_action_rate": _rate([r.false_action for r in ood]),
        "ood_rejection_rate": _rate([r.ok for r in ood]),
        "rtf": round(sum(r.outcome.cpu_ms for r in rows) / audio_ms, 4) if audio_ms else None,
        "cpu_ms_per_request": {"mean": round(float(np.mean(cpu)), 1) if cpu else None, "p95": _pct(cpu, 95)},
        "requests_per_core_hour": round(3_600_000 / float(np.mean(cpu))) if cpu and np.mean(cpu) > 0 else None,
        "acted_before_end_of_speech": _rate([v < 0 for v in lat]),
        "decided_audio_ms_p50": _pct(decided, 50),
        "compute_ms_per_utterance": {k: round(float(np.mean(v)), 1) for k, v in sorted(stages.items())},
        "mispredictions": sum(r.outcome.mispredictions for r in rows),
        "accuracy_by_kind": {k: _rate(v) for k, v in sorted(by_kind.items())},
        "accuracy_by_noise": {k: _rate(v) for k, v in by_noise_order(by_snr)},
        "accuracy_by_voice": {k: _rate(v) for k, v in sorted(by_voice.items())},
    }


def by_noise_order(groups: dict[str, list[bool]]) -> list[tuple[str, list[bool]]]:
    def key(kv: tuple[str, list[bool]]) -> tuple[bool, float]:
        return kv[0] != "clean", -float(kv[0].split()[0]) if kv[0] != "clean" else 0.0

    return sorted(groups.items(), key=key)


def build_report(results: dict[str, list[Scored]], meta: dict[str, Any]) -> dict[str, Any]:
    report: dict[str, Any] = {p: summarize(results[p]) for p in PIPELINES if p in results}
    s, b = report.get("streaming"), report.get("baseline")
    if s and b and s["voice_to_action_ms"]["p50"] is not None and b["voice_to_action_ms"]["p50"]:
        sp50, bp50 = s["voice_to_action_ms"]["p50"], b["voice_to_action_ms"]["p50"]
        # A ratio of a negative time means nothing; compare against 1 ms when streaming acts before the end.
        report["speedup_p50"] = round(bp50 / max(sp50, 1.0), 1)
        report["p50_saving_ms"] = round(bp50 - sp50, 1)
    report["meta"] = {"machine": platform.machine(), "python": platform.python_version(),
                      "cpus": __import__("os").cpu_count(), **meta}
    report["rows"] = [
        {"pipeline": r.pipeline, "file": r.item.file, "voice": r.item.voice, "snr_db": r.item.snr_db,
         "kind": r.item.kind, "text": r.item.text, "heard": r.outcome.heard, "final_url": r.outcome.final_url,
         "ok": r.ok, "wrong_shown": r.wrong_shown, "v2a_ms": r.v2a_ms}
        for p in PIPELINES for r in results.get(p, [])
    ]
    return report


def markdown(report: dict[str, Any]) -> str:
    s, b = report["streaming"], report["baseline"]
    lines = [
        "# voicetour bench",
        "",
        f"{report['meta'].get('utterances')} utterances ({report['meta'].get('corpus')}); machine: "
        f"{report['meta']['cpus']} CPUs, Python {report['meta']['python']}; timing: {report['meta'].get('timing')}; "
        f"competing CPU load: {report['meta'].get('cpu_load', 'none')}.",
        "",
        "voice-to-action = action time − end of the speaker's last voiced 10 ms (clean audio energy). "
        "Negative: the action came before the speaker finished.",
        "",
        "| measure | streaming (voicetour) | baseline (sequential) |",
        "| --- | --- | --- |",
    ]
    for label, key in (("voice-to-action p50 (ms)", "p50"), ("voice-to-action p95 (ms)", "p95"),
                       ("voice-to-action p99 (ms)", "p99")):
        lines.append(f"| {label} | {s['voice_to_action_ms'][key]} | {b['voice_to_action_ms'][key]} |")
    lines.append(f"| CPU per request (ms, mean / p95; every thread, whisper's included) | "
                 f"{s['cpu_ms_per_request']['mean']} / {s['cpu_ms_per_request']['p95']} | "
                 f"{b['cpu_ms_per_request']['mean']} / {b['cpu_ms_per_request']['p95']} |")
    lines.append(f"| requests per core-hour | {s['requests_per_core_hour']} | {b['requests_per_core_hour']} |")
    for label, key in (("accuracy", "accuracy"), ("files showing a wrong page (flashes included)", "wrong_page_shown"),
                       ("out-of-domain rejection", "ood_rejection_rate"),
                       ("false action rate (out-of-domain)", "false_action_rate"), ("real-time factor", "rtf"),
                       ("acted before end of speech", "acted_before_end_of_speech"),
                       ("early guesses corrected", "mispredictions")):
        lines.append(f"| {label} | {s[key]} | {b[key]} |")
    if "speedup_p50" in report:
        before = s["voice_to_action_ms"]["p50"] < 1
        lines += ["", f"**p50 voice-to-action: baseline / streaming = {report['speedup_p50']}×** "
                      f"({report['p50_saving_ms']} ms saved per turn at the median"
                      + ("; the streaming median is at or before the end of speech, so the ratio is taken "
                         "against 1 ms)." if before else ").")]
    lines += ["", "## Accuracy by kind, noise and voice", "", "| group | streaming | baseline |", "| --- | --- | --- |"]
    for part in ("accuracy_by_kind", "accuracy_by_noise", "accuracy_by_voice"):
        for k in s[part]:
            lines.append(f"| {k} | {s[part][k]} | {b[part].get(k)} |")
    lines += ["", "## Compute per utterance (ms, mean)", "",
              f"- streaming: {s['compute_ms_per_utterance']}", f"- baseline: {b['compute_ms_per_utterance']}",
              "", "Plots: latency_cdf.png, stages.png.", ""]
    wrong = [r for r in report["rows"] if not r["ok"]]
    if wrong:
        lines += ["## Wrong outcomes", "", "| pipeline | file | said | heard | ended on |",
                  "| --- | --- | --- | --- | --- |"]
        lines += [f"| {r['pipeline']} | {r['file']} | {r['text']} | {r['heard']} | {r['final_url']} |" for r in wrong]
    return "\n".join(lines) + "\n"


def plots(results: dict[str, list[Scored]], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for p, color in zip(PIPELINES, ("#2f9e44", "#e03131"), strict=True):
        lat = np.sort([r.v2a_ms for r in results.get(p, []) if r.v2a_ms is not None])
        if lat.size:
            ax.step(lat, np.arange(1, lat.size + 1) / lat.size, where="post", label=p, color=color)
    ax.axvline(0, color="#888", lw=0.8, ls="--")
    ax.set_xlabel("voice-to-action (ms after the end of speech)")
    ax.set_ylabel("share of correct actions")
    ax.set_title("Latency CDF")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    paths.append(out / "latency_cdf.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 6.4))
    for y, p in enumerate(PIPELINES):
        rows = [r for r in results.get(p, []) if r.v2a_ms is not None]
        if not rows:
            continue
        wait = float(np.median([r.decided_audio_ms for r in rows if r.decided_audio_ms is not None]))
        total = float(np.median([r.v2a_ms for r in rows if r.v2a_ms is not None]))
        label = "silence timeout (500 ms)" if p == "baseline" else "listening for words (commit point)"
        ax.barh(y, wait, color="#adb5bd", label=f"{p}: {label}")
        ax.barh(y, total - wait, left=wait, color="#4c6ef5" if p == "streaming" else "#e8590c",
                label=f"{p}: compute after that point")
    ax.axvline(0, color="#333", lw=1)
    ax.set_yticks(range(len(PIPELINES)), PIPELINES)
    ax.set_xlabel("ms relative to the end of speech (median)")
    ax.set_title("Where the time goes: relative to the end of speech (median)")
    ax.legend(fontsize=7, loc="lower right")
    colors = {"frame": "#4c6ef5", "rank": "#15aabf", "listen": "#be4bdb", "vad": "#adb5bd",
              "transcribe": "#e8590c", "intent": "#15aabf"}
    for y, p in enumerate(PIPELINES):
        left = 0.0
        totals: dict[str, list[float]] = {}
        for r in results.get(p, []):
            for stage, ms in r.outcome.stages_ms.items():
                totals.setdefault(stage, []).append(ms)
        for stage, values in sorted(totals.items()):
            mean = float(np.mean(values))
            ax2.barh(y, mean, left=left, color=colors.get(stage, "#868e96"), edgecolor="white")
            if mean > 15:
                ax2.text(left + mean / 2, y, f"{stage}\n{mean:.0f}", ha="center", va="center", fontsize=7)
            left += mean
    ax2.set_yticks(range(len(PIPELINES)), PIPELINES)
    ax2.set_xlabel("CPU ms per utterance by stage (mean; streaming 'frame' = VAD + recognizer + policy)")
    fig.tight_layout()
    paths.append(out / "stages.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def write(report: dict[str, Any], results: dict[str, list[Scored]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "report.md").write_text(markdown(report))
    return [out / "report.json", out / "report.md", *plots(results, out)]
