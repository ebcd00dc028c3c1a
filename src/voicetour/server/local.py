"""Servers on 127.0.0.1 for benches, tests and the local cluster: a free port, an ASGI app
served by a real uvicorn in a thread, and a signal to a server process started in its own
session (it and its children)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(app: Any, port: int | None = None) -> Iterator[int]:
    """Serve ``app`` with a real uvicorn on 127.0.0.1 (on ``port``, or a free one) in a thread;
    yields the port, stops the server after."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    """Send ``sig`` to a process started with ``start_new_session`` and to its children."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
