"""The `voicetour` command: demo, serve, simulate."""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path

from voicetour.errors import UsageError, VoicetourError
from voicetour.server.limits import CONNECTS_PER_MINUTE, PARK_SECONDS


def demo_site_path() -> Path:
    return Path(str(resources.files("voicetour") / "demo" / "site.json"))


def demo_app_dir() -> Path:
    return Path(str(resources.files("voicetour") / "demo" / "app"))


def _engine(site_path: str | None):  # type: ignore[no-untyped-def]
    from voicetour.session.engine import Engine
    from voicetour.site.model import load_site

    return Engine.for_site(load_site(site_path or demo_site_path()))


def cmd_simulate(args: argparse.Namespace) -> int:
    from voicetour.simulate import simulate_file, timeline

    engine = _engine(args.site)
    status = 0
    recorders = []
    for path in args.audio:
        try:
            result = simulate_file(engine, path, start_url=args.start, realtime=args.realtime)
        except VoicetourError as exc:
            status = 1
            if args.json:
                print(json.dumps({"audio": path, "error": str(exc)}), flush=True)
            else:
                print(f"error: {exc}", file=sys.stderr)
            continue
        recorders.append(result.recorder)
        print(json.dumps(result.as_json()) if args.json else timeline(result), flush=True)
    if args.trace:
        from voicetour.telemetry.trace import chrome_trace

        Path(args.trace).write_text(json.dumps(chrome_trace(recorders)))
        print(f"trace: {args.trace} (open in https://ui.perfetto.dev)", file=sys.stderr)
    return status


def cmd_evaluate(args: argparse.Namespace) -> int:
    from voicetour.evaluate import evaluate

    report = evaluate(_engine(args.site), Path(args.corpus))
    if args.json:
        print(json.dumps(report, indent=1))
        return 0
    for row in report["rows"]:
        mark = "ok " if row["ok"] else "BAD"
        flash = f" showed {','.join(row['wrong_shown'])}" if row["wrong_shown"] else ""
        print(f"{mark} {row['voice']:<10} {row['text']!r:<36} heard {row['heard']!r:<40} -> {row['final_url']} "
              f"v2a={row['v2a_ms']}{flash}")
    for group, numbers in report["groups"].items():
        print(f"{group}: n={numbers['n']} accuracy={numbers['accuracy']} "
              f"wrong page shown={numbers['wrong_page_shown']}/{numbers['n']}")
    print(json.dumps({k: v for k, v in report.items() if k not in ("rows", "groups")}))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from voicetour.bench.busy import busy_cores

    if args.cpu_load:
        print(f"competing load: {args.cpu_load} busy core(s) for the whole run", file=sys.stderr)
    with busy_cores(args.cpu_load):
        return _bench(args)


def _bench(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if args.sessions:
        from voicetour.bench.load import THINK_S, sweep
        from voicetour.site.model import load_site

        counts = _counts(args.sessions)
        think = THINK_S if args.think is None else args.think
        sweep(load_site(demo_site_path()), counts, out, quick=args.quick,
              flame=Path(args.flame) if args.flame else None, think_s=think, processes=args.processes,
              max_sessions=args.max_sessions or 100_000)
        print((out / "load.md").read_text())
        return 0
    if args.soak:
        from voicetour.bench.soak import soak
        from voicetour.site.model import load_site

        soak(load_site(demo_site_path()), out, args.soak, max_sessions=args.max_sessions or 3)
        print((out / "soak.md").read_text())
        return 0
    if args.embed:
        from voicetour.bench.embed import embed_bench
        from voicetour.site.model import load_site

        if not args.site or not args.corpus:
            raise UsageError("--embed needs --site (the product's crawled site) and --corpus (its labelled speech)")
        result = embed_bench(load_site(args.site), Path(args.embed), Path(args.corpus), args.start, quick=args.quick)
        out.mkdir(parents=True, exist_ok=True)
        (out / "embed.json").write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))
        return 0
    if args.browser:
        from voicetour.bench.browser import browser_bench
        from voicetour.site.model import load_site

        result = browser_bench(load_site(demo_site_path()), out, quick=args.quick,
                               corpus_dir=Path(args.corpus) if args.corpus else None)
        print(json.dumps({k: v for k, v in result.items() if k != "rows"}, indent=1))
        return 0
    from voicetour.bench.run import run

    run(_engine(args.site), out, quick=args.quick, corpus_dir=Path(args.corpus) if args.corpus else None,
        realtime=args.realtime, cpu_load=args.cpu_load)
    print((out / "report.md").read_text())
    print(f"report: {out / 'report.json'}, {out / 'report.md'}, {out / 'latency_cdf.png'}, {out / 'stages.png'}",
          file=sys.stderr)
    return 0


def _counts(text: str) -> list[int]:
    try:
        counts = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        counts = []
    if not counts or any(n < 1 for n in counts):
        raise VoicetourError(f"--sessions {text!r}: expected positive integers separated by commas, e.g. 1,10,50")
    return counts


def cmd_crawl(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from voicetour.crawl.build import build_site, summarize
    from voicetour.crawl.fetch import Limits, crawl_static
    from voicetour.crawl.render import crawl_rendered

    limits = Limits(max_pages=args.max_pages, max_depth=args.max_depth, seconds=args.time_limit,
                    timeout=args.timeout)
    with tqdm(total=args.max_pages, desc="crawl", unit="page", file=sys.stderr, dynamic_ncols=True) as bar:
        def progress(url: str) -> None:
            bar.set_postfix_str(url[-60:])
            bar.update(1)

        crawl = crawl_rendered if args.render else crawl_static
        result = crawl(args.url, limits, progress)
    for problem in result.problems:
        print(f"  {problem.url}: {problem.what}", file=sys.stderr)
    if result.skipped:
        print("  not followed: " + ", ".join(f"{n} {why}" for why, n in sorted(result.skipped.items())),
              file=sys.stderr)
    if result.stopped:
        print(f"  stopped early: {result.stopped}", file=sys.stderr)
    if not result.pages:
        print(f"voicetour: crawl of {args.url} found no HTML page; nothing written", file=sys.stderr)
        return 1
    site = build_site(result, name=args.name)
    Path(args.out).write_text(json.dumps(site, indent=1, ensure_ascii=False) + "\n")
    summary = summarize(site)
    unknown = ", ".join(f"{w} ({how})" for w, how in sorted(summary.unknown_words.items())) or "none"
    print(f"{args.out}: {site['name']}: {summary.pages} pages, {summary.elements} elements; "
          f"{len(result.problems)} problems; words the recognizer did not know, and how they are pronounced: "
          f"{unknown}")
    return 0


def cmd_serve(args: argparse.Namespace, demo: bool = False) -> int:
    import uvicorn

    from voicetour.server.app import create_app
    from voicetour.site.model import load_site

    site = load_site(args.site or demo_site_path())
    app_dir: Path | None = None
    if getattr(args, "app_dir", None):
        app_dir = Path(args.app_dir)
    elif demo or not args.site:
        app_dir = demo_app_dir()
    if app_dir is not None and not app_dir.is_dir():
        raise VoicetourError(f"--app-dir {app_dir}: not a folder")
    certfile, keyfile = getattr(args, "tls_cert", None), getattr(args, "tls_key", None)
    if bool(certfile) != bool(keyfile):
        raise UsageError("--tls-cert and --tls-key go together")
    for given in (certfile, keyfile):
        if given and not Path(given).is_file():
            raise UsageError(f"{given}: no such file")
    app = create_app(site, app_dir=app_dir, admin_key=os.environ.get("VOICETOUR_ADMIN_KEY") or None,
                     max_sessions=getattr(args, "max_sessions", None),
                     allowed_origins=tuple(getattr(args, "allow_origin", None) or ()),
                     connects_per_minute=getattr(args, "connects_per_minute", CONNECTS_PER_MINUTE),
                     transcripts=not getattr(args, "no_transcripts", False),
                     park_seconds=getattr(args, "park_seconds", PARK_SECONDS))
    scheme = "https" if certfile else "http"
    print(f"voicetour: {site.name} tour on {scheme}://{args.host}:{args.port}/voicetour/  (Ctrl-C to stop)",
          flush=True)
    if not os.environ.get("VOICETOUR_ADMIN_KEY"):
        print(f"voicetour: traces: curl -H 'Authorization: Bearer {app.state.admin_key}' "
              f"{scheme}://{args.host}:{args.port}/voicetour/trace  (set VOICETOUR_ADMIN_KEY to choose the key)",
              flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws_max_size=1 << 16,
                ssl_certfile=certfile, ssl_keyfile=keyfile)
    return 0


CORES_PER_PROCESS = 2
"""One server process already uses two cores when it matters (whisper decodes outside the GIL
beside the frames): on this 2-core machine two processes carried four prospects worse than one
did (voice-to-action p95 1018 and 1024 ms against 386; docs/deploy.md)."""


def cmd_cluster(args: argparse.Namespace) -> int:
    import secrets
    import signal
    import tempfile
    import time

    from voicetour.server.cluster import config, running_cluster
    from voicetour.server.parking import SESSIONS_PER_CORE

    processes = args.processes or max(1, (os.cpu_count() or 1) // CORES_PER_PROCESS)
    if args.print_config:
        print(config(args.port, [(f"n{i}", 8000 + i) for i in range(1, processes + 1)], args.host, args.tls_pem),
              end="")
        return 0
    serve = ["--site", args.site or str(demo_site_path())]
    if args.app_dir or not args.site:
        serve += ["--app-dir", args.app_dir or str(demo_app_dir())]
    # The machine's capacity, shared by its processes (each would otherwise admit the whole of it).
    share = args.max_sessions or max(1, int(SESSIONS_PER_CORE * (os.cpu_count() or 1) / processes))
    serve += ["--max-sessions", str(share)]
    serve += ["--connects-per-minute", "0"]  # every visitor comes from HAProxy's address: it limits them (haproxy.cfg)
    for origin in args.allow_origin or ():
        serve += ["--allow-origin", origin]
    key = os.environ.get("VOICETOUR_ADMIN_KEY") or secrets.token_urlsafe(24)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the processes and HAProxy too
    logs = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="voicetour-cluster-"))
    if args.tls_pem and not Path(args.tls_pem).is_file():
        raise UsageError(f"--tls-pem {args.tls_pem}: no such file")
    with running_cluster(serve, processes, logs, port=args.port, host=args.host,
                         env={"VOICETOUR_ADMIN_KEY": key}, tls_pem=args.tls_pem) as cluster:
        print(f"voicetour: {processes} server processes behind HAProxy: {cluster.url}/voicetour/  (Ctrl-C to stop)\n"
              f"voicetour: processes on ports {', '.join(str(n.port) for n in cluster.nodes)}; logs and haproxy.cfg in "
              f"{logs}", flush=True)
        if not os.environ.get("VOICETOUR_ADMIN_KEY"):
            print(f"voicetour: admin key (traces, on each process): {key}", flush=True)
        stopped: set[str] = set()
        try:
            while cluster.balancer.poll() is None:
                for node in cluster.nodes:
                    if node.process.poll() is not None and node.name not in stopped:
                        print(f"voicetour: process {node.name} (port {node.port}) stopped: see {logs}/{node.name}.log",
                              file=sys.stderr, flush=True)
                        stopped.add(node.name)
                time.sleep(1)
        except KeyboardInterrupt:
            pass
    return 0


def cmd_replies(args: argparse.Namespace) -> int:
    from voicetour.intent.naming import targets_of
    from voicetour.session.reply import reply_for
    from voicetour.site.model import load_site

    for target in targets_of(load_site(args.site)):
        if target.selector is None or args.elements:
            what = target.url if target.selector is None else f"{target.url} {target.label!r}"
            print(f"{what}: {reply_for(target)}")
    return 0


def cmd_looks(args: argparse.Namespace) -> int:
    from voicetour.bench.looks import compare
    from voicetour.site.model import load_site

    site = load_site(args.site)
    direct = args.direct or site.base_url
    if not direct:
        raise UsageError(f"{args.site} has no base_url: give the product's own address with --direct")
    looks = sorted(compare(site, args.tour, direct, Path(args.out) if args.out else None,
                           recheck_above=args.max_difference), key=lambda x: -x.excess)
    print("page                         tour   own    (mean pixel difference, 0-255; worst first)")
    for look in looks:
        own = "-" if look.own is None else f"{look.own:.2f}"
        tour = look.error or f"{look.tour:.2f}"
        print(f"{look.url[:28]:28} {tour:6} {own:6}")
    bad = [look for look in looks if look.excess > args.max_difference]
    print(f"{len(looks) - len(bad)} of {len(looks)} pages look like themselves in the tour "
          f"(at most {args.max_difference} above their own level)")
    return 1 if bad else 0


def _tls_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS and wss with this certificate (chain) file; "
                                                     "browsers open the microphone only on https or localhost")
    p.add_argument("--tls-key", metavar="PEM", help="...and its private key")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="voicetour", description="Voice tours of web apps.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="serve the bundled demo app with its voice tour")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--host", default="127.0.0.1")
    _tls_options(d)
    d.set_defaults(func=lambda a: cmd_serve(a, demo=True), site=None)
    s = sub.add_parser("serve", help="serve a voice tour for a product described by a site file")
    s.add_argument("--site", required=True, help="site.json")
    s.add_argument("--app-dir", help="serve the product from this folder (else it is proxied from base_url)")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--allow-origin", action="append", metavar="URL",
                   help="another site whose pages carry the embed snippet (repeatable; the site's base_url and "
                        "voicetour's own origin are always allowed)")
    s.add_argument("--max-sessions", type=int, help="open conversations at once; more are told the tour is busy "
                                                    "(default: 1.5 per core, measured: 3 on 2 cores)")
    s.add_argument("--connects-per-minute", type=int, default=CONNECTS_PER_MINUTE,
                   help="conversations one client address may open a minute; more are told to wait "
                        f"(default {CONNECTS_PER_MINUTE}; 0: no limit; behind a load balancer, limit there: "
                        "docs/security.md)")
    s.add_argument("--park-seconds", type=float, default=PARK_SECONDS,
                   help=f"how long a closed conversation is kept for its visitor to resume (default {PARK_SECONDS}; "
                        "each holds a recognizer, ~13.5 MB, at most 2 per --max-sessions)")
    s.add_argument("--no-transcripts", action="store_true",
                   help="keep what visitors say out of the traces (/voicetour/trace): timings and pages only")
    _tls_options(s)
    s.set_defaults(func=cmd_serve)
    cl = sub.add_parser("cluster", help="several server processes behind HAProxy on one address (every core)")
    cl.add_argument("--processes", type=int, help="server processes (default: one per two cores: docs/deploy.md)")
    cl.add_argument("--site", help="site.json (default: the bundled demo app)")
    cl.add_argument("--app-dir", help="serve the product from this folder (else it is proxied from base_url)")
    cl.add_argument("--port", type=int, default=8000, help="where HAProxy listens")
    cl.add_argument("--host", default="127.0.0.1")
    cl.add_argument("--max-sessions", type=int,
                    help="open conversations per process (default: its share of 1.5 per core of the machine)")
    cl.add_argument("--allow-origin", action="append", metavar="URL", help="as for serve")
    cl.add_argument("--tls-pem", metavar="PEM", help="HTTPS and wss at the balancer: the certificate chain and its "
                                                     "private key in one PEM file (TLS ends at HAProxy)")
    cl.add_argument("--logs", help="folder for the processes' logs and haproxy.cfg (default: a new temporary one)")
    cl.add_argument("--print-config", action="store_true",
                    help="print the HAProxy configuration (processes on ports 8001, 8002, ...) and stop")
    cl.set_defaults(func=cmd_cluster)
    m = sub.add_parser("simulate", help="run the core over WAV files")
    m.add_argument("--site", help="site.json (default: the bundled demo)")
    m.add_argument("audio", nargs="+", help="WAV files (any rate or channel count)")
    m.add_argument("--json", action="store_true", help="one JSON object per line per file")
    m.add_argument("--realtime", action="store_true", help="feed audio at real speed")
    m.add_argument("--start", help="the page open when the audio starts (default: none)")
    m.add_argument("--trace", metavar="OUT.json", help="write a Chrome trace-event file (opens in Perfetto)")
    m.set_defaults(func=cmd_simulate)
    e = sub.add_parser("evaluate", help="score a labelled corpus (a folder with index.json and WAVs)")
    e.add_argument("corpus", help="folder with index.json (e.g. tests/fixtures/speech), or a folder of WAVs that "
                   "must not navigate (e.g. ../shared/realspeech/wake_words), scored per subfolder")
    e.add_argument("--site", help="site.json (default: the bundled demo)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)
    c = sub.add_parser("crawl", help="crawl a product (same origin) and write its site file")
    c.add_argument("url", help="where to start, e.g. http://127.0.0.1:8123/")
    c.add_argument("--out", required=True, help="site.json to write")
    c.add_argument("--max-pages", type=int, default=200,
                   help="stop after this many pages (default 200: AdminLTE 3 has 67, AdminBSB 61)")
    c.add_argument("--max-depth", type=int, default=5)
    c.add_argument("--time-limit", type=float, default=120.0, help="seconds for the whole crawl")
    c.add_argument("--timeout", type=float, default=10.0, help="seconds for one page")
    c.add_argument("--render", action="store_true", help="render with chromium (JavaScript apps, SPAs)")
    c.add_argument("--name", help="the product's name (default: from the pages' titles)")
    c.set_defaults(func=cmd_crawl)
    b = sub.add_parser("bench", help="streaming vs the sequential baseline on a synthesised corpus; load sweeps")
    b.add_argument("--quick", action="store_true", help="3 voices, one noise level per file (a few minutes)")
    b.add_argument("--out", default="bench-out", help="folder for report.json, report.md and plots")
    b.add_argument("--corpus", help="reuse (or build into) this corpus folder instead of OUT/corpus")
    b.add_argument("--realtime", action="store_true", help="feed the streaming core at real speed (slower)")
    b.add_argument("--browser", action="store_true", help="each utterance as the microphone of headless chromium: "
                   "voice-to-visible, pre-render hit rate (added to OUT/report.json)")
    b.add_argument("--embed", metavar="DIR", help="the embed snippet on a product's own pages, by voice: serve DIR's "
                   "pages with the tag added, speak --corpus's requests to them in chromium (needs --site, --corpus)")
    b.add_argument("--start", default="/index.html", help="with --embed: the page each request starts on")
    b.add_argument("--sessions", help="load sweep instead: N live WebSocket sessions, e.g. 1,10,50,100")
    b.add_argument("--think", type=float, metavar="S",
                   help="with --sessions: how long a prospect looks at the page before the next request "
                        "(seconds; default bench.load.THINK_S, 4)")
    b.add_argument("--processes", type=int, default=1,
                   help="with --sessions: this many server processes behind HAProxy (voicetour cluster)")
    b.add_argument("--max-sessions", type=int,
                   help="with --sessions: each process's capacity (default: unlimited, to measure past it)")
    b.add_argument("--flame", metavar="OUT.svg", help="with --sessions: record the server with py-spy "
                   "(flame graph SVG; a .json name writes speedscope)")
    b.add_argument("--soak", type=float, metavar="SECONDS",
                   help="soak instead: one server process, prospects speaking at its capacity (--max-sessions, "
                        "default 3) and hostile clients, for this long; memory, descriptors and tasks sampled "
                        "(OUT/soak.md, soak.png)")
    b.add_argument("--site", help="site.json (default: the bundled demo; the corpus phrases are the demo's)")
    b.add_argument("--cpu-load", type=int, default=0, metavar="N",
                   help="keep N cores busy with other processes while measuring (a shared machine)")
    b.set_defaults(func=cmd_bench)
    r = sub.add_parser("replies", help="what the agent says on arriving at each page of a site")
    r.add_argument("--site", required=True, help="site.json")
    r.add_argument("--elements", action="store_true", help="and at each element it can point at")
    r.set_defaults(func=cmd_replies)
    lk = sub.add_parser("looks", help="screenshot every page inside a running tour and opened directly, and "
                        "compare them (does the product look like itself in the tour?)")
    lk.add_argument("--site", required=True, help="site.json the tour serves")
    lk.add_argument("--tour", required=True, help="the running voicetour server, e.g. http://127.0.0.1:8000")
    lk.add_argument("--direct", help="the product's own origin (default: the site's base_url)")
    lk.add_argument("--out", help="folder for the screenshots (tour, direct, direct-again per page)")
    lk.add_argument("--max-difference", type=float, default=2.0,
                    help="mean pixel difference (0-255) allowed above the page's own level (default 2)")
    lk.set_defaults(func=cmd_looks)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except VoicetourError as exc:
        print(f"voicetour: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
