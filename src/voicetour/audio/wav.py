"""Read a WAV file of any sample rate and channel count as 16 kHz mono PCM16."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from voicetour.audio import SAMPLE_RATE
from voicetour.errors import AudioError


def to_pcm16_mono16k(samples: np.ndarray, rate: int) -> bytes:
    """Float or int samples (frames x channels or 1-D) at ``rate`` -> 16 kHz mono PCM16 bytes."""
    x = samples.astype(np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if rate != SAMPLE_RATE:
        n_out = int(round(len(x) * SAMPLE_RATE / rate))
        if rate > SAMPLE_RATE:  # crude anti-alias: moving average over the decimation ratio
            k = max(1, int(round(rate / SAMPLE_RATE)))
            if k > 1:
                x = np.convolve(x, np.ones(k) / k, mode="same")
        t_out = np.arange(n_out) * (rate / SAMPLE_RATE)
        x = np.interp(t_out, np.arange(len(x)), x)
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def read_wav(path: str | Path) -> bytes:
    """The file's audio as 16 kHz mono PCM16. Raises AudioError saying what is wrong."""
    p = Path(path)
    try:
        with wave.open(str(p), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except FileNotFoundError as exc:
        raise AudioError(f"{p}: no such file") from exc
    except (wave.Error, EOFError) as exc:
        raise AudioError(
            f"{p}: not a PCM WAV file ({exc}); convert it, e.g. sox IN -r 16000 -c 1 -b 16 OUT.wav"
        ) from exc
    if width == 2:
        data = np.frombuffer(raw, dtype="<i2")
    elif width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128) * 256
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4") / 65536.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3)
        lo, mid, hi = b[:, 0].astype(np.int32), b[:, 1].astype(np.int32), b[:, 2].astype(np.int8).astype(np.int32)
        data = (lo | (mid << 8) | (hi << 16)) / 256.0
    else:
        raise AudioError(f"{p}: {width * 8}-bit samples are not supported; use 16-bit PCM")
    if rate < 8000:
        raise AudioError(f"{p}: sample rate {rate} Hz is too low for speech (need >= 8000 Hz)")
    if channels > 1:
        data = data.reshape(-1, channels)
    return to_pcm16_mono16k(np.asarray(data), rate)
