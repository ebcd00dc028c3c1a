"""CPU time, where it is spent: the calling thread's, and the native threads' of this process.

Whisper (CTranslate2) decodes in its own native threads, so the thread that asks for a listen
spends almost none of its CPU (measured: 5 ms of 255). Its cost is the CPU time those threads
used while a listen ran, at most one core for its wall time (``WhisperVerifier`` runs at most a
decision's listen and a background one at once, one thread each), read from
``/proc/self/task/*/schedstat`` (nanoseconds, Linux): every thread that is not a Python thread.
Elsewhere it reads as zero, and the listens' CPU is then the asking thread's only.
"""

from __future__ import annotations

import os
import threading
import time

TASKS = "/proc/self/task"


def thread_ns() -> int:
    """CPU time of the calling thread."""
    return time.thread_time_ns()


def process_ns() -> int:
    """CPU time of the whole process (every thread)."""
    return time.process_time_ns()


def native_threads_ns() -> int:
    """CPU time so far of the threads of this process that Python did not start (CTranslate2's,
    OpenMP's); 0 where /proc has no schedstat."""
    python = {t.native_id for t in threading.enumerate()}
    total = 0
    try:
        tasks = os.listdir(TASKS)
    except OSError:
        return 0
    for tid in tasks:
        if int(tid) in python:
            continue
        try:
            with open(f"{TASKS}/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            continue  # it ended meanwhile
    return total
