"""The bench on a tiny corpus: synthesis, both pipelines, scoring, reports, and a 1-session sweep."""

from __future__ import annotations

import dataclasses
import json

import pytest

from voicetour.bench import corpus
from voicetour.bench.load import sweep
from voicetour.bench.pipelines import run_baseline, run_streaming, score
from voicetour.bench.report import build_report, write
from voicetour.bench.run import costed
from voicetour.cli import _counts
from voicetour.errors import VoicetourError

PHRASES = (
    corpus.Phrase("show me billing", "request", "billing"),
    corpus.Phrase("scroll down", "control", control="scroll_down"),
    corpus.Phrase("tell me a joke", "ood"),
    corpus.Phrase("how do I invite a teammate", "task", "team", "invite"),
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("corpus")
    items = corpus.build(folder, PHRASES, ["espeak-us"], [10.0], every_snr=True)
    return folder, items


def test_corpus_has_clean_and_noisy_copies(tiny) -> None:  # type: ignore[no-untyped-def]
    folder, items = tiny
    assert [(i.file, i.snr_db) for i in items][:2] == [("espeak-us-00.wav", None), ("espeak-us-00-snr10.wav", 10.0)]
    assert corpus.load(folder) == items
    import numpy as np

    from voicetour.audio.wav import read_wav

    clean = np.frombuffer(read_wav(folder / "espeak-us-00.wav"), "<i2").astype(float)
    noisy = np.frombuffer(read_wav(folder / "espeak-us-00-snr10.wav"), "<i2").astype(float)
    noise = noisy - clean
    voiced = clean[np.abs(clean) > 0.05 * np.abs(clean).max()]
    snr = 20 * np.log10(np.sqrt(np.mean(voiced**2)) / np.sqrt(np.mean(noise**2)))
    assert abs(snr - 10.0) < 0.5
    with pytest.raises(VoicetourError, match="not a voicetour corpus"):
        corpus.load(folder / "missing")


def test_both_pipelines_scored_and_reported(tiny, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    folder, items = tiny
    results: dict[str, list] = {"streaming": [], "baseline": []}  # type: ignore[type-arg]
    for item in items:
        results["streaming"].append(score("streaming", engine, item, costed(run_streaming, engine, folder / item.file),
                                          folder))
        results["baseline"].append(score("baseline", engine, item, costed(run_baseline, engine, folder / item.file),
                                         folder))
    by_file = {r.item.file: r for r in results["baseline"]}
    request = by_file["espeak-us-00.wav"]
    assert request.ok and request.outcome.final_url == "/billing.html"
    # The baseline cannot act before its 500 ms of silence plus a transcription.
    assert request.v2a_ms is not None and request.v2a_ms > 500
    assert set(request.outcome.stages_ms) == {"vad", "transcribe", "intent"}
    assert by_file["espeak-us-02.wav"].ok and not by_file["espeak-us-02.wav"].false_action
    streaming = {r.item.file: r for r in results["streaming"]}
    # A flash counts even when the turn ends on the right page.
    billing = streaming["espeak-us-00.wav"]
    flash = [{"type": "navigate", "url": "/team.html", "t_ms": 10.0}, *billing.outcome.actions]
    flashed = score("streaming", engine, billing.item, dataclasses.replace(billing.outcome, actions=flash), folder)
    assert flashed.ok and flashed.wrong_shown and not billing.wrong_shown
    assert streaming["espeak-us-00.wav"].ok and streaming["espeak-us-01.wav"].ok
    assert streaming["espeak-us-00.wav"].v2a_ms < request.v2a_ms  # type: ignore[operator]
    report = build_report(results, {"corpus": "tiny", "utterances": len(items), "timing": "model"})
    files = write(report, results, tmp_path)
    data = json.loads((tmp_path / "report.json").read_text())
    for pipeline in ("streaming", "baseline"):
        assert set(data[pipeline]["voice_to_action_ms"]) >= {"p50", "p95", "p99"}
        for key in ("accuracy", "false_action_rate", "ood_rejection_rate", "rtf"):
            assert data[pipeline][key] is not None
    assert "| voice-to-action p50 (ms) |" in (tmp_path / "report.md").read_text()
    # CPU per request (the process's, every thread's: whisper decodes in its own), for both.
    for pipeline in ("streaming", "baseline"):
        assert data[pipeline]["cpu_ms_per_request"]["mean"] > 0 and data[pipeline]["requests_per_core_hour"] > 0
    assert "| requests per core-hour |" in (tmp_path / "report.md").read_text()
    assert all(f.exists() and f.stat().st_size > 0 for f in files)
    assert (tmp_path / "latency_cdf.png").read_bytes()[:4] == b"\x89PNG"


def test_session_counts_are_checked() -> None:
    assert _counts("1,10, 50") == [1, 10, 50]
    for bad in ("", "a,b", "0,5", "-1"):
        with pytest.raises(VoicetourError, match="positive integers"):
            _counts(bad)


def test_one_live_session_over_a_real_socket(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = sweep(site, [1], tmp_path, per_session=1, voices=("espeak-us",), phrases=PHRASES[:1])
    level = report["levels"][0]
    # One session speaks both clips (clean and noisy): each level gets enough turns for a percentile.
    assert level["sessions"] == 1 and level["turns"] == 2 and level["error_count"] == 0, level
    assert level["accuracy"] == 1.0 and level["voice_to_action_ms"]["p50"] is not None
    assert level["cpu_per_session"] > 0
    assert "voicetour_e2e_latency_seconds_count 2.0" in (tmp_path / "metrics.txt").read_text()
    assert (tmp_path / "load.md").read_text().startswith("# voicetour load sweep")


def test_audio_is_aligned_to_the_page_clock() -> None:
    import numpy as np

    from voicetour.bench.browser import align, page_time_of

    rng = np.random.default_rng(1)
    played = (rng.standard_normal(8000) * 3000).astype(np.int16)
    captured = np.concatenate([np.zeros(1234, np.int16), played, np.zeros(500, np.int16)])
    captured = (captured + rng.standard_normal(len(captured)) * 300).astype(np.int16)
    assert align(captured, played) == 1234
    # Frames of 320 samples arriving every 20 ms from t = 100 ms: sample 319 arrived at 100 ms,
    # sample 0 was captured 319/16 ms before, sample 320 at 100 + 20 - 319/16 ms.
    frames = [(100.0 + 20 * i, 320 * (i + 1)) for i in range(5)]
    assert page_time_of(319, frames) == 100.0
    assert page_time_of(0, frames) == 100.0 - 319 / 16
    assert abs(page_time_of(320, frames) - (120.0 - 319 / 16)) < 1e-9


def test_browser_bench_measures_a_pre_rendered_reveal(tiny, site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from voicetour.bench.browser import run_browser
    from voicetour.bench.load import served

    folder, items = tiny
    with served(tmp_path) as target:
        base = target.url
        result = run_browser(site, [items[6], items[4]], folder, base)  # "how do I invite ...", "tell me a joke"
    rows = {r["file"]: r for r in result["rows"]}
    team = rows["espeak-us-03.wav"]
    # The grammar names the page while it is being said: the page is pre-rendered, then revealed.
    assert team["ok"] and team["ended_on"] == "/team.html" and team["prerendered"] is True, team
    assert team["v2v_ms"] is not None and -2000 < team["v2v_ms"] < 2000
    joke = rows["espeak-us-02.wav"]
    assert joke["ok"] and not joke["wrong_page_left"] and not joke["wrong_shown"] and joke["v2v_ms"] is None
    assert result["prerender_hit_rate"] == 1.0 and result["errors"] == 0


def test_the_load_bench_streams_a_noisy_requests_room_around_it(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A noisy clip's room (its noise alone) is what the load bench's microphone streams before
    and after it, not digital silence: the VAD's noise floor then is the room's, as in a real
    room (with silence around a noisy clip, its noise was speech until the clip's end)."""
    import numpy as np

    from voicetour.audio import FRAME_BYTES
    from voicetour.audio.vad import rms
    from voicetour.bench.load import _Room, clips

    pool = {c.file: c for c in clips(site, tmp_path, ("espeak-us",), PHRASES)}
    clean, noisy = pool["espeak-us-00.wav"], pool["espeak-us-00-snr20.wav"]
    assert clean.room == b"" and len(noisy.room) == len(noisy.pcm) // FRAME_BYTES * FRAME_BYTES
    room = _Room(noisy)
    frames = [room.frame() for _ in range(len(noisy.room) // FRAME_BYTES + 3)]
    assert frames[-1] == frames[2]  # looped
    level = np.mean([rms(f) for f in frames])
    assert 100 < level < rms(noisy.pcm)  # noise, quieter than the request
    assert _Room(clean).frame() == b"\x00" * FRAME_BYTES
