"""The `voicetour` command: what each subcommand does (its options: ``options.py``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from importlib import resources
from pathlib import Path

from voicetour import options
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

    report = evaluate(_engine(args.site), Path(args.corpus), lean=args.lean)
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
              max_sessions=args.max_sessions or 100_000, full_sessions=args.full_sessions)
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
                     full_sessions=getattr(args, "full_sessions", None),
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
    if args.full_sessions is not None:
        serve += ["--full-sessions", str(args.full_sessions)]
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


COMMANDS: dict[str, options.Command] = {
    "demo": lambda args: cmd_serve(args, demo=True), "serve": cmd_serve, "cluster": cmd_cluster,
    "simulate": cmd_simulate, "evaluate": cmd_evaluate, "crawl": cmd_crawl, "bench": cmd_bench,
    "replies": cmd_replies, "looks": cmd_looks,
}


def main(argv: list[str] | None = None) -> int:
    args = options.parser(COMMANDS).parse_args(argv)
    try:
        return int(args.func(args))
    except VoicetourError as exc:
        print(f"voicetour: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
