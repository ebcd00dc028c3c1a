"""The embed snippet (static/voicetour.js) on a product's own pages, in headless Chromium:
a multi-page app (full page loads: the session resumes, the microphone reopens) and a single-page
app (the snippet clicks the app's own link; no reload)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route

from voicetour.cli import demo_app_dir
from voicetour.server.app import create_app
from voicetour.session.engine import Engine
from voicetour.site.model import parse_site

from .conftest import free_port, running
from .sites import SITES, nimbus_app
from .test_browser import CHROMIUM, mic_wav

pytestmark = pytest.mark.browser
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--autoplay-policy=no-user-gesture-required"]


def with_snippet(html: str, voicetour: str, site: str) -> str:
    tag = f'<script src="{voicetour}/voicetour/static/voicetour.js" data-site="{site}" async></script>'
    return html.replace("</body>", tag + "</body>")


def demo_product(voicetour: str) -> Starlette:
    """The demo app as its own product on its own origin, each page carrying the snippet."""
    async def page(request: Request) -> Response:
        name = request.path_params.get("name") or "index.html"
        path = demo_app_dir() / name
        if path.suffix == ".css":
            return Response(path.read_text(), media_type="text/css")
        return HTMLResponse(with_snippet(path.read_text(), voicetour, "Acme Cloud"))

    return Starlette(routes=[Route("/", page), Route("/{name}", page)])


PRODUCT_PORT = free_port()  # the demo product's origin, which the tour server is told to take sessions from


@pytest.fixture(scope="module")
def voicetour_url(site, engine):  # type: ignore[no-untyped-def]
    app = create_app(site, app_dir=demo_app_dir(), engine=engine,
                     allowed_origins=(f"http://127.0.0.1:{PRODUCT_PORT}",))
    with running(app) as port:
        yield f"http://127.0.0.1:{port}"


def test_multi_page_app_spoken_to_through_the_snippet(voicetour_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is required: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    wav = mic_wav(tmp_path, "piper-02.wav")  # "how do I invite a teammate"
    with running(demo_product(voicetour_url), port=PRODUCT_PORT) as port, sync_playwright() as pw:
        product = f"http://127.0.0.1:{port}"
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            *ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"])
        try:
            page = browser.new_page()
            page.goto(product + "/index.html")
            page.click("#voicetour-embed >> #mic")  # the user turns the microphone on once
            # A full page load to the right page, the element highlighted there.
            page.wait_for_url(product + "/team.html", timeout=30_000)
            page.wait_for_selector("#invite.voicetour-highlight", timeout=15_000)
            # On the new page: the same conversation, the microphone reopened without a click.
            page.wait_for_function("() => window.voicetourEmbed && window.voicetourEmbed.log.some("
                                   "m => m.type === 'ready' && m.resumed)", timeout=15_000)
            page.wait_for_function("() => window.voicetourEmbed.log.some(m => m.sent && m.sent.url === "
                                   "'/team.html')", timeout=15_000)
            assert page.locator("#voicetour-embed >> #mic").inner_text() == "Listening"
            page.wait_for_function("() => document.querySelector('#voicetour-embed').shadowRoot"
                                   ".getElementById('reply').textContent.startsWith('To invite')", timeout=15_000)
        finally:
            browser.close()


def test_single_page_app_navigates_by_its_own_router(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    from voicetour.crawl.build import build_site
    from voicetour.crawl.render import crawl_rendered

    with running(nimbus_app()) as spa_port:
        site_raw = build_site(crawl_rendered(f"http://127.0.0.1:{spa_port}/"))
    site = parse_site(site_raw)
    engine = Engine.for_site(site, verify=False)
    shell_port = free_port()
    with running(create_app(site, engine=engine, allowed_origins=(f"http://127.0.0.1:{shell_port}",))) as vt_port:
        voicetour = f"http://127.0.0.1:{vt_port}"
        index = (SITES / "nimbus" / "index.html").read_text()

        async def shell(request: Request) -> Response:
            return HTMLResponse(with_snippet(index, voicetour, site.name))

        spa = nimbus_app()
        spa.router.routes.insert(0, Route("/", shell))
        with running(spa, port=shell_port) as port, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.evaluate("window.__sameDocument = true")
                page.wait_for_function("() => window.voicetourEmbed && window.voicetourEmbed.log.some("
                                       "m => m.type === 'ready')", timeout=15_000)
                page.fill("#voicetour-embed >> #text", "how do I invite an agent")
                page.press("#voicetour-embed >> #text", "Enter")
                page.wait_for_url(f"http://127.0.0.1:{port}/settings/team", timeout=15_000)
                page.wait_for_selector("#invite-agent.voicetour-highlight", timeout=15_000)
                assert page.evaluate("window.__sameDocument") is True  # the router did it: no reload
                sent = page.evaluate("window.voicetourEmbed.log.filter(m => m.sent).map(m => m.sent)")
                assert any(s["url"] == "/settings/team" for s in sent), json.dumps(sent)
            finally:
                browser.close()


SPECULATION_SEEN = """new MutationObserver((changes) => { for (const c of changes) for (const n of c.addedNodes)
  if (n.type === 'speculationrules') sessionStorage.setItem('rules-seen', n.textContent); })
  .observe(document, {childList: true, subtree: true});"""


@pytest.mark.slow
def test_a_real_app_with_the_tag_in_its_template_by_voice(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """sneat from npm, each page carrying the one tag (as a product team adds it to its template),
    spoken to: the page is reached by a full load, speculation rules were offered for the likely
    pages, and the conversation resumes there with the microphone on."""
    from playwright.sync_api import sync_playwright
    from starlette.staticfiles import StaticFiles

    from voicetour.crawl.build import build_site
    from voicetour.crawl.fetch import crawl_static

    folder = Path(__file__).resolve().parent.parent / ".cache" / "apps" / "sneat-bootstrap-html-admin-template-free"
    assert (folder / "package.json").exists(), f"{folder} is missing: run scripts/setup.sh (it fetches it from npm)"
    speech = Path(__file__).resolve().parent / "fixtures" / "apps" / "sneat-speech"
    asked = next(i for i in json.loads((speech / "index.json").read_text()) if i["file"] == "piper-29.wav")
    assert asked["text"] == "how do I deactivate my account"
    files = StaticFiles(directory=folder, html=True)
    with running(Starlette(routes=[Mount("/", files)])) as plain:
        site = parse_site(build_site(crawl_static(f"http://127.0.0.1:{plain}/html/index.html")))
    tagged_port = free_port()
    with running(create_app(site, engine=Engine.for_site(site),
                            allowed_origins=(f"http://127.0.0.1:{tagged_port}",))) as vt_port:
        voicetour = f"http://127.0.0.1:{vt_port}"

        async def tagged(request: Request) -> Response:
            path = folder / request.path_params["path"]
            if path.suffix == ".html" and path.is_file():
                return HTMLResponse(with_snippet(path.read_text(), voicetour, site.name))
            return await files.get_response(request.path_params["path"], request.scope)

        wav = tmp_path / "mic.wav"  # 1 s of silence before, 3 s after (Chromium loops the file)
        subprocess.run(["sox", str(speech / asked["file"]), "-r", "48000", "-c", "1", "-b", "16", str(wav),
                        "pad", "1", "3"], check=True)
        with running(Starlette(routes=[Route("/{path:path}", tagged)]), port=tagged_port) as port, \
                sync_playwright() as pw:
            product = f"http://127.0.0.1:{port}"
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                *ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}"])
            try:
                page = browser.new_page()
                page.add_init_script(SPECULATION_SEEN)
                page.goto(product + "/html/index.html")
                page.click("#voicetour-embed >> #mic")
                page.wait_for_url(product + asked["page"], timeout=30_000)
                page.wait_for_function("() => window.voicetourEmbed && window.voicetourEmbed.log.some("
                                       "m => m.type === 'ready' && m.resumed)", timeout=15_000)
                assert page.locator("#voicetour-embed >> #mic").inner_text() == "Listening"
                page.wait_for_selector("#formAccountDeactivation.voicetour-highlight", timeout=15_000)  # the control
                reply = page.evaluate("document.querySelector('#voicetour-embed').shadowRoot"
                                      ".getElementById('reply').textContent")
                assert "Deactivate Account" in reply and "Account page" in reply, reply
                rules = json.loads(page.evaluate("sessionStorage.getItem('rules-seen')") or "{}")
                assert rules.get("prerender"), rules  # likely pages were offered for prerendering
                assert page.locator("link[href*='core.css']").count() == 1  # its own template, as it is
            finally:
                browser.close()
