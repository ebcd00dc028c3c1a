"""Several server processes behind a real HAProxy (`voicetour cluster`): each visitor stays with
its process by the balancer's cookie; one process killed, the other's conversations go on
untouched and the lost ones start afresh on the one left.

Real parts: `voicetour serve` processes and Debian's haproxy on 127.0.0.1, real speech through
the real recognizer, WebSockets as the tour page opens them (the cookie comes with the page)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from voicetour.audio import FRAME_BYTES
from voicetour.audio.wav import read_wav
from voicetour.cli import demo_app_dir, demo_site_path
from voicetour.server.cluster import COOKIE, config, haproxy_path, running_cluster

from .conftest import SPEECH, resuming

SERVE = ["--site", str(demo_site_path()), "--app-dir", str(demo_app_dir())]


def test_the_configuration_names_every_process_and_routes_by_cookie() -> None:
    cfg = config(8000, [("n1", 8001), ("n2", 8002)])
    assert "bind 127.0.0.1:8000" in cfg
    assert "server n1 127.0.0.1:8001 check cookie n1" in cfg and "server n2 127.0.0.1:8002 check cookie n2" in cfg
    assert f"cookie {COOKIE} insert" in cfg and "option redispatch" in cfg and "resume" not in cfg.split("backend")[1]


def test_the_cluster_command_prints_the_configuration_it_runs(capsys) -> None:  # type: ignore[no-untyped-def]
    from voicetour.cli import main

    assert main(["cluster", "--print-config", "--processes", "3", "--port", "9000"]) == 0
    printed = capsys.readouterr().out
    assert printed == config(9000, [("n1", 8001), ("n2", 8002), ("n3", 8003)])
    checked = subprocess.run([haproxy_path(), "-c", "-f", "/dev/stdin"], input=printed, text=True,
                             capture_output=True)
    assert checked.returncode == 0, checked.stderr  # HAProxy itself accepts it


class Visitor:
    """A tour page's socket: it got the balancer's cookie with the page, and sends it back."""

    def __init__(self, url: str, cookie: str) -> None:
        self.url, self.cookie = url, cookie
        self.ws: Any = None
        self.ready: dict[str, Any] = {}

    async def connect(self, resume: str = "") -> dict[str, Any]:
        self.ws = await websockets.connect(f"{self.url.replace('http', 'ws')}/voicetour/ws",
                                           subprotocols=resuming(resume),
                                           additional_headers={"Cookie": f"{COOKIE}={self.cookie}"})
        self.ready = json.loads(await self.ws.recv())
        assert self.ready["type"] == "ready", self.ready
        return self.ready

    async def say(self, wav: str) -> list[dict[str, Any]]:
        """Speak a clip in real time (then silence) and return the server's messages of that turn."""
        pcm = read_wav(SPEECH / wav) + b"\x00" * 32 * 900
        heard: list[dict[str, Any]] = []

        async def read() -> None:
            async for raw in self.ws:
                if isinstance(raw, str):
                    heard.append(json.loads(raw))
                    if heard[-1]["type"] == "state" and heard[-1]["state"] == "listening":
                        return

        reader = asyncio.create_task(read())
        for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
            await self.ws.send(pcm[i : i + FRAME_BYTES])
            await asyncio.sleep(0.02)
        await asyncio.wait_for(reader, 15)
        return heard


def _pages(messages: list[dict[str, Any]]) -> list[str]:
    return [m["url"] for m in messages if m["type"] == "navigate"]


def _open_sessions(port: int) -> int:
    return int(httpx.get(f"http://127.0.0.1:{port}/voicetour/health").json()["sessions"])


@pytest.mark.slow
def test_two_processes_behind_haproxy_and_one_dies(tmp_path: Path) -> None:
    haproxy_path()  # installed by scripts/setup.sh; a clear error if not
    with running_cluster(SERVE, 2, tmp_path) as cluster:
        ports = {n.name: n.port for n in cluster.nodes}
        # New visitors are spread over the processes; the cookie names the one each landed on.
        landed = set()
        for _ in range(10):
            page = httpx.get(cluster.url + "/voicetour/")
            assert page.status_code == 200
            landed.add(page.cookies[COOKIE])
        assert landed == {"n1", "n2"}

        async def scenario() -> None:
            one, two = Visitor(cluster.url, "n1"), Visitor(cluster.url, "n2")
            await one.connect()
            await two.connect()
            assert _open_sessions(ports["n1"]) == 1 and _open_sessions(ports["n2"]) == 1  # each on its own
            assert _pages(await one.say("piper-00.wav")) == ["/billing.html"]
            assert _pages(await two.say("piper-00.wav")) == ["/billing.html"]

            cluster.kill("n1")  # a crash: no goodbye to its sessions
            with pytest.raises(websockets.ConnectionClosed):  # what was on its way, then the end
                async with asyncio.timeout(10):
                    while True:
                        await one.ws.recv()
            # The other process's conversation goes on as if nothing happened: same socket, next turn.
            after = await two.say("piper-06.wav")
            assert _pages(after) == ["/team.html"]
            assert min(m["turn"] for m in after if "turn" in m) > 0

            # The visitor whose process died reconnects (its cookie and resume token as before):
            # the balancer sends it to the process left, where the token means nothing, and the
            # conversation starts afresh there, cleanly.
            token = one.ready["resume"]
            again = await one.connect(resume=token)
            assert again["resumed"] is False and again["resume"] != token
            assert _pages(await one.say("piper-06.wav")) == ["/team.html"]
            assert _open_sessions(ports["n2"]) == 2
            await one.ws.close()
            await two.ws.close()

        asyncio.run(scenario())
