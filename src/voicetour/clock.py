"""The only module that reads the real clock. Everything else takes ``now`` as an argument."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], int]
"""A clock returns monotonic nanoseconds."""


def monotonic_ns() -> int:
    return time.monotonic_ns()



def monotonic() -> float:
    """The same clock in seconds (for harness code that paces or times wall-clock work)."""
    return time.monotonic_ns() / 1e9
