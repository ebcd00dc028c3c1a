"""Re-split an arbitrary byte stream of PCM16 into exact 20 ms frames.

Because every stage downstream sees the same frames whatever the chunking, the session gives the
same events for audio fed whole, frame by frame, or re-split at odd sizes.
"""

from __future__ import annotations

from voicetour.audio import FRAME_BYTES


class Framer:
    def __init__(self, frame_bytes: int = FRAME_BYTES) -> None:
        self.frame_bytes = frame_bytes
        self._buf = bytearray()

    def push(self, data: bytes) -> list[bytes]:
        """Append data; return the complete frames now available (the rest waits)."""
        self._buf += data
        n = len(self._buf) // self.frame_bytes
        frames = [bytes(self._buf[i * self.frame_bytes : (i + 1) * self.frame_bytes]) for i in range(n)]
        del self._buf[: n * self.frame_bytes]
        return frames

    def peek(self, data: bytes) -> bytes:
        """The whole frames ``push(data)`` would return, back to back, without taking them."""
        joined = bytes(self._buf) + bytes(data)
        return joined[: len(joined) - len(joined) % self.frame_bytes]

    def flush(self) -> bytes | None:
        """The leftover partial frame padded with silence, or None."""
        if not self._buf:
            return None
        frame = bytes(self._buf) + b"\x00" * (self.frame_bytes - len(self._buf))
        self._buf.clear()
        return frame

