"""Score simulate results against a labelled corpus: accuracy, out-of-domain rejection,
voice-to-action latency (navigate t_ms minus the end of the last voiced audio) and RTF.

The end of speech comes from the clean audio's energy, not from the pipeline's own VAD:
the last 10 ms window whose RMS is within 35 dB of the loudest window.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from voicetour.audio.wav import read_wav
from voicetour.crawl.urls import same_page
from voicetour.errors import InputError
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


def evaluate(engine: Engine, corpus_dir: Path, lean: bool = False) -> dict[str, Any]:
    """Score a labelled corpus (``index.json``: file, voice, text, page or null), or, for a folder
    without one, every WAV below it as speech that must not navigate (real people saying one word,
    a wake word, room noise: ``shared/realspeech``), reported per subfolder.

    A wrong page shown is any navigation to a page other than the right one for that file, early
    flashes included, even when corrected later. ``lean``: every turn as a busy server hears it
    (``Session.lean``). ``cpu_ms_per_file``: the process's CPU (every thread, whisper's included)
    over the corpus, per file."""
    index = corpus_dir / "index.json"
    items = json.loads(index.read_text()) if index.exists() else _unlabelled(corpus_dir)
    rows = []
    cpu0 = time.process_time()
    for item in items:
        path = corpus_dir / item["file"]
        res = simulate_file(engine, str(path), lean=lean)
        end = last_voiced_ms(read_wav(path))
        expected = _expected(engine, item.get("page"))
        navs = [a for a in res.actions if a["type"] in ("navigate", "back") and a.get("url")]
        def right(url: str | None, expected: str | None = expected) -> bool:
            return url is not None and expected is not None and same_page(url) == same_page(expected)

        first_right = next((a for a in navs if right(a["url"])), None)
        wrong = [a["url"] for a in navs if not right(a["url"])]
        ok = right(res.final_url) if expected else res.final_url is None
        rows.append({
            "file": item["file"], "voice": item["voice"], "text": item["text"], "heard": res.transcript,
            "expected": expected, "final_url": res.final_url, "ok": ok,
            "false_action": expected is None and bool(navs),
            "wrong_shown": wrong,
            "v2a_ms": round(first_right["t_ms"] - end, 1) if first_right and ok and expected else None,
            "rtf": res.as_json()["rtf"],
            "mispredictions": res.mispredictions,
        })
    cpu_ms = (time.process_time() - cpu0) * 1000 / max(1, len(rows))
    groups = {g: summary([r for r in rows if r["voice"] == g]) for g in sorted({r["voice"] for r in rows})}
    return {**summary(rows), "cpu_ms_per_file": round(cpu_ms, 1), "groups": groups, "rows": rows}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    in_domain = [r for r in rows if r["expected"]]
    ood = [r for r in rows if not r["expected"]]
    lat = [r["v2a_ms"] for r in rows if r["v2a_ms"] is not None]
    return {
        "n": len(rows),
        "accuracy": round(sum(r["ok"] for r in rows) / max(1, len(rows)), 3),
        "wrong_page_shown": sum(bool(r["wrong_shown"]) for r in rows),
        "wrong_page_shown_rate": round(sum(bool(r["wrong_shown"]) for r in rows) / max(1, len(rows)), 3),
        "in_domain_accuracy": round(sum(r["ok"] for r in in_domain) / max(1, len(in_domain)), 3),
        "ood_rejection_rate": round(sum(r["ok"] for r in ood) / max(1, len(ood)), 3),
        "false_action_rate": round(sum(r["false_action"] for r in ood) / max(1, len(ood)), 3),
        "voice_to_action_ms": {"p50": percentile(lat, 50), "p95": percentile(lat, 95), "max": percentile(lat, 100)},
        "mispredictions": sum(r["mispredictions"] for r in rows),
        "rtf_median": round(float(np.median([r["rtf"] for r in rows if r["rtf"] is not None] or [0])), 4),
    }


def _unlabelled(folder: Path) -> list[dict[str, Any]]:
    """Every WAV below ``folder`` as speech that must not navigate; its subfolder is its group."""
    files = sorted(folder.rglob("*.wav"))
    if not files:
        raise InputError(f"{folder} has no index.json and no .wav files: nothing to evaluate")
    return [{"file": str(f.relative_to(folder)), "voice": str(f.parent.relative_to(folder)) or ".",
             "text": f.stem, "page": None} for f in files]


def _expected(engine: Engine, page: str | None) -> str | None:
    """The URL a corpus item should end on: ``page`` is a page id, or a URL ("/contacts.html") for
    corpora of crawled sites whose ids the crawler chose."""
    if not page:
        return None
    return engine.site.absolute(page if page.startswith("/") else engine.site.page(page).url)
