"""`voicetour cluster`: several `voicetour serve` processes behind HAProxy, on one address.

One server process decodes on one core at a time (pocketsphinx holds the GIL while it decodes),
so a machine with N cores runs N processes. Each process keeps its own sessions (a recognizer
each, one whisper model per process); HAProxy (Debian's package) sends a new visitor to the
process with the fewest open connections and sets a cookie (``VTNODE``) that names it: the tour
page's socket, its reconnects and its resumes carry the cookie back to the process that holds
the session. A process that dies is marked down by HAProxy's health checks (``/voicetour/health``
every 500 ms, down after two misses); its visitors are sent to another process, where their
resume token is unknown: the conversation starts afresh there (``ready`` with ``resumed``
false), and the other processes' sessions are not touched.

The configuration is ``server/haproxy.cfg`` with the processes' ports filled in
(``voicetour cluster --print-config``). Every process is started with the same admin key
(``VOICETOUR_ADMIN_KEY``, or one made up and printed).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from voicetour import clock
from voicetour.errors import UsageError
from voicetour.server import PREFIX
from voicetour.server.local import free_port, signal_group

TEMPLATE = Path(__file__).with_name("haproxy.cfg")
COOKIE = "VTNODE"
START_TIMEOUT_S = 180.0


def haproxy_path() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)
    if found is None:
        raise UsageError("haproxy is not installed: apt-get install -y haproxy (or run scripts/setup.sh)")
    return found


def config(port: int, nodes: list[tuple[str, int]], host: str = "127.0.0.1", tls_pem: str | None = None) -> str:
    """HAProxy's configuration: listen on ``host:port``, balance over ``nodes`` (name, port);
    with ``tls_pem`` (certificate chain and private key in one PEM file), HTTPS and wss there,
    ending TLS at the balancer."""
    servers = "\n".join(f"    server {name} 127.0.0.1:{p} check cookie {name}" for name, p in nodes)
    bind = f"{host}:{port}" + (f" ssl crt {tls_pem}" if tls_pem else "")
    return TEMPLATE.read_text().replace("{bind}", bind).replace("{servers}", servers)


@dataclass
class Node:
    name: str
    port: int
    process: subprocess.Popen[bytes]


@dataclass
class Cluster:
    url: str
    """The balancer's address (http://127.0.0.1:PORT): the tour is at URL/voicetour/."""
    nodes: list[Node]
    balancer: subprocess.Popen[bytes]

    def pids(self) -> list[int]:
        """The server processes (not the balancer)."""
        return [n.process.pid for n in self.nodes]

    def kill(self, name: str) -> None:
        """Kill one server process at once (SIGKILL: no goodbye to its sessions), as a crash would."""
        node = next(n for n in self.nodes if n.name == name)
        signal_group(node.process, signal.SIGKILL)
        node.process.wait(timeout=10)


def _wait_until_up(url: str, procs: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    deadline = clock.monotonic() + START_TIMEOUT_S
    while clock.monotonic() < deadline:
        for proc, log in zip(procs, logs, strict=True):
            if proc.poll() is not None:
                raise UsageError(f"{log.name}: it stopped at start: {log.read_text(errors='replace').strip()[-600:]}")
        try:
            # (the balancer just started here, with the operator's certificate: whether a browser
            # trusts it is not this check's business)
            if httpx.get(url + PREFIX + "/health", timeout=2, verify=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise UsageError(f"{url} did not answer within {START_TIMEOUT_S:.0f} s")


@contextlib.contextmanager
def running_cluster(serve_args: list[str], processes: int, log_dir: Path, port: int | None = None,
                    host: str = "127.0.0.1", env: dict[str, str] | None = None,
                    tls_pem: str | None = None) -> Iterator[Cluster]:
    """Start ``processes`` × ``voicetour serve SERVE_ARGS`` (each on a free port of 127.0.0.1)
    and HAProxy in front of them on ``host:port`` (HTTPS with ``tls_pem``: ``config``); stop
    them all afterwards."""
    if processes < 1:
        raise UsageError(f"--processes {processes}: at least one")
    log_dir.mkdir(parents=True, exist_ok=True)
    haproxy = haproxy_path()
    port = port or free_port()
    env = {**os.environ, **(env or {})}
    nodes: list[Node] = []
    balancer: subprocess.Popen[bytes] | None = None
    try:
        for i in range(1, processes + 1):
            name, node_port = f"n{i}", free_port()
            with (log_dir / f"{name}.log").open("wb") as f:  # the child keeps its own copy of the descriptor
                proc = subprocess.Popen([sys.executable, "-m", "voicetour.cli", "serve", "--port", str(node_port),
                                         *serve_args], stdout=f, stderr=subprocess.STDOUT, env=env,
                                        start_new_session=True)
            nodes.append(Node(name, node_port, proc))
        for node in nodes:
            _wait_until_up(f"http://127.0.0.1:{node.port}", [node.process], [log_dir / f"{node.name}.log"])
        cfg = log_dir / "haproxy.cfg"
        cfg.write_text(config(port, [(n.name, n.port) for n in nodes], host, tls_pem))
        checked = subprocess.run([haproxy, "-c", "-f", str(cfg)], capture_output=True, text=True)
        if checked.returncode != 0:
            raise UsageError(f"{cfg}: haproxy refused it: {(checked.stderr or checked.stdout).strip()[-600:]}")
        with (log_dir / "haproxy.log").open("wb") as f:
            balancer = subprocess.Popen([haproxy, "-f", str(cfg), "-db"], stdout=f, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        url = f"{'https' if tls_pem else 'http'}://{host}:{port}"
        _wait_until_up(url, [balancer], [log_dir / "haproxy.log"])
        yield Cluster(url, nodes, balancer)
    finally:
        for proc in [n.process for n in nodes] + ([balancer] if balancer else []):
            signal_group(proc, signal.SIGTERM)  # uvicorn shuts down gracefully; SIGINT may be ignored
        for proc in [n.process for n in nodes] + ([balancer] if balancer else []):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                signal_group(proc, signal.SIGKILL)
