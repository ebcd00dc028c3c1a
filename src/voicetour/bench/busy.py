"""A competing CPU load for benchmarks: ``with busy_cores(n):`` keeps ``n`` cores busy with other
processes (a pure-Python spin loop each), as on a shared production machine."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

SPIN = "import time\nend = time.monotonic() + 7200\nwhile time.monotonic() < end:\n    pass\n"
"""Stops by itself after two hours, should the bench that started it die without cleaning up."""


@contextlib.contextmanager
def busy_cores(n: int) -> Iterator[None]:
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(max(0, n))]
    try:
        yield
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()
