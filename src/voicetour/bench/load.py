"""`voicetour bench --sessions 1,10,50,100`: N live sessions against one server process.

The server is a separate process (``voicetour serve`` for the demo, on 127.0.0.1); this process
is only the load generator, so the two do not share a GIL. Each session opens a real WebSocket,
waits for ``ready``, then streams corpus utterances in real time (20 ms frames, paced by the
clock, starts staggered over the first second), each followed by silence. Voice-to-action is
measured at the client: when the right ``navigate`` arrived minus when the last voiced 10 ms of the
clean audio was sent. CPU per session: the server process's CPU time (/proc) over the level's wall
time, divided by N. The answer is
waited for: like a person, a session speaks again only once the server has finished the turn (or
after 15 s). Each level has at least 20 turns (small N: more utterances per session).
With ``flame``, the server runs under ``py-spy record`` and the flame graph of
the whole sweep is written there (SVG).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import websockets

from voicetour import clock
from voicetour.audio import FRAME_BYTES, FRAME_MS
from voicetour.audio.wav import read_wav
from voicetour.bench import corpus as corpus_mod
from voicetour.bench.report import _pct
from voicetour.errors import UsageError
from voicetour.evaluate import last_voiced_ms
from voicetour.server import PREFIX
from voicetour.site.model import Site

P95_BUDGET_MS = 300.0
GAP_MS = 1500
MAX_WAIT_MS = 15_000
TURNS_PER_LEVEL = 20


@dataclass(frozen=True)
class Clip:
    pcm: bytes
    end_ms: float
    expected_url: str | None
    text: str


@dataclass
class Turn:
    session: int
    text: str
    ok: bool
    v2a_ms: float | None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clips(site: Site, folder: Path, voices: tuple[str, ...],
          phrases: tuple[corpus_mod.Phrase, ...] = corpus_mod.DEMO_PHRASES) -> list[Clip]:
    """In-domain requests (clean, and noisy at 20 or 10 dB), built if missing."""
    items = corpus_mod.build(folder, phrases, voices, [20.0, 10.0], every_snr=False)
    out = []
    for it in items:
        if it.page is None:
            continue
        out.append(Clip(read_wav(folder / it.file), last_voiced_ms(read_wav(folder / it.clean)),
                        site.page(it.page).url, it.text))
    return out


async def _session(idx: int, url: str, plan: list[Clip], start_at: float, turns: list[Turn],
                   errors: list[str]) -> None:
    try:
        async with websockets.connect(url, max_size=1 << 20, open_timeout=120) as ws:
            while json.loads(await ws.recv())["type"] != "ready":
                pass
            await asyncio.sleep(max(0.0, start_at - clock.monotonic()))
            navs: list[tuple[float, str]] = []
            answered = [0]  # turns the server has finished (state 'listening')

            async def reader() -> None:
                async for raw in ws:
                    if isinstance(raw, str):
                        msg = json.loads(raw)
                        if msg["type"] == "navigate":
                            navs.append((clock.monotonic(), msg["url"]))
                        elif msg["type"] == "state" and msg["state"] == "listening":
                            answered[0] += 1
                        elif msg["type"] == "error":
                            errors.append(msg.get("code", "?"))

            task = asyncio.create_task(reader())
            t0 = clock.monotonic()
            sent_ms = 0.0
            silence = b"\x00" * FRAME_BYTES
            for clip in plan:
                pcm = clip.pcm + b"\x00" * (GAP_MS * 32)
                clip_t0 = t0 + sent_ms / 1000
                seen, done = len(navs), answered[0]
                frames = [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)]
                # Like a person, wait for the answer before the next request: keep the microphone
                # streaming silence until the turn is over (at most MAX_WAIT_MS more).
                extra = MAX_WAIT_MS // FRAME_MS
                i = 0
                while i < len(frames) or (answered[0] == done and extra > 0):
                    if i >= len(frames):
                        extra -= 1
                    await ws.send(frames[i] if i < len(frames) else silence)
                    i += 1
                    sent_ms += FRAME_MS
                    delay = t0 + sent_ms / 1000 - clock.monotonic()
                    if delay > 0:
                        await asyncio.sleep(delay)
                end_t = clip_t0 + clip.end_ms / 1000
                mine = navs[seen:]
                final = mine[-1][1] if mine else None
                hit = next((t for t, u in mine if u == clip.expected_url), None)
                ok = final == clip.expected_url
                turns.append(Turn(idx, clip.text, ok, round((hit - end_t) * 1000, 1) if ok and hit else None))
            task.cancel()
    except (OSError, websockets.WebSocketException, TimeoutError) as exc:
        errors.append(f"session {idx}: {type(exc).__name__}: {exc}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pid(proc: subprocess.Popen[bytes], flame: bool) -> int:
    """The server's pid: the process itself, or py-spy's child when it runs under py-spy."""
    if not flame:
        return proc.pid
    for _ in range(100):
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise UsageError("py-spy did not start the server")


async def _level(n: int, base: str, pid: int, pool: list[Clip], per_session: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    turns: list[Turn] = []
    errors: list[str] = []
    cpu0 = _cpu_seconds(pid)
    wall0 = clock.monotonic()
    start = clock.monotonic() + 2.0 + n * 0.05  # time to connect every session first
    tasks = [
        _session(i, base.replace("http", "ws") + PREFIX + "/ws", rng.sample(pool, per_session), start + rng.random(),
                 turns, errors)
        for i in range(n)
    ]
    await asyncio.gather(*tasks)
    wall = clock.monotonic() - wall0
    cpu = _cpu_seconds(pid) - cpu0
    lat = [t.v2a_ms for t in turns if t.v2a_ms is not None]
    return {
        "sessions": n,
        "turns": len(turns),
        "accuracy": round(sum(t.ok for t in turns) / len(turns), 3) if turns else None,
        "voice_to_action_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "p99": _pct(lat, 99)},
        "cpu_per_session": round(cpu / wall / n, 4),
        "cpu_total_cores": round(cpu / wall, 2),
        "errors": errors[:20],
        "error_count": len(errors),
        "seconds": round(wall, 1),
        "rows": [{"session": t.session, "text": t.text, "ok": t.ok, "v2a_ms": t.v2a_ms} for t in turns],
    }


ADMIN_KEY = secrets.token_urlsafe(24)
"""The key the sweep's server is started with, so that the sweep can save its traces."""


def _start_server(port: int, flame: Path | None, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "voicetour.cli", "serve", "--port", str(port),
           "--site", str(Path(__file__).resolve().parent.parent / "demo" / "site.json"),
           "--app-dir", str(Path(__file__).resolve().parent.parent / "demo" / "app"),
           "--max-sessions", "100000"]  # the sweep measures what happens past capacity
    if flame is not None:
        py_spy = Path(sys.executable).with_name("py-spy")
        exe = str(py_spy) if py_spy.exists() else "py-spy"
        fmt = "speedscope" if flame.suffix == ".json" else "flamegraph"
        cmd = [exe, "record", "--nonblocking", "--format", fmt, "--output", str(flame), "--rate", "100",
               "--subprocesses", "--", *cmd]
    env = {**os.environ, "VOICETOUR_ADMIN_KEY": ADMIN_KEY}
    with log.open("wb") as f:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, env=env)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


@contextlib.contextmanager
def served(out: Path, flame: Path | None = None) -> Iterator[tuple[str, int]]:
    """The demo server in its own process on 127.0.0.1 (under py-spy with ``flame``); yields its
    base URL and pid, and stops it (and py-spy, which then writes the flame graph) afterwards."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(port, flame, out / "server.log")
    try:
        for _ in range(600):
            if server.poll() is not None:
                err = (out / "server.log").read_text(errors="replace")
                raise UsageError(f"the server did not start: {err.strip()[-500:]}")
            try:
                httpx.get(base + PREFIX + "/site", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base, _server_pid(server, flame is not None)
    finally:
        # SIGINT to the whole group: py-spy stops sampling and writes the flame graph (SIGTERM would
        # lose it) and uvicorn shuts down gracefully; anything left after that is killed.
        _signal_group(server, signal.SIGINT)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pass
        _signal_group(server, signal.SIGKILL)


def sweep(site: Site, counts: list[int], out: Path, quick: bool = False, flame: Path | None = None,
          per_session: int | None = None, voices: tuple[str, ...] | None = None,
          phrases: tuple[corpus_mod.Phrase, ...] = corpus_mod.DEMO_PHRASES) -> dict[str, Any]:
    """Run the levels in ``counts`` against one fresh server; write OUT/load.json and load.md."""
    out.mkdir(parents=True, exist_ok=True)
    voices = voices or (("piper", "espeak-us") if quick else ("piper", "espeak-us", "espeak-f3"))
    pool = clips(site, out / "load-corpus", voices, phrases)
    per_session = min(per_session or (2 if quick else 3), len(pool))
    with served(out, flame) as (base, pid):
        levels = []
        for n in counts:
            print(f"load: {n} sessions ...", file=sys.stderr, flush=True)
            clips_each = min(len(pool), max(per_session, -(-TURNS_PER_LEVEL // n)))  # enough turns for a p95
            level = asyncio.run(_level(n, base, pid, pool, clips_each, seed=n))
            print(f"load: {n} sessions: p50 {level['voice_to_action_ms']['p50']} ms, "
                  f"p95 {level['voice_to_action_ms']['p95']} ms, accuracy {level['accuracy']}, "
                  f"{level['cpu_per_session']:.3f} cores/session", file=sys.stderr, flush=True)
            levels.append(level)
        try:
            metrics_text = httpx.get(base + PREFIX + "/metrics", timeout=60).text
            (out / "trace.json").write_bytes(httpx.get(base + PREFIX + "/trace/all", timeout=60,
                                                       headers={"Authorization": f"Bearer {ADMIN_KEY}"}).content)
        except httpx.HTTPError as exc:
            metrics_text = f"# /metrics did not answer: {type(exc).__name__}: {exc}\n"
    knee = next((lv["sessions"] for lv in levels
                 if (lv["voice_to_action_ms"]["p95"] or float("inf")) > P95_BUDGET_MS), None)
    report = {"levels": levels, "p95_budget_ms": P95_BUDGET_MS, "first_n_over_budget": knee,
              "cpus": os.cpu_count(), "flame_graph": str(flame) if flame else None}
    (out / "load.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "load.md").write_text(load_markdown(report))
    (out / "metrics.txt").write_text(metrics_text)
    return report


def load_markdown(report: dict[str, Any]) -> str:
    lines = ["# voicetour load sweep", "",
             f"One server process, {report['cpus']} CPUs; sessions stream in real time over WebSockets on 127.0.0.1.",
             "", "| sessions | turns | accuracy | v2a p50 (ms) | v2a p95 (ms) | CPU per session (cores) | server CPU "
             "(cores) | errors |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for lv in report["levels"]:
        v = lv["voice_to_action_ms"]
        lines.append(f"| {lv['sessions']} | {lv['turns']} | {lv['accuracy']} | {v['p50']} | {v['p95']} | "
                     f"{lv['cpu_per_session']} | {lv['cpu_total_cores']} | {lv['error_count']} |")
    knee = report["first_n_over_budget"]
    lines += ["", f"p95 passes {report['p95_budget_ms']:.0f} ms at: **{knee if knee else 'none of these levels'}**"
              " sessions.", ""]
    return "\n".join(lines)
