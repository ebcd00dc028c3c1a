"""`voicetour bench --browser`: each corpus utterance is the microphone of a headless Chromium
showing the tour page; we measure, in the browser, when the right page became visible.

Clocks (docs/measuring.md explains): the tour page records every captured 20 ms frame with the
page time (``performance.now()``) it reached the page (``window.voicetourCapture``). The played
file's position in the captured stream is found by cross-correlation, so the end of the speaker's
last voiced 10 ms (from the *clean* audio's energy) maps to a page time. The page reports each
page it shows in the first animation frame after the reveal or load (``window.voicetourVisible``).
voice-to-visible = that report's time − the end of speech, both on the page clock.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicetour.audio.wav import read_wav
from voicetour.bench import corpus as corpus_mod
from voicetour.bench.report import _pct
from voicetour.crawl.render import CHROMIUM_ARGS, chromium_path
from voicetour.evaluate import last_voiced_ms
from voicetour.server import PREFIX
from voicetour.site.model import Site

LEAD_S = 1.5
TAIL_S = 12.0
"""Silence after the utterance. Chromium loops the file: with 4 s, a turn that ended late could
meet the utterance's second playing, whose early page was then read as where the turn ended."""
TURN_TIMEOUT_S = 15.0
ALL_TURNS_OVER = """() => {
  const log = window.voicetourLog || [];
  const starts = log.filter(m => m.type === 'speech_start');
  if (!starts.length) return false;
  const last = starts[starts.length - 1].turn;
  const final = log.findIndex(m => m.type === 'final' && m.turn === last);
  return final >= 0 && log.slice(final).some(m => m.type === 'state' && m.state === 'listening');
}"""
FAKE_MIC_ARGS = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                 "--autoplay-policy=no-user-gesture-required"]


@dataclass
class BrowserTurn:
    file: str
    text: str
    expected: str | None
    ended_on: str | None
    ok: bool
    v2v_ms: float | None
    prerendered: bool | None
    ready: bool | None
    """With ``prerendered``: the pre-rendered frame had finished loading when it was revealed."""
    mispredictions: int
    wrong_page_left: bool
    wrong_shown: bool = False
    """A page other than the right one was shown during the turn (early flashes included)."""
    error: str | None = None
    turns: int = 1
    """Turns the page heard (more than one: a noise made a turn of its own, or a replay)."""
    decided_ms: float | None = None
    """Where v2v_ms went: the commit's audio time − the server's own end of speech (waiting for words)..."""
    paint_ms: float | None = None
    """...and the page's part: the navigate message received → the page painted."""
    whisper: str | None = None
    """...and the verifier's work that ended in the 500 ms before the navigate (from the turn's
    trace), times in ms relative to it: what the decision waited for."""


def _mic_file(src: Path, out: Path) -> None:
    """The utterance at 48 kHz with silence around it (Chromium loops the file)."""
    subprocess.run(["sox", str(src), "-r", "48000", "-c", "1", "-b", "16", str(out), "pad", str(LEAD_S),
                    str(TAIL_S)], check=True, capture_output=True)


def align(captured: np.ndarray, played: np.ndarray) -> int:
    """Index in ``captured`` where ``played`` starts (both 16 kHz), by FFT cross-correlation."""
    n = len(captured) + len(played)
    size = 1 << (n - 1).bit_length()
    a = np.fft.rfft(captured.astype(np.float64), size)
    b = np.fft.rfft(played.astype(np.float64), size)
    corr = np.fft.irfft(a * np.conj(b), size)
    lags = np.concatenate([corr[: len(captured)], corr[size - len(played) + 1 :]])
    index = int(np.argmax(lags))
    return index if index < len(captured) else index - len(lags)


def page_time_of(sample: int, frames: list[tuple[float, int]]) -> float:
    """Page time (ms) of captured sample ``sample``: its frame's arrival time, less the samples
    that follow it in that frame. ``frames``: (arrival ms, samples so far including this frame)."""
    for t, upto in frames:
        if sample < upto:
            return t - (upto - 1 - sample) / 16.0
    t, upto = frames[-1]
    return t + (sample - upto) / 16.0


def run_one(pw: Any, base: str, site: Site, folder: Path, item: corpus_mod.Item, tmp: Path) -> BrowserTurn:
    expected = site.page(item.page).url if item.page else None
    start = next(p.url for p in site.pages if p.url != expected and p.id != "dashboard") if expected else \
        site.pages[0].url
    wav = tmp / "mic.wav"
    _mic_file(folder / item.file, wav)
    browser = pw.chromium.launch(executable_path=chromium_path(),
                                 args=[*CHROMIUM_ARGS, *FAKE_MIC_ARGS, f"--use-file-for-fake-audio-capture={wav}"])
    try:
        page = browser.new_page()
        page.add_init_script("window.voicetourCapture = [];")
        page.goto(f"{base}{PREFIX}/?page={start}")
        opened = time.monotonic()
        played_s = LEAD_S + len(read_wav(folder / item.file)) / 32000
        try:
            # Every turn heard so far is over (a noise at the start of capture may make a short turn
            # of its own before the utterance), and the utterance has been played.
            page.wait_for_function(ALL_TURNS_OVER, timeout=TURN_TIMEOUT_S * 1000)
            time.sleep(max(0.0, opened + played_s + 0.5 - time.monotonic()))
            page.wait_for_function(ALL_TURNS_OVER, timeout=TURN_TIMEOUT_S * 1000)
        except Exception:  # noqa: BLE001 - no turn at all is a result (nothing heard), not a crash
            pass
        time.sleep(0.4)  # the last reveal's animation frame and report
        log = page.evaluate("window.voicetourLog")
        visible = page.evaluate("window.voicetourVisible")
        capture = page.evaluate("window.voicetourCapture")
        ended_on = page.evaluate("(root) => { try { const p = document.getElementById('product')"
                                 ".contentWindow.location.pathname; return p.startsWith(root) ? '/' + "
                                 "p.slice(root.length) : p; } catch (e) { return null; } }", site.root_path)
    finally:
        browser.close()
    heard = [m["turn"] for m in log if m["type"] == "speech_start"]
    turn_log = [m for m in log if m.get("turn") in heard]
    navs = [m for m in turn_log if m["type"] == "navigate"]
    mispredictions = sum(m["type"] == "cancel" for m in turn_log) + sum(
        1 for a, b in zip(navs, navs[1:], strict=False) if a["url"] != b["url"])
    final_url = ended_on
    ok = final_url == (expected or start)
    report = next((v for v in visible if v.get("turn") in heard and v["url"] == expected), None) \
        if expected else None
    v2v = None
    nav = next((m for m in navs if m["url"] == expected), None)
    ended = next((m for m in turn_log if m["type"] == "speech_end" and nav and m["turn"] == nav["turn"]), None)
    decided = float(nav["audio_ms"] - ended["last_voiced_ms"]) if nav and ended else None
    trace = next((m for m in turn_log if m["type"] == "trace" and nav and m["turn"] == nav["turn"]), None)
    if ok and report is not None and capture:
        frames, pcm, total = [], [], 0
        for t, samples in capture:
            pcm.extend(samples)
            total += len(samples)
            frames.append((t, total))
        played = np.frombuffer(read_wav(folder / item.file), "<i2")
        lead = int(LEAD_S * 16000)
        played_padded = np.concatenate([np.zeros(lead, np.int16), played])
        offset = align(np.asarray(pcm, np.int16), played_padded)
        end_sample = offset + lead + int(last_voiced_ms(read_wav(folder / item.clean)) * 16)
        v2v = round(report["t"] - page_time_of(end_sample, frames), 1)
    return BrowserTurn(item.file, item.text, expected, final_url, ok, v2v,
                       report["prerendered"] if report else None, report.get("ready") if report else None,
                       mispredictions,
                       wrong_page_left=not ok and final_url not in (start, None),
                       wrong_shown=any(m["url"] != expected for m in navs), decided_ms=decided,
                       paint_ms=report.get("delay_ms") if report else None,
                       turns=len(heard), whisper=_verifier_work(trace["spans"]) if trace else None)


def _verifier_work(spans: list[dict[str, Any]]) -> str | None:
    """The verifier lane's spans that ended in the 500 ms before the first navigate, relative to it."""
    nav = next((s for s in spans if s["name"].startswith("navigate")), None)
    if nav is None:
        return None
    t = nav["start_ms"]
    work = [s for s in spans if s["lane"] == "verifier" and t - 500 <= s["end_ms"] <= t + 1]
    return "; ".join(f"{s['name']} {s['start_ms'] - t:+.0f}..{s['end_ms'] - t:+.0f}: {s['detail']}"
                     for s in work) or None


def run_browser(site: Site, items: list[corpus_mod.Item], folder: Path, base: str,
                progress: Any = lambda it: it) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    turns: list[BrowserTurn] = []
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        for item in progress(items):
            try:
                turns.append(run_one(pw, base, site, folder, item, Path(tmp)))
            except Exception as exc:  # noqa: BLE001 - one broken run is reported, the bench goes on
                print(f"browser bench: {item.file}: {type(exc).__name__}: {exc}", file=sys.stderr)
                turns.append(BrowserTurn(item.file, item.text, None, None, False, None, None, None, 0, False,
                                         error=f"{type(exc).__name__}: {exc}"))
    lat = [t.v2v_ms for t in turns if t.v2v_ms is not None]
    correct_navs = [t for t in turns if t.ok and t.expected is not None and t.prerendered is not None]
    return {
        "n": len(turns),
        "voice_to_visible_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "p99": _pct(lat, 99), "n": len(lat)},
        "prerender_hit_rate": round(sum(bool(t.prerendered) for t in correct_navs) / len(correct_navs), 3)
        if correct_navs else None,
        "prerender_ready_rate": round(sum(bool(t.prerendered and t.ready) for t in correct_navs) / len(correct_navs),
                                      3) if correct_navs else None,
        "mispredictions": sum(t.mispredictions for t in turns),
        "accuracy": round(sum(t.ok for t in turns) / len(turns), 3) if turns else None,
        "wrong_page_left_standing": sum(t.wrong_page_left for t in turns),
        "wrong_page_shown": sum(t.wrong_shown for t in turns),
        "errors": sum(t.error is not None for t in turns),
        "more_than_one_turn": sum(t.turns > 1 for t in turns),
        "rows": [t.__dict__ for t in turns],
    }


def browser_bench(site: Site, out: Path, quick: bool, corpus_dir: Path | None = None) -> dict[str, Any]:
    """Run the browser bench on the bench corpus (built if missing) and add it to OUT/report.json."""
    import json

    from tqdm import tqdm

    from voicetour.bench.load import served
    from voicetour.bench.run import QUICK_VOICES, SNRS

    folder = corpus_dir or out / "corpus"
    out.mkdir(parents=True, exist_ok=True)
    if (folder / "index.json").exists():
        items = corpus_mod.load(folder)
    else:
        items = corpus_mod.build(folder, corpus_mod.DEMO_PHRASES, QUICK_VOICES, SNRS, every_snr=False)
    chosen = [i for i in items if i.kind in ("request", "task", "ood")]
    if quick:  # two voices, clean: about 3 minutes here
        chosen = [i for i in chosen if i.snr_db is None and i.voice in ("piper", "espeak-us")]
    with served(out) as target:
        base = target.url
        result = run_browser(site, chosen, folder, base,
                             progress=lambda it: tqdm(it, desc="browser", unit="utt", file=sys.stderr))
    path = out / "report.json"
    report = json.loads(path.read_text()) if path.exists() else {}
    report["browser"] = result
    path.write_text(json.dumps(report, indent=1) + "\n")
    md = out / "report.md"
    v = result["voice_to_visible_ms"]
    section = "\n".join([
        "", "## In the browser (headless Chromium, the utterance as its microphone)", "",
        f"{result['n']} utterances; voice-to-visible = first painted frame of the right page − end of speech "
        "(page clock).", "",
        "| measure | value |", "| --- | --- |",
        f"| voice-to-visible p50 (ms) | {v['p50']} |", f"| voice-to-visible p95 (ms) | {v['p95']} |",
        f"| voice-to-visible p99 (ms) | {v['p99']} |", f"| pre-render hit rate | {result['prerender_hit_rate']} |",
        f"| ... of which fully loaded when revealed | {result['prerender_ready_rate']} |",
        f"| accuracy | {result['accuracy']} |", f"| mispredictions | {result['mispredictions']} |",
        f"| wrong page left standing | {result['wrong_page_left_standing']} |",
        f"| files showing a wrong page (flashes included) | {result['wrong_page_shown']} |", "",
        "Slowest turns: `decided` is the commit's audio time after the server's end of speech (waiting",
        "for words), `paint` the page's part (navigate received → painted); the rest is compute and transport;",
        "`whisper` is the verifier's work that ended in the 500 ms before the navigate (ms relative to it).",
        "", "| file | said | voice-to-visible | decided | paint | pre-rendered | whisper |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *[f"| {r['file']} | {r['text']} | {r['v2v_ms']} | {r['decided_ms']} | {r['paint_ms']} | {r['prerendered']} "
          f"| {r['whisper'] or ''} |"
          for r in sorted((r for r in result["rows"] if r["v2v_ms"] is not None), key=lambda r: -r["v2v_ms"])[:5]],
        ""])
    md.write_text((md.read_text() if md.exists() else "# voicetour bench\n") + section)
    return result
