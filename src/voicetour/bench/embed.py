"""`voicetour bench --embed DIR`: the embed snippet on a real product, by voice, in headless Chromium.

The product's pages (a folder, e.g. sneat from npm) are served on 127.0.0.1 with the one tag
added before ``</body>`` (as a product team adds it to its template); a voicetour server for the
crawled site takes sessions from that origin. Each labelled request is the microphone of a fresh
Chromium on the start page: the mic is turned on, the snippet goes to the page (a full load), the
new page resumes the session and reports the page visible. Voice-to-visible is the server's:
the arrival of that report − the arrival of the last voiced audio (the ``voice_to_visible``
metric the server sends the page), so it spans the page load and the resume.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

from voicetour.bench import corpus as corpus_mod
from voicetour.bench.browser import FAKE_MIC_ARGS, _mic_file
from voicetour.bench.report import _pct
from voicetour.crawl.render import CHROMIUM_ARGS, chromium_path
from voicetour.server import PREFIX
from voicetour.server.local import free_port, running
from voicetour.site.model import Site

TURN_TIMEOUT_S = 12.0
VISIBLE = "() => (window.voicetourEmbed && window.voicetourEmbed.log || []).some(" \
          "m => m.type === 'metric' && m.name === 'voice_to_visible')"


def _tagged(folder: Path, voicetour: str, name: str) -> Any:
    """The product's own files, each HTML page with the snippet's tag before ``</body>``."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route
    from starlette.staticfiles import StaticFiles

    files = StaticFiles(directory=folder, html=True)
    tag = f'<script src="{voicetour}{PREFIX}/static/voicetour.js" data-site="{name}" async></script>'

    async def page(request: Request) -> Response:
        path = (folder / request.path_params["path"]).resolve()
        if path.suffix == ".html" and path.is_file() and folder.resolve() in path.parents:
            return HTMLResponse(path.read_text(errors="replace").replace("</body>", tag + "</body>"))
        return await files.get_response(request.path_params["path"], request.scope)

    return Starlette(routes=[Route("/{path:path}", page)])


def _speak(pw: Any, wav: Path, url: str) -> tuple[str, float | None, list[str]]:
    """One request: Chromium with ``wav`` as its microphone on ``url``, the mic turned on; where it
    ended, the server's voice-to-visible, and every address the tab went to."""
    browser = pw.chromium.launch(executable_path=chromium_path(),
                                 args=[*CHROMIUM_ARGS, *FAKE_MIC_ARGS, f"--use-file-for-fake-audio-capture={wav}"])
    try:
        page = browser.new_page()
        visited: list[str] = []
        page.on("framenavigated", lambda f: visited.append(f.url) if f == page.main_frame else None)
        page.goto(url)
        page.click("#voicetour-embed >> #mic")
        v2v = None
        with contextlib.suppress(Exception):  # nothing shown in time is a result, not a crash
            page.wait_for_function(VISIBLE, timeout=TURN_TIMEOUT_S * 1000)
            v2v = page.evaluate("window.voicetourEmbed.log.filter(m => m.type === 'metric' && "
                                "m.name === 'voice_to_visible').map(m => m.value_ms)[0]")
        return str(page.evaluate("location.pathname")), v2v, visited
    finally:
        browser.close()


def embed_bench(site: Site, folder: Path, speech: Path, start: str, quick: bool) -> dict[str, Any]:
    """Speak every request of ``speech`` (a labelled corpus for ``site``) to ``folder``'s pages."""
    from playwright.sync_api import sync_playwright

    from voicetour.server.app import create_app

    items = [i for i in corpus_mod.load(speech) if i.kind in ("request", "task") and i.page]
    if quick:
        items = [i for i in items if i.voice == items[0].voice]
    product_port, voicetour_port = free_port(), free_port()
    product = f"http://127.0.0.1:{product_port}"
    voicetour = f"http://127.0.0.1:{voicetour_port}"
    rows: list[dict[str, Any]] = []
    app = create_app(site, allowed_origins=(product,))
    with running(app, voicetour_port), running(_tagged(folder, voicetour, site.name), product_port), \
            sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        for item in items:
            wav = Path(tmp) / "mic.wav"
            _mic_file(speech / item.file, wav)
            path, v2v, visited = _speak(pw, wav, product + start)
            expected = site.page(item.page).url if item.page and not item.page.startswith("/") else item.page
            shown = {v.split(product, 1)[-1].split("?")[0] for v in visited[1:]}
            rows.append({"file": item.file, "text": item.text, "expected": expected, "ended_on": path,
                         "ok": path == expected, "wrong_shown": bool(shown - {expected, start}), "v2v_ms": v2v})
            print(f"embed: {item.file} {item.text!r}: {path} ({'right' if path == expected else 'wrong'}), "
                  f"voice-to-visible {v2v} ms", file=sys.stderr, flush=True)
    lat = [r["v2v_ms"] for r in rows if r["v2v_ms"] is not None and r["ok"]]
    return {"n": len(rows), "accuracy": round(sum(r["ok"] for r in rows) / len(rows), 3) if rows else None,
            "wrong_page_shown": sum(r["wrong_shown"] for r in rows),
            "voice_to_visible_ms": {"p50": _pct(lat, 50), "p95": _pct(lat, 95), "n": len(lat)}, "rows": rows}
