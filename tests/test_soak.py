"""A short soak (`voicetour bench --soak`, minutes there): a real server process, prospects
speaking real speech at its capacity, and hostile clients (a flooder, a never-reader, a
connect-and-close loop, a client that vanishes mid-utterance and resumes). Bounds, not timings:
every prospect's turn answered, every hostile client refused or dropped cleanly, descriptors and
tasks back to their level when the clients leave, memory near its level after the warm-up."""

from __future__ import annotations

import json
from pathlib import Path

from voicetour.audio.wav import read_wav
from voicetour.bench.load import Clip
from voicetour.bench.soak import KINDS, soak
from voicetour.cli import demo_site_path
from voicetour.evaluate import last_voiced_ms
from voicetour.site.model import load_site

from .conftest import SPEECH


def test_a_short_soak_keeps_its_bounds(tmp_path: Path) -> None:
    site = load_site(demo_site_path())
    items = [i for i in json.loads((SPEECH / "index.json").read_text()) if i["voice"] == "piper" and i["page"]]
    pool = [Clip(read_wav(SPEECH / i["file"]), last_voiced_ms(read_wav(SPEECH / i["file"])), site.page(i["page"]).url,
                 i["text"]) for i in items[:6]]
    r = soak(site, tmp_path, seconds=40, max_sessions=3, warmup_s=15, settle_s=12, pool=pool, park_seconds=3)
    print((tmp_path / "soak.md").read_text())
    assert r["turns_asked"] >= 4 and r["turns_answered"] == r["turns_asked"], r["prospect_errors"]
    assert not r["prospect_errors"]
    for kind in KINDS:
        seen = r["hostile"][kind]
        assert seen["admitted"] + seen["refused"] > 0 and seen["other"] == 0, (kind, seen)
    before, after = r["before"], r["after"]
    assert after["sessions"] == 0 and after["parked"] == 0
    assert after["fds"] <= before["fds"] + 2, (before, after)  # (an HTTP keep-alive or two)
    assert after["tasks"] <= before["tasks"], (before, after)
    assert r["rss_end_ratio"] <= 1.25, r["rss_end_ratio"]
    assert (tmp_path / "soak.png").stat().st_size > 0
