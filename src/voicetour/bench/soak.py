"""`voicetour bench --soak SECONDS`: a server process kept busy by well-behaved prospects and
hostile clients at once, its memory, descriptors, threads and tasks sampled every second.

Well-behaved: ``max_sessions - 1`` prospects (``load._session``: speak a request in real time,
wait for the answer, look, speak the next) hold their places for the whole soak; every turn must
be answered. Hostile, all from the same address, each in a loop for the whole soak, fighting over
the one place left (a refused one is told "busy" and tries again):

- a flooder: text messages, pings and audio as fast as the socket takes them, never reading;
- a never-reader: a real-time microphone, pings, and never a read (the server's sends stall);
- a connect-and-close loop: open, close, again, several a second;
- a vanisher: half a request, then the connection dropped without a close, then a resume.

The server's own per-address limit is off (every client here is 127.0.0.1); its session cap,
inbox bounds, send timeout and parking are what is measured. After the clients leave, the
sampling goes on for ``settle_s`` (parked sessions expire after 60 s): descriptors and tasks
must come back to where they were before any client came, and memory near its level after the
warm-up (the first ``warmup_s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

import httpx
import websockets

from voicetour import clock
from voicetour.audio import FRAME_BYTES, FRAME_MS
from voicetour.bench.load import Clip, Turn, _session, clips, served
from voicetour.bench.report import _pct
from voicetour.server import PREFIX
from voicetour.server.limits import PARK_SECONDS
from voicetour.site.model import Site

KINDS = ("flooder", "never-reader", "connect-close", "vanisher")


def _proc(pid: int) -> dict[str, float]:
    """RSS (MB), open descriptors and threads of a process (Linux /proc)."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return {"rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": int(status["Threads"])}


async def _sample(base: str, pid: int, t0: float) -> dict[str, Any]:
    sample: dict[str, Any] = {"t_s": round(clock.monotonic() - t0, 1), **_proc(pid)}
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient() as client:
            health = (await client.get(base + PREFIX + "/health", timeout=5)).json()
        sample.update(tasks=health.get("tasks"), sessions=health.get("sessions"), parked=health.get("parked"))
    return sample


async def _hostile(kind: str, ws_url: str, until: float, clip: Clip, tally: dict[str, dict[str, int]]) -> None:
    """One hostile client, again and again until ``until``; counts admitted / refused / other."""
    count = tally[kind]
    resume = ""
    while clock.monotonic() < until:
        try:
            protocols = ["voicetour", f"resume.{resume}"] if resume and kind == "vanisher" else ["voicetour"]
            async with websockets.connect(ws_url, subprotocols=protocols, max_queue=1,  # type: ignore[arg-type]
                                          open_timeout=30, close_timeout=1) as ws:
                first = json.loads(await ws.recv())
                if first.get("type") != "ready":
                    count["refused" if first.get("code") == "busy" else "other"] += 1
                    await asyncio.sleep(0.5)
                    continue
                count["admitted"] += 1
                resume = first.get("resume", "")
                await _misbehave(kind, ws, until, clip)
        except (OSError, websockets.WebSocketException, TimeoutError, json.JSONDecodeError):
            count["dropped"] += 1  # the server closed on it (or it dropped itself): expected
        await asyncio.sleep(0.2 if kind == "connect-close" else 0.5)


async def _misbehave(kind: str, ws: websockets.ClientConnection, until: float, clip: Clip) -> None:
    if kind == "connect-close":
        return
    if kind == "vanisher":
        half = clip.pcm[: len(clip.pcm) // 2 // FRAME_BYTES * FRAME_BYTES]
        for i in range(0, len(half), FRAME_BYTES):
            await ws.send(half[i : i + FRAME_BYTES])
            await asyncio.sleep(FRAME_MS / 1000)
        ws.transport.abort()  # gone mid-utterance, no close
        return
    rng = random.Random(kind)
    stop = min(until, clock.monotonic() + 30)  # a new connection now and then
    while clock.monotonic() < stop:
        if kind == "flooder":
            await ws.send(json.dumps({"type": "text", "text": "show me billing"}))
            await ws.send(json.dumps({"type": "ping", "t": rng.random()}))
            await ws.send(bytes(FRAME_BYTES * 10))  # audio far ahead of real time
            await asyncio.sleep(0)
        else:  # never-reader: a well-paced microphone and pings, never a read
            await ws.send(clip.pcm[:FRAME_BYTES] if rng.random() < 0.5 else bytes(FRAME_BYTES))
            await ws.send(json.dumps({"type": "ping", "t": 1}))
            await asyncio.sleep(FRAME_MS / 1000)


async def _soak(base: str, pid: int, pool: list[Clip], well: int, seconds: float, warmup_s: float,
                settle_s: float) -> dict[str, Any]:
    t0 = clock.monotonic()
    samples: list[dict[str, Any]] = []
    stop_sampling = asyncio.Event()

    async def sampler() -> None:
        while not stop_sampling.is_set():
            samples.append(await _sample(base, pid, t0))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop_sampling.wait(), 1.0)

    before = await _sample(base, pid, t0)
    sampling = asyncio.create_task(sampler())
    ws_url = base.replace("http", "ws") + PREFIX + "/ws"
    until = t0 + seconds
    turns: list[Turn] = []
    errors: list[str] = []
    rng = random.Random(7)
    per_turn_s = 8.0  # a request, its answer and 2 s of looking, roughly: enough clips for the soak
    plans = [[rng.choice(pool) for _ in range(max(1, int(seconds / per_turn_s)))] for _ in range(well)]
    tally = {k: {"admitted": 0, "refused": 0, "dropped": 0, "other": 0} for k in KINDS}
    prospects = [_session(i, ws_url, plans[i], t0 + 1 + i * 0.3, 2.0, turns, errors) for i in range(well)]
    await asyncio.sleep(0.5)  # the prospects take their places first, as visitors who came earlier
    hostile = [_hostile(k, ws_url, until, pool[0], tally) for k in KINDS]
    await asyncio.gather(*prospects, *hostile)
    left = clock.monotonic() - t0
    await asyncio.sleep(settle_s)
    stop_sampling.set()
    await sampling
    after = samples[-1]
    warm = [s for s in samples if warmup_s <= s["t_s"] <= left]
    warm_rss = warm[0]["rss_mb"] if warm else before["rss_mb"]
    asked = sum(len(p) for p in plans)
    lat = [t.v2a_ms for t in turns if t.v2a_ms is not None]
    return {
        "seconds": round(left, 1), "well_behaved_sessions": well, "turns_asked": asked, "turns_answered": len(turns),
        "turns_right": sum(t.ok for t in turns), "prospect_errors": errors[:20],
        "voice_to_action_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95)},
        "hostile": tally, "before": before, "after": after, "rss_after_warmup_mb": warm_rss,
        "rss_peak_mb": max(s["rss_mb"] for s in samples), "rss_end_ratio": round(after["rss_mb"] / warm_rss, 3),
        "samples": samples,
    }


def soak(site: Site, out: Path, seconds: float, max_sessions: int = 3, warmup_s: float | None = None,
         settle_s: float = PARK_SECONDS + 10.0, voices: tuple[str, ...] = ("piper",),
         pool: list[Clip] | None = None, park_seconds: float = PARK_SECONDS) -> dict[str, Any]:
    """Run the soak against a fresh server process; write OUT/soak.json, soak.md and soak.png.
    The prospects speak ``pool`` (default: the load sweep's requests in ``voices``, built if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    pool = pool or clips(site, out / "load-corpus", voices)
    warmup = warmup_s if warmup_s is not None else min(60.0, seconds / 5)
    well = max(1, max_sessions - 1)
    print(f"soak: {seconds:.0f} s, {well} prospects and {len(KINDS)} hostile clients ...", file=sys.stderr, flush=True)
    args = ("--connects-per-minute", "0", "--park-seconds", str(park_seconds))
    with served(out, max_sessions=max_sessions, serve_args=args) as target:
        result = asyncio.run(_soak(target.url, target.pids[0], pool, well, seconds, warmup, settle_s))
    result["max_sessions"], result["park_seconds"] = max_sessions, park_seconds
    (out / "soak.json").write_text(json.dumps(result, indent=1) + "\n")
    (out / "soak.md").write_text(soak_markdown(result))
    _plot(result, out / "soak.png")
    return result


def soak_markdown(r: dict[str, Any]) -> str:
    b, a = r["before"], r["after"]
    lines = ["# voicetour soak", "",
             f"One server process (cap {r['max_sessions']} conversations), {r['seconds']} s: "
             f"{r['well_behaved_sessions']} well-behaved prospects speaking, and hostile clients "
             f"({', '.join(KINDS)}) from the same address.", "",
             f"- Prospects' turns answered: **{r['turns_answered']} of {r['turns_asked']}** "
             f"({r['turns_right']} on the right page; voice-to-action p50 {r['voice_to_action_ms']['p50']} ms, "
             f"p95 {r['voice_to_action_ms']['p95']} ms); errors: {r['prospect_errors'] or 'none'}",
             "- Hostile clients (admitted / refused with busy / dropped by the server or themselves / other): "
             + "; ".join(f"{k} {v['admitted']} / {v['refused']} / {v['dropped']} / {v['other']}"
                         for k, v in r["hostile"].items()),
             f"- Memory: {b['rss_mb']} MB before any client, {r['rss_after_warmup_mb']} MB after the warm-up, peak "
             f"{r['rss_peak_mb']} MB, {a['rss_mb']} MB at the end (**{r['rss_end_ratio']}x** the warm-up level)",
             f"- Descriptors: {b['fds']} before, {a['fds']} at the end; threads {b['threads']} / {a['threads']}; "
             f"asyncio tasks {b.get('tasks')} / {a.get('tasks')}; sessions open at the end {a.get('sessions')}, "
             f"parked {a.get('parked')} (kept {r['park_seconds']} s for a resume)", ""]
    return "\n".join(lines)


def _plot(r: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [s["t_s"] for s in r["samples"]]
    fig, (mem, fds) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    mem.plot(t, [s["rss_mb"] for s in r["samples"]], label="server RSS (MB)")
    mem.axvline(r["seconds"], color="grey", linestyle="--", label="clients leave")
    mem.set_ylabel("MB")
    mem.legend(loc="lower right")
    fds.plot(t, [s["fds"] for s in r["samples"]], label="open descriptors")
    fds.plot(t, [s.get("tasks") or 0 for s in r["samples"]], label="asyncio tasks")
    fds.plot(t, [s.get("sessions") or 0 for s in r["samples"]], label="open sessions")
    fds.axvline(r["seconds"], color="grey", linestyle="--")
    fds.set_xlabel("seconds")
    fds.legend(loc="upper right")
    fig.suptitle("voicetour soak: one server process, prospects and hostile clients")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
