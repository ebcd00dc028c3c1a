"""End to end in headless Chromium: a WAV file is the microphone; the demo app must end on the
right page with the element highlighted. Needs Debian's chromium (/usr/bin/chromium)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from voicetour.cli import demo_app_dir
from voicetour.server.app import create_app

from .conftest import SPEECH, running

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_url(site, engine):  # type: ignore[no-untyped-def]
    with running(create_app(site, app_dir=demo_app_dir(), engine=engine)) as port:
        yield f"http://127.0.0.1:{port}/voicetour/"


def mic_wav(tmp_path: Path, name: str) -> Path:
    """The fixture with 1 s of silence before and 3 s after (Chromium loops the file)."""
    out = tmp_path / f"mic-{name}"
    subprocess.run(["sox", str(SPEECH / name), "-r", "48000", "-c", "1", "-b", "16", str(out), "pad", "1", "3"],
                   check=True)
    return out


def test_spoken_request_navigates_and_highlights(server_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is required: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    wav = mic_wav(tmp_path, "piper-02.wav")  # "how do I invite a teammate"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-audio-capture={wav}", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            page = browser.new_page()
            page.goto(server_url)
            page.wait_for_function(
                "() => { const f = document.getElementById('product');"
                " return f.contentWindow.location.pathname === '/team.html'"
                " && f.contentDocument.querySelector('#invite.voicetour-highlight') !== null; }",
                timeout=30_000,
            )
            page.wait_for_function("() => window.voicetourLog.some(m => m.type === 'say')", timeout=15_000)
            log = page.evaluate("window.voicetourLog")
            finals = [m for m in log if m["type"] == "final"]
            assert finals, log
            assert not [m for m in log if m["type"] == "navigate" and m["url"] != "/team.html"]
            assert page.locator("#reply").inner_text().startswith("To invite")
            # The page reported when the new page was painted; the server turned it into a metric, and
            # the debug panel draws the turn's waterfall from the server's trace message.
            page.wait_for_function(
                "() => window.voicetourLog.some(m => m.type === 'metric' && m.name === 'voice_to_visible')",
                timeout=15_000)
            # The page came out of a hidden, pre-rendered frame: revealed, not loaded.
            visible = page.evaluate("window.voicetourVisible")
            team = [v for v in visible if v["url"] == "/team.html" and "turn" in v]
            assert team and team[0]["prerendered"] is True, visible
            assert page.evaluate("document.querySelectorAll('#stage iframe.live').length") == 1
            page.click("#debug-toggle")
            rows = page.locator("#debug .turn .row .name").all_inner_texts()
            assert {"voice activity", "recognize", "navigate (early)"} <= set(rows) or \
                {"voice activity", "recognize", "navigate"} <= set(rows), rows
            assert "voice_to_visible" in page.locator("#debug .turn-metrics").first.inner_text()
        finally:
            browser.close()


def test_a_spare_still_loading_is_revealed_and_loads_are_capped(server_url) -> None:  # type: ignore[no-untyped-def]
    """frames.js on its own: five pages to pre-render start two loads (MAX_LOADING), and a page
    asked for while its spare is still loading is revealed from it, not loaded again."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.goto(server_url + "static/tour.css")  # any page of the server's origin: frames are same-origin
            page.set_content('<main id="stage"><iframe id="product" src="about:blank"></iframe></main>')
            page.add_script_tag(url=server_url + "static/frames.js")
            result = page.evaluate("""() => new Promise((resolve) => {
              const stage = document.getElementById("stage");
              const frames = window.VoicetourFrames(stage, (u) => u, (p) => p, (url, prerendered, ready) =>
                resolve({url, prerendered, ready, revealed, started,
                         path: document.getElementById("product").contentWindow.location.pathname}), () => {});
              frames.prerender(["/billing.html", "/team.html", "/settings.html", "/reports.html", "/projects.html"]);
              const started = stage.querySelectorAll("iframe.spare").length;
              const revealed = frames.show("/team.html");  // at once: its spare has not loaded yet
            })""")
            assert result["started"] == 2, result
            assert result["revealed"] is True and result["prerendered"] is True and result["ready"] is False, result
            assert result["url"] == "/team.html" and result["path"] == "/team.html", result
        finally:
            browser.close()


def test_no_microphone_offers_the_text_box(server_url) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                           "--deny-permission-prompts"])
        try:
            context = browser.new_context(permissions=[])
            page = context.new_page()
            page.goto(server_url)
            page.wait_for_selector("#notice:not([hidden])", timeout=15_000)
            assert "Type your request" in page.locator("#notice").inner_text()
            page.fill("#ask-text", "show me billing")
            page.press("#ask-text", "Enter")
            page.wait_for_function(
                "() => document.getElementById('product').contentWindow.location.pathname === '/billing.html'",
                timeout=15_000,
            )
        finally:
            browser.close()


def test_when_the_tour_is_full_the_typed_box_still_answers(site, engine) -> None:  # type: ignore[no-untyped-def]
    """Past capacity a new visitor is told the tour is busy, and what they type is answered on its
    own (POST /voicetour/ask): it navigates and highlights like a conversation would."""
    import asyncio

    import websockets
    from playwright.sync_api import sync_playwright

    app = create_app(site, app_dir=demo_app_dir(), engine=engine, max_sessions=1)
    with running(app) as port:
        async def hold(until: asyncio.Event) -> None:  # someone else's conversation takes the only place
            async with websockets.connect(f"ws://127.0.0.1:{port}/voicetour/ws") as ws:
                await ws.recv()
                await until.wait()

        import threading

        loop = asyncio.new_event_loop()
        done = asyncio.Event()
        holder = threading.Thread(target=lambda: loop.run_until_complete(hold(done)), daemon=True)
        holder.start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu",
                                                                             "--deny-permission-prompts"])
                try:
                    page = browser.new_context(permissions=[]).new_page()
                    page.goto(f"http://127.0.0.1:{port}/voicetour/")
                    page.wait_for_function(
                        "() => window.voicetourLog.some(m => m.type === 'error' && m.code === 'busy')", timeout=15_000)
                    page.wait_for_function("() => document.getElementById('state').textContent === 'busy'",
                                           timeout=15_000)
                    page.fill("#ask-text", "how do I invite a teammate")
                    page.press("#ask-text", "Enter")
                    page.wait_for_function(
                        "() => document.getElementById('product').contentWindow.location.pathname === '/team.html'",
                        timeout=15_000)
                    page.wait_for_function("() => document.getElementById('product').contentDocument"
                                           ".querySelector('#invite.voicetour-highlight')", timeout=15_000)
                finally:
                    browser.close()
        finally:
            loop.call_soon_threadsafe(done.set)
            holder.join(timeout=10)
