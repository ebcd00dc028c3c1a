"""Score simulate results against a labelled corpus: accuracy, out-of-domain rejection,
voice-to-action latency (navigate t_ms minus the end of the last voiced audio) and RTF.

The end of speech comes from the clean audio's energy, not from the pipeline's own VAD:
the last 10 ms window whose RMS is within 35 dB of the loudest window.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from voicetour.audio.wav import read_wav
from voicetour.session.engine import Engine
from voicetour.simulate import simulate_file


def last_voiced_ms(pcm: bytes, floor_db: float = 35.0) -> float:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    win = 160
    n = len(x) // win
    if n == 0:
        return 0.0
    rms = np.sqrt(np.mean(x[: n * win].reshape(n, win) ** 2, axis=1)) + 1e-9
    db = 20 * np.log10(rms)
    voiced = np.nonzero(db >= db.max() - floor_db)[0]
    return float((voiced[-1] + 1) * 10) if voiced.size else 0.0


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def evaluate(engine: Engine, corpus_dir: Path) -> dict[str, Any]:
    index = json.loads((corpus_dir / "index.json").read_text())
    rows = []
    for item in index:
        path = corpus_dir / item["file"]
        res = simulate_file(engine, str(path))
        end = last_voiced_ms(read_wav(path))
        expected = _expected(engine, item.get("page"))
        navs = [a for a in res.actions if a["type"] == "navigate"]
        first_right = next((a for a in navs if a["url"] == expected), None)
        rows.append({
            "file": item["file"], "voice": item["voice"], "text": item["text"], "heard": res.transcript,
            "expected": expected, "final_url": res.final_url, "ok": res.final_url == expected,
            "false_action": expected is None and bool(navs),
            "v2a_ms": round(first_right["t_ms"] - end, 1) if first_right and res.final_url == expected else None,
            "rtf": res.as_json()["rtf"],
            "mispredictions": res.mispredictions,
        })
    in_domain = [r for r in rows if r["expected"]]
    ood = [r for r in rows if not r["expected"]]
    lat = [r["v2a_ms"] for r in rows if r["v2a_ms"] is not None]
    return {
        "n": len(rows),
        "accuracy": round(sum(r["ok"] for r in rows) / len(rows), 3),
        "in_domain_accuracy": round(sum(r["ok"] for r in in_domain) / max(1, len(in_domain)), 3),
        "ood_rejection_rate": round(sum(r["ok"] for r in ood) / max(1, len(ood)), 3),
        "false_action_rate": round(sum(r["false_action"] for r in ood) / max(1, len(ood)), 3),
        "voice_to_action_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "max": percentile(lat, 100)},
        "mispredictions": sum(r["mispredictions"] for r in rows),
        "rtf_median": round(float(np.median([r["rtf"] for r in rows if r["rtf"] is not None] or [0])), 4),
        "rows": rows,
    }


def _expected(engine: Engine, page: str | None) -> str | None:
    """The URL a corpus item should end on: ``page`` is a page id, or a URL ("/contacts.html") for
    corpora of crawled sites whose ids the crawler chose."""
    if not page:
        return None
    return engine.site.absolute(page if page.startswith("/") else engine.site.page(page).url)
