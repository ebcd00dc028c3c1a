import wave

import numpy as np
import pytest

from voicetour.audio.framer import Framer
from voicetour.audio.wav import read_wav
from voicetour.errors import AudioError


def test_framer_resplits_exactly() -> None:
    f = Framer(640)
    data = bytes(range(256)) * 10  # 2560 bytes = 4 frames
    out = f.push(data[:100]) + f.push(data[100:1001]) + f.push(data[1001:])
    assert b"".join(out) == data and all(len(x) == 640 for x in out)


def test_wav_any_rate_and_channels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "s.wav"
    t = np.arange(44100) / 44100
    tone = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
    with wave.open(str(p), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(np.stack([tone, tone], axis=1).tobytes())
    pcm = read_wav(p)
    assert abs(len(pcm) / 2 - 16000) <= 1


def test_not_a_wav_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.wav"
    p.write_bytes(b"ID3 this is an mp3")
    with pytest.raises(AudioError, match="not a PCM WAV file"):
        read_wav(p)
    with pytest.raises(AudioError, match="no such file"):
        read_wav(tmp_path / "missing.wav")
