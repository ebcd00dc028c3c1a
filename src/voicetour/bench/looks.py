"""`voicetour looks`: does the product look like itself inside the tour?

Every page of the site is opened inside the tour page (its product frame, reached with the tour's
``?page=`` deep link, no highlight) and on its own, in a window the size of that frame. Each is
captured ``settle_s`` after its own load. The difference is the mean absolute difference of the
RGB values over every pixel and channel (0-255; 0 is identical). A page that differs at all is
loaded on its own twice more: the tour is compared with the nearest of the three, and the most
two of them differ is the page's own level (an animation, a carousel, a random picture), against
which the tour is judged. With ``recheck_above``, a page whose tour differs by more than that above
its own level is measured once more from the start, and the better of the two is kept: on a busy
machine a carousel can turn between two loads of the same age, while a page that really looks
different in the tour (unstyled, a missing font) differs both times.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from voicetour.crawl.render import CHROMIUM_ARGS, chromium_path
from voicetour.server import PREFIX
from voicetour.site.model import Page, Site

VIEWPORT = {"width": 1280, "height": 900}
AT_ONCE = 3
"""Pages loaded at the same time (three tabs each)."""
AGAIN = 2
"""Loads more of a page that differs in the tour at all, to measure its own level."""
LOAD_TIMEOUT_MS = 30_000
FRAME_BOX = """() => { const f = document.getElementById('product'); const r = f.getBoundingClientRect();
  return {x: r.x + f.clientLeft, y: r.y + f.clientTop, width: f.clientWidth, height: f.clientHeight}; }"""
TOUR_SHOWN = "() => (window.voicetourVisible || []).length > 0"


@dataclass(frozen=True, slots=True)
class Look:
    page: str
    url: str
    tour: float | None  # tour vs the nearest direct load; None when a capture failed (``error`` says why)
    own: float | None = None  # the most two direct loads differ, measured only when the tour differs at all
    error: str = ""

    @property
    def excess(self) -> float:
        """How much more the tour differs than the page does from itself."""
        return float("inf") if self.tour is None else self.tour - (self.own or 0.0)


def difference(a: bytes, b: bytes) -> float:
    """Mean absolute RGB difference of two PNG captures (inf when their sizes differ)."""
    x, y = (np.asarray(Image.open(io.BytesIO(p)).convert("RGB"), dtype=np.int16) for p in (a, b))
    return float("inf") if x.shape != y.shape else float(np.abs(x - y).mean())


def compare(site: Site, tour: str, direct: str, out: Path | None = None, settle_s: float = 2.0,
            limit: int | None = None, recheck_above: float | None = None) -> list[Look]:
    """Compare each page of ``site`` in the tour served at ``tour`` (e.g. http://127.0.0.1:8000)
    with the page opened on the product's own origin ``direct`` (e.g. http://127.0.0.1:8302).
    With ``out``, the captures of each page are written there as PNG."""
    from playwright.sync_api import sync_playwright

    pages = site.pages[:limit] if limit else site.pages
    looks: list[Look] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for i in range(0, len(pages), AT_ONCE):
                group = [_Capture(site, p, tour.rstrip("/"), direct) for p in pages[i:i + AT_ONCE]]
                looks += _compare_group(browser, group, out, settle_s)
            if recheck_above is not None:
                looks = _recheck(browser, site, looks, recheck_above, tour.rstrip("/"), direct, out, settle_s)
        finally:
            browser.close()
    return looks


def _recheck(browser: Any, site: Site, looks: list[Look], above: float, tour: str, direct: str,
             out: Path | None, settle_s: float) -> list[Look]:
    by_id = {p.id: p for p in site.pages}
    over = [x for x in looks if x.excess > above and x.page in by_id]
    if not over:
        return looks
    again = {x.page: x for x in _compare_group(browser, [_Capture(site, by_id[x.page], tour, direct) for x in over],
                                                 out, settle_s)}
    return [min((x, again.get(x.page, x)), key=lambda y: y.excess) for x in looks]


@dataclass
class _Capture:
    site: Site
    page: Page
    tour: str
    direct: str
    error: str = ""
    shell: Any = None  # the tour page
    box: dict[str, float] | None = None  # where its product frame is
    tabs: list[Any] = field(default_factory=list)  # the page on its own, in a window the frame's size

    def direct_url(self) -> str:
        if self.page.url.startswith(("http://", "https://")):
            return self.page.url
        return self.direct.rstrip("/") + self.site.root_path + self.page.url.lstrip("/")

    def open_direct(self, browser: Any) -> Any:
        assert self.box is not None
        tab = browser.new_page(viewport={"width": int(self.box["width"]), "height": int(self.box["height"])})
        self.tabs.append(tab)
        tab.goto(self.direct_url(), wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        return tab

    def close(self) -> None:
        for tab in [self.shell, *self.tabs]:
            if tab is not None:
                tab.close()


def _compare_group(browser: Any, group: list[_Capture], out: Path | None, settle_s: float) -> list[Look]:
    try:
        for c in group:
            c.shell = browser.new_page(viewport=VIEWPORT)
            c.shell.goto(f"{c.tour}{PREFIX}/?page={c.page.url}", wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        for c in group:
            try:
                c.shell.wait_for_function(TOUR_SHOWN, timeout=LOAD_TIMEOUT_MS)
                c.box = c.shell.evaluate(FRAME_BOX)
            except Exception as exc:  # noqa: BLE001 - a page the tour never shows is a result
                c.error = f"the tour never showed it: {type(exc).__name__}"
                continue
            c.open_direct(browser)
        live = [c for c in group if not c.error]
        taken = _at_age([(c.shell, TOUR_AGE, c.box) for c in live] + [(c.tabs[0], DIRECT_AGE, None) for c in live],
                        settle_s)
        shots = {id(c): [taken[i], taken[len(live) + i]] for i, c in enumerate(live)}
        differs = [c for c in live if difference(*shots[id(c)]) > 0]
        # The page's own level: two more loads of it (a carousel is not on the same slide in every
        # load of the same age on a busy machine). The tour is compared with the load nearest it.
        again = _at_age([(c.open_direct(browser), DIRECT_AGE, None) for c in differs for _ in range(AGAIN)],
                        settle_s)
        for i, c in enumerate(differs):
            shots[id(c)] += again[i * AGAIN:(i + 1) * AGAIN]
        looks = []
        for c in group:
            if c.error:
                looks.append(Look(c.page.id, c.page.url, None, None, c.error))
                continue
            tour, *direct = shots[id(c)]
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                for name, shot in zip(("tour", "direct", "direct-2", "direct-3"), shots[id(c)], strict=False):
                    (out / f"{c.page.id}.{name}.png").write_bytes(shot)
            near = min(difference(tour, d) for d in direct)
            own = max((difference(a, b) for i, a in enumerate(direct) for b in direct[i + 1:]), default=None)
            looks.append(Look(c.page.id, c.page.url, round(near, 2), None if own is None else round(own, 2)))
        return looks
    finally:
        for c in group:
            c.close()


TOUR_AGE = "() => performance.now() - window.voicetourVisible[0].t"
"""How long ago the tour's product frame showed its page (the tour reports it after the frame's load)."""
DIRECT_AGE = "() => performance.now() - performance.getEntriesByType('navigation')[0].loadEventEnd"


def _at_age(tabs: list[tuple[Any, str, dict[str, float] | None]], settle_s: float) -> list[bytes]:
    """A capture of each tab ``settle_s`` after its own page loaded (a carousel that turns every
    few seconds is on the same slide in each), in the order given."""
    for tab, age, _ in tabs:
        if age == DIRECT_AGE:
            tab.wait_for_load_state("load", timeout=LOAD_TIMEOUT_MS)
    now = time.monotonic()
    due = [now + settle_s - tab.evaluate(age) / 1000 for tab, age, _ in tabs]
    shots: dict[int, bytes] = {}
    for i in sorted(range(len(tabs)), key=lambda k: due[k]):
        time.sleep(max(0.0, due[i] - time.monotonic()))
        tab, _, clip = tabs[i]
        shots[i] = tab.screenshot(clip=clip) if clip else tab.screenshot()
    return [shots[i] for i in range(len(tabs))]
