from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from voicetour.cli import demo_site_path
from voicetour.session.engine import Engine
from voicetour.site.model import Site, load_site

SPEECH = Path(__file__).parent / "fixtures" / "speech"


@pytest.fixture(scope="session")
def site() -> Site:
    return load_site(demo_site_path())


@pytest.fixture(scope="session")
def engine(site: Site) -> Engine:
    return Engine.for_site(site)


@pytest.fixture(scope="session")
def corpus() -> list[dict[str, str | None]]:
    return json.loads((SPEECH / "index.json").read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running(app: object, port: int | None = None) -> Iterator[int]:
    """Serve ``app`` with a real uvicorn on 127.0.0.1 (on ``port``, or a free one); yields the
    port, stops the server after."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
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


@pytest.fixture(scope="session")
def grammar_engine(site: Site) -> Engine:
    """The engine without the whisper second opinion: core tests script the recognizer's words."""
    return Engine.for_site(site, verify=False)
