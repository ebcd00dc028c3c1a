"""HTTPS and wss, as a public deployment needs them (browsers open the microphone only in a
secure context): `voicetour demo --tls-cert/--tls-key` (uvicorn's own TLS), and TLS ended at
HAProxy in front of the processes (`voicetour cluster --tls-pem`). The Origin checks hold behind
both. Real parts: a certificate made by Debian's openssl, real server processes and haproxy on
127.0.0.1, a real WebSocket client that trusts only that certificate."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from voicetour.cli import demo_app_dir, demo_site_path
from voicetour.server.cluster import haproxy_path, running_cluster

from .conftest import free_port, resuming


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A self-signed certificate for 127.0.0.1: (certificate, key, both in one PEM for HAProxy)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key, pem = folder / "cert.pem", folder / "key.pem", folder / "both.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    pem.write_bytes(cert.read_bytes() + key.read_bytes())
    return cert, key, pem


def _trusting(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


async def _conversation(url: str, cert: Path) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """Over wss, trusting only ``cert``: a request typed from the tour page's own origin, and a
    socket opened from another site's page. Returns the navigation and the refusal."""
    trust = _trusting(cert)
    ws_url = url.replace("https://", "wss://") + "/voicetour/ws"
    async with websockets.connect(ws_url, ssl=trust, origin=url, subprotocols=resuming()) as ws:  # type: ignore[arg-type]
        assert json.loads(await ws.recv())["type"] == "ready"
        await ws.send(json.dumps({"type": "text", "text": "show me billing"}))
        async with asyncio.timeout(30):
            while (nav := json.loads(await ws.recv()))["type"] != "navigate":
                pass
    async with websockets.connect(ws_url, ssl=trust, origin="https://evil.example",  # type: ignore[arg-type]
                                  subprotocols=resuming()) as ws:
        refused = json.loads(await ws.recv())
    return nav, refused


def _check(url: str, cert: Path) -> None:
    page = httpx.get(url + "/voicetour/", verify=_trusting(cert))
    assert page.status_code == 200 and "voicetour" in page.text
    with pytest.raises(httpx.ConnectError):  # a client that does not trust the certificate gets nothing
        httpx.get(url + "/voicetour/")
    nav, refused = asyncio.run(_conversation(url, cert))
    assert nav["url"] == "/billing.html"
    assert refused["type"] == "error" and refused["code"] == "origin"


@pytest.fixture(scope="module")
def tls_demo(certificate: tuple[Path, Path, Path]) -> Iterator[str]:
    cert, key, _ = certificate
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "voicetour.cli", "demo", "--port", str(port),
                             "--tls-cert", str(cert), "--tls-key", str(key)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get(url + "/voicetour/health", verify=_trusting(cert), timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_serve_speaks_https_and_wss(tls_demo: str, certificate: tuple[Path, Path, Path]) -> None:
    _check(tls_demo, certificate[0])


def test_tls_ends_at_the_balancer_and_the_checks_hold_behind_it(certificate: tuple[Path, Path, Path],
                                                                  tmp_path: Path) -> None:
    haproxy_path()  # installed by scripts/setup.sh; a clear error if not
    cert, _, pem = certificate
    serve = ["--site", str(demo_site_path()), "--app-dir", str(demo_app_dir()), "--connects-per-minute", "0"]
    with running_cluster(serve, 1, tmp_path, tls_pem=str(pem)) as cluster:
        assert cluster.url.startswith("https://")
        _check(cluster.url, cert)
        # One address opening conversations in a loop is refused at the balancer (the process
        # behind sees only the balancer's address): at most 60 a minute.
        with httpx.Client(verify=_trusting(cert)) as client:
            answers = [client.get(cluster.url + "/voicetour/ws").status_code for _ in range(64)]
        assert 429 not in answers[:58] and answers[-1] == 429
        assert httpx.get(cluster.url + "/voicetour/", verify=_trusting(cert)).status_code == 200
