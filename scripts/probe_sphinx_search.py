"""What a narrower pocketsphinx search would buy: the grammar recognizer's CPU on a corpus, and how
many final hypotheses stay the same, for search settings against the defaults. Run by hand (not
by tests), nothing else running:
.venv/bin/python scripts/probe_sphinx_search.py SITE.json CORPUS_DIR [FILES]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from voicetour.asr.grammar import build_grammar
from voicetour.asr.sphinx import SphinxModel, decoder
from voicetour.audio.wav import read_wav
from voicetour.intent.naming import targets_of
from voicetour.site.model import load_site

SETTINGS: list[tuple[str, dict[str, Any]]] = [
    ("maxhmmpf 3000", {"maxhmmpf": 3000}),
    ("maxhmmpf 1500", {"maxhmmpf": 1500}),
    ("beam, pbeam 1e-30", {"beam": 1e-30, "pbeam": 1e-30}),
    ("beam, pbeam 1e-20, wbeam 1e-15", {"beam": 1e-20, "pbeam": 1e-20, "wbeam": 1e-15}),
    ("ds 2 (every other frame)", {"ds": 2}),
    ("topn 2", {"topn": 2}),
]


def decode(model: SphinxModel, pcms: list[bytes], extra: dict[str, Any]) -> tuple[float, list[str]]:
    sphinx = decoder(model, **extra)
    finals = []
    cpu0 = time.process_time()
    for pcm in pcms:
        sphinx.start_utt()
        for i in range(0, len(pcm), 640):  # 20 ms frames, a partial after each, as a session does
            sphinx.process_raw(pcm[i : i + 640], False, False)
            sphinx.hyp()
        sphinx.end_utt()
        hyp = sphinx.hyp()
        finals.append(hyp.hypstr if hyp is not None else "")
    return time.process_time() - cpu0, finals


def main(site_path: str, corpus: str, files: int = 40) -> None:
    model = SphinxModel(build_grammar(targets_of(load_site(site_path))))
    pcms = [read_wav(f) for f in sorted(Path(corpus).glob("*.wav"))[:files]]
    seconds = sum(len(p) for p in pcms) / 32000
    base_cpu, base = decode(model, pcms, {})
    print(f"{len(pcms)} files, {seconds:.1f} s of audio: defaults {base_cpu:.2f} s CPU (RTF {base_cpu / seconds:.3f})")
    for name, extra in SETTINGS:
        cpu, finals = decode(model, pcms, extra)
        same = sum(a == b for a, b in zip(finals, base, strict=True))
        print(f"{name:32s} CPU x{cpu / base_cpu:.2f}, same final words {same}/{len(base)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:4]))
