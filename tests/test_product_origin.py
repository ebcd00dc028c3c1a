"""A product whose pages name their own origin in full (``http://product/assets/app.css``, a
``fetch()`` to ``http://product/api/...``, a font, a link), shown through `voicetour serve`'s
proxy in headless Chromium: everything loads from voicetour's origin, as the root-relative URLs
do, and a link keeps the frame there. Real parts: a product server and voicetour on 127.0.0.1,
Debian's chromium."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from voicetour.server.app import create_app
from voicetour.session.engine import Engine
from voicetour.site.model import parse_site

from .conftest import free_port, running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FONT = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html><head><title>Home</title>
<link rel="stylesheet" href="{origin}/assets/app.css"></head>
<body><h1>Home</h1><p id="api">waiting</p><p id="font">waiting</p>
<a id="second" href="{origin}/app/second.html">Second</a>
<script>
fetch("{origin}/api/data").then((r) => r.json()).then((d) => {{ api.textContent = d.said; }},
                                                      (e) => {{ api.textContent = "failed: " + e; }});
document.fonts.load("16px ProductFont").then((f) => {{ font.textContent = f.length ? "loaded" : "missing"; }});
</script></body></html>"""


def product(origin: str) -> Starlette:
    """The product on its own origin: pages that write that origin in full."""
    async def css(request: Request) -> Response:
        face = f"@font-face {{ font-family: ProductFont; src: url({origin}/assets/font.ttf); }}"
        return Response(face + "\nh1 { color: rgb(1, 2, 3); font-family: ProductFont; }", media_type="text/css")

    return Starlette(routes=[
        Route("/app/index.html", lambda r: HTMLResponse(PAGE.format(origin=origin))),
        Route("/app/second.html", lambda r: HTMLResponse("<!doctype html><title>Second</title><h1>Second</h1>")),
        Route("/assets/app.css", css),
        Route("/assets/font.ttf", lambda r: FileResponse(FONT, media_type="font/ttf")),
        Route("/api/data", lambda r: JSONResponse({"said": "from the product's API"})),
    ])


@pytest.fixture(scope="module")
def tour_url() -> Iterator[str]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    site = parse_site({"version": 1, "name": "Absolute", "base_url": origin + "/app/", "pages": [
        {"id": "home", "url": "/index.html", "title": "Home"},
        {"id": "second", "url": "/second.html", "title": "Second"}]})
    app = create_app(site, engine=Engine.for_site(site, verify=False))
    with running(product(origin), port=port), running(app) as ours:
        yield f"http://127.0.0.1:{ours}/voicetour/"


def test_a_products_absolute_urls_load_from_voicetours_origin(tour_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is required: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    silence = tmp_path / "silence.wav"
    subprocess.run(["sox", "-n", "-r", "48000", "-c", "1", "-b", "16", str(silence), "trim", "0", "2"], check=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={silence}", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(tour_url)
            frame = "document.getElementById('product')"
            page.wait_for_function(f"() => ['font', 'api'].every(id => ({frame}.contentDocument?.getElementById(id)"
                                   "?.textContent || 'waiting') !== 'waiting')", timeout=20_000)
            doc = f"{frame}.contentDocument"
            assert page.evaluate(f"{doc}.getElementById('api').textContent") == "from the product's API"
            assert page.evaluate(f"{doc}.getElementById('font').textContent") == "loaded"
            assert page.evaluate(f"getComputedStyle({doc}.querySelector('h1')).color") == "rgb(1, 2, 3)"
            assert page.evaluate(f"{frame}.contentWindow.location.pathname") == "/app/index.html"
            page.evaluate(f"{doc}.getElementById('second').click()")
            page.wait_for_function(f"() => {frame}.contentDocument?.title === 'Second'", timeout=10_000)
            here = page.evaluate(f"{frame}.contentWindow.location.href")  # readable: still this origin
            assert here == tour_url.replace("/voicetour/", "/app/second.html")
            page.wait_for_function("() => window.voicetourLog.some(m => m.type === 'ready')", timeout=10_000)
        finally:
            browser.close()
