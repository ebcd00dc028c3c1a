"""The `voicetour` command line: its subcommands and options (``cli.py`` carries them out)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping

from voicetour.server.limits import CONNECTS_PER_MINUTE, PARK_SECONDS

Command = Callable[[argparse.Namespace], int]


def _tls_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS and wss with this certificate (chain) file; "
                                                     "browsers open the microphone only on https or localhost")
    p.add_argument("--tls-key", metavar="PEM", help="...and its private key")


def parser(commands: Mapping[str, Command]) -> argparse.ArgumentParser:
    """The command line; ``commands`` carry each subcommand out (``cli.COMMANDS``)."""
    p = argparse.ArgumentParser(prog="voicetour", description="Voice tours of web apps.")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="serve the bundled demo app with its voice tour")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--host", default="127.0.0.1")
    _tls_options(d)
    d.set_defaults(func=commands["demo"], site=None)
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
    s.add_argument("--full-sessions", type=int,
                   help="past this many open conversations, requests are heard lean: whisper alone at the pause, "
                        "no grammar recognizer, no background listens (default: --max-sessions, never lean)")
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
    s.set_defaults(func=commands["serve"])
    cl = sub.add_parser("cluster", help="several server processes behind HAProxy on one address (every core)")
    cl.add_argument("--processes", type=int, help="server processes (default: one per two cores: docs/deploy.md)")
    cl.add_argument("--site", help="site.json (default: the bundled demo app)")
    cl.add_argument("--app-dir", help="serve the product from this folder (else it is proxied from base_url)")
    cl.add_argument("--port", type=int, default=8000, help="where HAProxy listens")
    cl.add_argument("--host", default="127.0.0.1")
    cl.add_argument("--max-sessions", type=int,
                    help="open conversations per process (default: its share of 1.5 per core of the machine)")
    cl.add_argument("--full-sessions", type=int, help="as for serve, per process")
    cl.add_argument("--allow-origin", action="append", metavar="URL", help="as for serve")
    cl.add_argument("--tls-pem", metavar="PEM", help="HTTPS and wss at the balancer: the certificate chain and its "
                                                     "private key in one PEM file (TLS ends at HAProxy)")
    cl.add_argument("--logs", help="folder for the processes' logs and haproxy.cfg (default: a new temporary one)")
    cl.add_argument("--print-config", action="store_true",
                    help="print the HAProxy configuration (processes on ports 8001, 8002, ...) and stop")
    cl.set_defaults(func=commands["cluster"])
    m = sub.add_parser("simulate", help="run the core over WAV files")
    m.add_argument("--site", help="site.json (default: the bundled demo)")
    m.add_argument("audio", nargs="+", help="WAV files (any rate or channel count)")
    m.add_argument("--json", action="store_true", help="one JSON object per line per file")
    m.add_argument("--realtime", action="store_true", help="feed audio at real speed")
    m.add_argument("--start", help="the page open when the audio starts (default: none)")
    m.add_argument("--trace", metavar="OUT.json", help="write a Chrome trace-event file (opens in Perfetto)")
    m.set_defaults(func=commands["simulate"])
    e = sub.add_parser("evaluate", help="score a labelled corpus (a folder with index.json and WAVs)")
    e.add_argument("corpus", help="folder with index.json (e.g. tests/fixtures/speech), or a folder of WAVs that "
                   "must not navigate (e.g. ../shared/realspeech/wake_words), scored per subfolder")
    e.add_argument("--site", help="site.json (default: the bundled demo)")
    e.add_argument("--json", action="store_true")
    e.add_argument("--lean", action="store_true", help="hear every request as a busy server does: whisper alone at "
                   "the pause, no grammar recognizer, no background listens")
    e.set_defaults(func=commands["evaluate"])
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
    c.set_defaults(func=commands["crawl"])
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
    b.add_argument("--full-sessions", type=int,
                   help="with --sessions: each process's --full-sessions (default: never lean)")
    b.add_argument("--flame", metavar="OUT.svg", help="with --sessions: record the server with py-spy "
                   "(flame graph SVG; a .json name writes speedscope)")
    b.add_argument("--soak", type=float, metavar="SECONDS",
                   help="soak instead: one server process, prospects speaking at its capacity (--max-sessions, "
                        "default 3) and hostile clients, for this long; memory, descriptors and tasks sampled "
                        "(OUT/soak.md, soak.png)")
    b.add_argument("--site", help="site.json (default: the bundled demo; the corpus phrases are the demo's)")
    b.add_argument("--cpu-load", type=int, default=0, metavar="N",
                   help="keep N cores busy with other processes while measuring (a shared machine)")
    b.set_defaults(func=commands["bench"])
    r = sub.add_parser("replies", help="what the agent says on arriving at each page of a site")
    r.add_argument("--site", required=True, help="site.json")
    r.add_argument("--elements", action="store_true", help="and at each element it can point at")
    r.set_defaults(func=commands["replies"])
    lk = sub.add_parser("looks", help="screenshot every page inside a running tour and opened directly, and "
                        "compare them (does the product look like itself in the tour?)")
    lk.add_argument("--site", required=True, help="site.json the tour serves")
    lk.add_argument("--tour", required=True, help="the running voicetour server, e.g. http://127.0.0.1:8000")
    lk.add_argument("--direct", help="the product's own origin (default: the site's base_url)")
    lk.add_argument("--out", help="folder for the screenshots (tour, direct, direct-again per page)")
    lk.add_argument("--max-difference", type=float, default=2.0,
                    help="mean pixel difference (0-255) allowed above the page's own level (default 2)")
    lk.set_defaults(func=commands["looks"])
    return p
