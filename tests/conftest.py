from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.typing import Subprotocol

from voicetour.cli import demo_site_path
from voicetour.server.local import free_port, running
from voicetour.session.engine import Engine
from voicetour.site.model import Site, load_site

__all__ = ["SPEECH", "free_port", "resuming", "running"]
SPEECH = Path(__file__).parent / "fixtures" / "speech"


def resuming(token: str = "") -> list[Subprotocol]:
    """The subprotocols a client offers to open a socket, resuming the session of ``token``."""
    return [Subprotocol("voicetour"), *([Subprotocol(f"resume.{token}")] if token else [])]


@pytest.fixture(scope="session")
def site() -> Site:
    return load_site(demo_site_path())


@pytest.fixture(scope="session")
def engine(site: Site) -> Engine:
    return Engine.for_site(site)


@pytest.fixture(scope="session")
def corpus() -> list[dict[str, str | None]]:
    return json.loads((SPEECH / "index.json").read_text())


@pytest.fixture(scope="session")
def grammar_engine(site: Site) -> Engine:
    """The engine without the whisper second opinion: core tests script the recognizer's words."""
    return Engine.for_site(site, verify=False)
