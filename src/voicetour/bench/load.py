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
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import websockets

from voicetour import clock
from voicetour.audio import FRAME_BYTES, FRAME_MS
from voicetour.audio.wav import read_wav
from voicetour.bench import corpus as corpus_mod
from voicetour.bench.report import _pct
from voicetour.errors import UsageError
from voicetour.evaluate import last_voiced_ms
from voicetour.server import PREFIX
from voicetour.server.cluster import running_cluster
from voicetour.server.local import free_port, signal_group
from voicetour.site.model import Site
from voicetour.telemetry.cpu import process_ns

P95_BUDGET_MS = 300.0
THINK_S = 4.0
"""How long a prospect looks at the page before the next request (``--think``)."""
MAX_WAIT_MS = 15_000
ROOM_FIRST_MS = 2_000
"""A noisy first request is preceded by this much of its room's noise (the VAD's noise floor
needs about 2 s of it, ``VadConfig.noise_frames``)."""
TURNS_PER_LEVEL = 20
DEMO = Path(__file__).resolve().parent.parent / "demo"


@dataclass(frozen=True)
class Clip:
    pcm: bytes
    end_ms: float
    expected_url: str | None
    text: str
    room: bytes = b""
    """The room the request is said in: the noise mixed into a noisy clip (the noisy file less the
    clean one), streamed before and after the clip in place of digital silence, as a microphone
    in that room would; empty for a clean clip (silence)."""
    file: str = ""


@dataclass
class Turn:
    session: int
    text: str
    ok: bool
    v2a_ms: float | None
    cpu_ms: dict[str, float]
    """What the server says the turn cost in CPU, by stage and 'all' (the silence before it included)."""
    file: str = ""


def clips(site: Site, folder: Path, voices: tuple[str, ...],
          phrases: tuple[corpus_mod.Phrase, ...] = corpus_mod.DEMO_PHRASES) -> list[Clip]:
    """In-domain requests (clean, and noisy at 20 or 10 dB), built if missing."""
    items = corpus_mod.build(folder, phrases, voices, [20.0, 10.0], every_snr=False)
    out = []
    for it in items:
        if it.page is None:
            continue
        pcm, clean = read_wav(folder / it.file), read_wav(folder / it.clean)
        out.append(Clip(pcm, last_voiced_ms(clean), site.page(it.page).url, it.text, _room(pcm, clean), it.file))
    return out


def _room(noisy: bytes, clean: bytes) -> bytes:
    """The noise in ``noisy`` (whole frames), or b"" when it is the clean clip itself."""
    if noisy == clean:
        return b""
    n = min(len(noisy), len(clean)) // FRAME_BYTES * FRAME_BYTES
    diff = np.frombuffer(noisy[:n], "<i2").astype(np.int32) - np.frombuffer(clean[:n], "<i2").astype(np.int32)
    return np.clip(diff, -32768, 32767).astype("<i2").tobytes()


class _Room:
    """Frames of a room's sound, looped (digital silence for a clean clip)."""

    def __init__(self, clip: Clip) -> None:
        self.pcm, self.at = clip.room or b"\x00" * FRAME_BYTES, 0

    def frame(self) -> bytes:
        frame = self.pcm[self.at : self.at + FRAME_BYTES]
        self.at = (self.at + FRAME_BYTES) % len(self.pcm)
        return frame


async def _session(idx: int, url: str, plan: list[Clip], start_at: float, think_s: float, turns: list[Turn],
                   errors: list[str], headers: dict[str, str] | None = None) -> None:
    """One prospect: speak a request, wait for the answer (the turn over, at most MAX_WAIT_MS), look
    at the page for ``think_s``, speak the next; the microphone streams silence all the while."""
    try:
        async with websockets.connect(url, max_size=1 << 20, open_timeout=120,
                                      additional_headers=headers) as ws:
            while (first := json.loads(await ws.recv()))["type"] != "ready":
                if first["type"] == "error":
                    errors.append(first.get("code", "?"))
                    if first.get("code") == "busy":
                        return  # told at once that the tour is full: refused, not an error
            await asyncio.sleep(max(0.0, start_at - clock.monotonic()))
            navs: list[tuple[float, str]] = []
            answered = [0]  # turns the server has finished (state 'listening')
            costs: list[tuple[str, float]] = []  # finished turns' CPU by stage and 'all' (metric 'cpu')

            async def reader() -> None:
                async for raw in ws:
                    if isinstance(raw, str):
                        msg = json.loads(raw)
                        if msg["type"] == "navigate":
                            navs.append((clock.monotonic(), msg["url"]))
                        elif msg["type"] == "state" and msg["state"] == "listening":
                            answered[0] += 1
                        elif msg["type"] == "metric" and msg["name"] == "cpu":
                            costs.append((msg["labels"].get("stage", "all"), msg["value_ms"]))
                        elif msg["type"] == "error":
                            errors.append(msg.get("code", "?"))

            task = asyncio.create_task(reader())
            t0 = clock.monotonic()
            sent_ms = 0.0

            async def send(frame: bytes) -> None:
                nonlocal sent_ms
                await ws.send(frame)
                sent_ms += FRAME_MS
                delay = t0 + sent_ms / 1000 - clock.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)

            for n, clip in enumerate(plan):
                if n == 0 and clip.room:  # the room's noise before the first request too
                    room = _Room(clip)
                    for _ in range(ROOM_FIRST_MS // FRAME_MS):
                        await send(room.frame())
                clip_t0 = t0 + sent_ms / 1000
                seen, done, spent = len(navs), answered[0], len(costs)
                for i in range(0, len(clip.pcm) - FRAME_BYTES + 1, FRAME_BYTES):
                    await send(clip.pcm[i : i + FRAME_BYTES])
                waited, room = 0, _Room(clip)
                while answered[0] == done and waited < MAX_WAIT_MS:
                    await send(room.frame())
                    waited += FRAME_MS
                room = _Room(plan[n + 1]) if n + 1 < len(plan) else room  # the next request's room
                for _ in range(int(think_s * 1000) // FRAME_MS):  # looking at the page
                    await send(room.frame())
                end_t = clip_t0 + clip.end_ms / 1000
                mine = navs[seen:]
                final = mine[-1][1] if mine else None
                hit = next((t for t, u in mine if u == clip.expected_url), None)
                ok = final == clip.expected_url
                cost: dict[str, float] = {}
                for stage, ms in costs[spent:]:  # the turns this request made (a noise may make two)
                    cost[stage] = round(cost.get(stage, 0.0) + ms, 2)
                turns.append(Turn(idx, clip.text, ok, round((hit - end_t) * 1000, 1) if ok and hit else None, cost,
                                  clip.file))
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


async def _cookie(base: str) -> dict[str, str]:
    """The routing cookie a load balancer gives a new visitor (none from a lone server), as the
    tour page gets it with the page before it opens its socket."""
    async with httpx.AsyncClient() as client:
        answer = await client.get(base + PREFIX + "/health", timeout=30)
    cookies = "; ".join(f"{k}={v}" for k, v in answer.cookies.items())
    return {"Cookie": cookies} if cookies else {}


async def _visitor(idx: int, base: str, plan: list[Clip], start_at: float, think_s: float, turns: list[Turn],
                   errors: list[str]) -> None:
    try:
        headers = await _cookie(base)
    except httpx.HTTPError as exc:
        errors.append(f"session {idx}: {type(exc).__name__}: {exc}")
        return
    await _session(idx, base.replace("http", "ws") + PREFIX + "/ws", plan, start_at, think_s, turns, errors, headers)


async def _level(n: int, base: str, pids: list[int], pool: list[Clip], per_session: int, seed: int,
                 think_s: float = THINK_S) -> dict[str, Any]:
    rng = random.Random(seed)
    turns: list[Turn] = []
    errors: list[str] = []
    cpu0 = sum(_cpu_seconds(p) for p in pids)
    client0 = process_ns()
    wall0 = clock.monotonic()
    start = clock.monotonic() + 2.0 + n * 0.05  # time to connect every session first
    await asyncio.gather(*(_visitor(i, base, rng.sample(pool, per_session), start + rng.random() * max(1.0, think_s),
                                    think_s, turns, errors) for i in range(n)))
    wall = clock.monotonic() - wall0
    cpu = sum(_cpu_seconds(p) for p in pids) - cpu0
    lat = [t.v2a_ms for t in turns if t.v2a_ms is not None]
    costs = [t.cpu_ms.get("all", 0.0) for t in turns if t.cpu_ms]
    stages = sorted({k for t in turns for k in t.cpu_ms if k != "all"})
    per_request = cpu * 1000 / len(turns) if turns else None
    return {
        "sessions": n,
        "turns": len(turns),
        "think_s": think_s,
        "accuracy": round(sum(t.ok for t in turns) / len(turns), 3) if turns else None,
        "voice_to_action_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "p99": _pct(lat, 99)},
        "cpu_per_session": round(cpu / wall / n, 4),
        "cpu_total_cores": round(cpu / wall, 2),
        # All the server processes' CPU over the level (silence, thinking, everything) per request.
        "cpu_ms_per_request": round(per_request, 1) if per_request is not None else None,
        "requests_per_core_hour": round(3_600_000 / per_request) if per_request else None,
        # What the server says each request's turns cost (the silence before each included), by stage.
        "turn_cpu_ms": {"mean": round(sum(costs) / len(costs), 1) if costs else None, "p95": _pct(costs, 95),
                        "stages": {k: round(sum(t.cpu_ms.get(k, 0.0) for t in turns) / len(costs), 1)
                                   for k in stages} if costs else {}},
        "client_cpu_cores": round((process_ns() - client0) / 1e9 / wall, 3),
        "errors": [e for e in errors if e != "busy"][:20],
        "error_count": sum(e != "busy" for e in errors),
        "refused": sum(e == "busy" for e in errors),
        "seconds": round(wall, 1),
        "rows": [{"session": t.session, "text": t.text, "ok": t.ok, "v2a_ms": t.v2a_ms, "cpu_ms": t.cpu_ms}
                 for t in turns],
    }


ADMIN_KEY = secrets.token_urlsafe(24)
"""The key the sweep's server is started with, so that the sweep can save its traces."""


def _start_server(port: int, flame: Path | None, log: Path, max_sessions: int,
                  serve_args: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "voicetour.cli", "serve", "--port", str(port), "--site", str(DEMO / "site.json"),
           "--app-dir", str(DEMO / "app"), "--max-sessions", str(max_sessions),
           "--connects-per-minute", "0", *serve_args]  # every prospect comes from this one address: a
    # level of 50 right after one of 32 was 82 sockets from 127.0.0.1 in a minute, 22 refused as a flood
    if flame is not None:
        py_spy = Path(sys.executable).with_name("py-spy")
        exe = str(py_spy) if py_spy.exists() else "py-spy"
        fmt = "speedscope" if flame.suffix == ".json" else "flamegraph"
        cmd = [exe, "record", "--nonblocking", "--format", fmt, "--output", str(flame), "--rate", "100",
               "--subprocesses", "--", *cmd]
    env = {**os.environ, "VOICETOUR_ADMIN_KEY": ADMIN_KEY}
    with log.open("wb") as f:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, env=env)


@dataclass(frozen=True)
class Target:
    url: str
    """Where the sessions connect: the server, or the load balancer in front of several."""
    pids: list[int]
    """The server processes (their CPU is the server's)."""
    nodes: list[str]
    """Each server process's own address (for its /metrics and traces)."""


@contextlib.contextmanager
def served(out: Path, flame: Path | None = None, processes: int = 1,
           max_sessions: int = 100_000, serve_args: tuple[str, ...] = ()) -> Iterator[Target]:
    """The demo server in its own process on 127.0.0.1 (under py-spy with ``flame``), or
    ``processes`` of them behind HAProxy (``voicetour cluster``); stops them (and py-spy, which
    then writes the flame graph) afterwards. ``max_sessions`` per process: by default more than
    any sweep opens, to measure what happens past capacity."""
    if processes > 1:
        if flame is not None:
            raise UsageError("--flame records one server process: leave out --processes")
        serve = ["--site", str(DEMO / "site.json"), "--app-dir", str(DEMO / "app"), "--max-sessions", str(max_sessions),
                 *serve_args]
        with running_cluster(serve, processes, out / "cluster", env={"VOICETOUR_ADMIN_KEY": ADMIN_KEY}) as cluster:
            yield Target(cluster.url, cluster.pids(), [f"http://127.0.0.1:{n.port}" for n in cluster.nodes])
        return
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(port, flame, out / "server.log", max_sessions, serve_args)
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
        yield Target(base, [_server_pid(server, flame is not None)], [base])
    finally:
        # SIGINT to the whole group: py-spy stops sampling and writes the flame graph (SIGTERM would
        # lose it) and uvicorn shuts down gracefully; anything left after that is killed.
        signal_group(server, signal.SIGINT)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pass
        signal_group(server, signal.SIGKILL)


def sweep(site: Site, counts: list[int], out: Path, quick: bool = False, flame: Path | None = None,
          per_session: int | None = None, voices: tuple[str, ...] | None = None,
          phrases: tuple[corpus_mod.Phrase, ...] = corpus_mod.DEMO_PHRASES, think_s: float = THINK_S,
          processes: int = 1, max_sessions: int = 100_000, full_sessions: int | None = None) -> dict[str, Any]:
    """Run the levels in ``counts`` against fresh server processes; write OUT/load.json and load.md.
    ``full_sessions``: each process's ``serve --full-sessions``."""
    out.mkdir(parents=True, exist_ok=True)
    voices = voices or (("piper", "espeak-us") if quick else ("piper", "espeak-us", "espeak-f3"))
    pool = clips(site, out / "load-corpus", voices, phrases)
    per_session = min(per_session or (2 if quick else 3), len(pool))
    lean = ("--full-sessions", str(full_sessions)) if full_sessions is not None else ()
    with served(out, flame, processes, max_sessions, serve_args=lean) as target:
        levels = []
        for n in counts:
            print(f"load: {n} sessions ...", file=sys.stderr, flush=True)
            clips_each = min(len(pool), max(per_session, -(-TURNS_PER_LEVEL // n)))  # enough turns for a p95
            level = asyncio.run(_level(n, target.url, target.pids, pool, clips_each, seed=n, think_s=think_s))
            print(f"load: {n} sessions: p50 {level['voice_to_action_ms']['p50']} ms, "
                  f"p95 {level['voice_to_action_ms']['p95']} ms, accuracy {level['accuracy']}, "
                  f"{level['cpu_ms_per_request']} CPU-ms per request, {level['cpu_total_cores']} cores, "
                  f"{level['refused']} refused", file=sys.stderr, flush=True)
            levels.append(level)
        metrics_text = ""
        for i, node in enumerate(target.nodes):
            try:
                metrics_text += f"# {node}\n" + httpx.get(node + PREFIX + "/metrics", timeout=60).text
                (out / ("trace.json" if i == 0 else f"trace-{i + 1}.json")).write_bytes(httpx.get(
                    node + PREFIX + "/trace/all", timeout=60, headers={"Authorization": f"Bearer {ADMIN_KEY}"}).content)
            except httpx.HTTPError as exc:
                metrics_text += f"# {node}/metrics did not answer: {type(exc).__name__}: {exc}\n"
    knee = next((lv["sessions"] for lv in levels
                 if (lv["voice_to_action_ms"]["p95"] or float("inf")) > P95_BUDGET_MS), None)
    report = {"levels": levels, "p95_budget_ms": P95_BUDGET_MS, "first_n_over_budget": knee,
              "cpus": os.cpu_count(), "processes": processes, "think_s": think_s,
              "flame_graph": str(flame) if flame else None}
    (out / "load.json").write_text(json.dumps(report, indent=1) + "\n")
    (out / "load.md").write_text(load_markdown(report))
    (out / "metrics.txt").write_text(metrics_text)
    return report


def load_markdown(report: dict[str, Any]) -> str:
    processes = report.get("processes", 1)
    where = "One server process" if processes == 1 else f"{processes} server processes behind HAProxy"
    think = report.get("think_s", THINK_S)
    lines = ["# voicetour load sweep", "",
             f"{where}, {report['cpus']} CPUs. Each session is a prospect: it speaks a request in real time over "
             f"a WebSocket on 127.0.0.1, waits for the answer, looks at the page for {think} s "
             "(the microphone streams silence all the while) and speaks the next.", "",
             "| sessions | turns | accuracy | v2a p50 (ms) | v2a p95 (ms) | server CPU (cores) | CPU-ms per request "
             "| requests per core-hour | turn CPU-ms mean / p95 | load generator (cores) | refused | errors |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for lv in report["levels"]:
        v, c = lv["voice_to_action_ms"], lv["turn_cpu_ms"]
        lines.append(f"| {lv['sessions']} | {lv['turns']} | {lv['accuracy']} | {v['p50']} | {v['p95']} | "
                     f"{lv['cpu_total_cores']} | {lv['cpu_ms_per_request']} | {lv['requests_per_core_hour']} | "
                     f"{c['mean']} / {c['p95']} | {lv['client_cpu_cores']} | {lv['refused']} | {lv['error_count']} |")
    lines += ["", "CPU-ms per request: all the server processes' CPU over the level (silence and thinking included) "
              "/ requests. Turn CPU: what the server measured for each request's turns, by stage (mean ms):", ""]
    for lv in report["levels"]:
        stages = ", ".join(f"{k} {v}" for k, v in lv["turn_cpu_ms"]["stages"].items()) or "-"
        lines.append(f"- {lv['sessions']} sessions: {stages}")
    knee = report["first_n_over_budget"]
    lines += ["", f"p95 first over {report['p95_budget_ms']:.0f} ms at: "
              f"**{f'{knee} sessions' if knee else 'none of these levels'}**.", ""]
    return "\n".join(lines)
