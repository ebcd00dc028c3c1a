"""`voicetour bench`: corpus → both pipelines on every file → report (see bench/pipelines.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from voicetour import clock
from voicetour.bench import corpus as corpus_mod
from voicetour.bench.pipelines import Outcome, Scored, run_baseline, run_streaming, score
from voicetour.bench.report import build_report, write
from voicetour.session.engine import Engine
from voicetour.telemetry.cpu import process_ns

QUICK_VOICES = ("piper", "espeak-us", "espeak-f3")
SNRS = [20.0, 10.0, 5.0]


def bar(items: list[Any], desc: str) -> Any:
    return tqdm(items, desc=desc, unit="utt", file=sys.stderr, dynamic_ncols=True, leave=True)


def costed(pipeline: Callable[..., Outcome], *args: Any) -> Outcome:
    """One utterance through a pipeline, with the process's CPU time for it (every thread)."""
    t0 = process_ns()
    outcome = pipeline(*args)
    return replace(outcome, process_cpu_ms=(process_ns() - t0) / 1e6)


def run(engine: Engine, out: Path, quick: bool, corpus_dir: Path | None = None, realtime: bool = False,
        warmup: bool = True, cpu_load: int = 0) -> dict[str, Any]:
    started = clock.monotonic()
    folder = corpus_dir or out / "corpus"
    if corpus_dir is not None and (corpus_dir / "index.json").exists():
        items = corpus_mod.load(corpus_dir)
    else:
        voices = QUICK_VOICES if quick else corpus_mod.VOICES
        items = corpus_mod.build(folder, corpus_mod.DEMO_PHRASES, voices, SNRS, every_snr=not quick,
                                 progress=lambda jobs: bar(jobs, "speech corpus"))
    if warmup:  # load models and fill caches so neither pipeline pays first-call costs in the results
        run_streaming(engine, folder / items[0].file)
        run_baseline(engine, folder / items[0].file)
    results: dict[str, list[Scored]] = {"streaming": [], "baseline": []}
    # Interleave the pipelines per file so machine noise hits both alike.
    for item in bar(items, "streaming + baseline"):
        path = folder / item.file
        results["streaming"].append(score("streaming", engine, item, costed(run_streaming, engine, path, realtime),
                                          folder))
        results["baseline"].append(score("baseline", engine, item, costed(run_baseline, engine, path), folder))
    meta = {
        "corpus": f"{len({i.voice for i in items})} voices, {len({i.text for i in items})} phrases, "
                  f"clean + {'/'.join(f'{s:g}' for s in SNRS)} dB SNR" + (" (one SNR per file)" if quick else ""),
        "utterances": len(items),
        "quick": quick,
        "timing": "real-time feed" if realtime else "real-time arrival model (frames arrive at their audio "
                  "time, compute measured)",
        "seconds": round(clock.monotonic() - started, 1),
        "cpu_load": f"{cpu_load} other process(es) keeping a core busy" if cpu_load else "none",
    }
    report = build_report(results, meta)
    report["meta"]["files"] = [str(p) for p in write(report, results, out)]
    return report
