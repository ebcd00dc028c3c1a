"""What batching whisper across sessions would buy: CPU per listen at batch sizes 1-16.

CTranslate2 decodes a batch in one call; on this 2-core machine, one thread, the first 16
requests of a corpus, each in the verifier's 5 s window with the product's prompt. Run by hand
(not by tests), nothing else running:
.venv/bin/python scripts/probe_whisper_batch.py SITE.json CORPUS_DIR
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import ctranslate2
import numpy as np

from voicetour.asr.whisper import WINDOW_S, WhisperVerifier
from voicetour.audio.wav import read_wav
from voicetour.session.engine import prompt_for
from voicetour.site.model import load_site


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(site_path: str, corpus: str) -> None:
    verifier = WhisperVerifier(prompt=prompt_for(load_site(site_path)))
    model = verifier._whisper  # the probe measures the model itself, as the verifier calls it
    window = int(16000 * WINDOW_S)
    features = []
    for wav in sorted(Path(corpus).glob("*.wav"))[:16]:
        audio = np.frombuffer(read_wav(wav), dtype="<i2").astype(np.float32)[: window - 16000] / 32768.0
        padded = np.concatenate([audio, np.zeros(window - audio.size, dtype=np.float32)])
        features.append(model.feature_extractor(padded, padding=0)[:, : window // 160].astype(np.float32))
    start = verifier._start
    print(f"{len(features)} requests, prompt {len(start)} tokens")
    for size in (1, 2, 4, 8, 16):
        cpu0, wall0 = cpu_s(), time.monotonic()
        for i in range(0, len(features), size):
            batch = np.ascontiguousarray(np.stack(features[i : i + size]))
            model.model.generate(ctranslate2.StorageView.from_array(batch), [start] * len(batch), beam_size=1,
                                 max_length=len(start) + 24, no_repeat_ngram_size=3, suppress_blank=True)
        cpu, wall = cpu_s() - cpu0, time.monotonic() - wall0
        print(f"batch {size:2d}: CPU {1000 * cpu / len(features):4.0f} ms a listen, "
              f"wall {1000 * wall / (len(features) / size):5.0f} ms a batch")


if __name__ == "__main__":
    main(*sys.argv[1:3])
