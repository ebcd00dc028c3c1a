"""Rendered crawl (``--render``): Playwright drives Debian's chromium for apps that build their
pages in JavaScript, single-page apps included.

Each URL is opened and left to settle (network idle), then its DOM is read by extract.py. A route
the server does not serve directly (a single-page app's history.pushState route, 404 on reload)
is reached the way a user would: open the page that linked to it and click the link; the URL the
app ends on is recorded. Same origin only; robots.txt and the limits of a static crawl apply.
"""

from __future__ import annotations

import os
import shutil
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx

from voicetour import clock
from voicetour.clock import Clock
from voicetour.crawl.extract import extract
from voicetour.crawl.fetch import USER_AGENT, CrawlResult, Limits, Problem, robots_for
from voicetour.crawl.urls import Frontier, normalise, origin_of
from voicetour.errors import UsageError

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def chromium_path() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        raise UsageError("--render needs Debian's chromium: apt-get install -y chromium")
    return path


def crawl_rendered(start: str, limits: Limits | None = None, progress: Callable[[str], None] | None = None,
                   now: Clock = clock.monotonic_ns) -> CrawlResult:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    limits = limits or Limits()
    origin = origin_of(start)
    first = normalise(start, start) or start
    result = CrawlResult(start=first, origin=origin)
    frontier = Frontier(origin)
    with httpx.Client(timeout=limits.timeout, headers={"User-Agent": USER_AGENT}) as client:
        robots = robots_for(client, origin)
    started = now()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(user_agent=USER_AGENT)
            page.set_default_timeout(limits.timeout * 1000)
            # (url, depth, how a user gets there: the links to click, in order, from the first page)
            queue: deque[tuple[str, int, tuple[str, ...]]] = deque([(first, 0, ())])
            while queue:
                if result.over(limits, now() - started):
                    break
                url, depth, clicks = queue.popleft()
                if not result.admit(url, frontier, robots):
                    continue
                if progress:
                    progress(url)
                try:
                    landed = _open(page, url, first, clicks, result)
                except PlaywrightError as exc:
                    result.problems.append(Problem(url, f"could not render: {str(exc).splitlines()[0]}"))
                    continue
                if landed is None:
                    continue
                if landed != url:
                    if landed in frontier.seen:
                        continue  # a second way to an already-known route
                    frontier.add(landed)
                info = extract(landed, page.content())
                result.pages.append(info)
                if depth >= limits.max_depth:
                    continue
                for link in info.links:
                    target = normalise(landed, link.href)
                    if target is None:
                        continue
                    if not frontier.same_origin(target):
                        result.skip("off-site")
                        continue
                    queue.append((target, depth + 1, (*clicks, link.selector)))
        finally:
            browser.close()
    return result


def _open(page: Any, url: str, first: str, clicks: tuple[str, ...], result: CrawlResult) -> str | None:
    """Show ``url`` in ``page``; returns the URL it ended on, or None (problem recorded)."""
    response = page.goto(url, wait_until="networkidle")
    status = response.status if response is not None else 0
    if status < 400:
        return _landed(page, url, result)
    if not clicks:
        result.problems.append(Problem(url, f"HTTP {status}"))
        return None
    # Not served directly: a client-side route. Get there as a user does: from the first page,
    # click the links that led to it.
    page.goto(first, wait_until="networkidle")
    for selector in clicks:
        page.click(selector)
        page.wait_for_load_state("networkidle")
    if (normalise(page.url, page.url) or page.url) == first:
        result.problems.append(Problem(url, f"HTTP {status}, and following its links did not lead anywhere"))
        return None
    return _landed(page, url, result)


def _landed(page: Any, url: str, result: CrawlResult) -> str | None:
    landed = normalise(page.url, page.url) or page.url
    if origin_of(landed) != result.origin:
        result.problems.append(Problem(url, f"ends off-site at {landed} (recorded, not followed)"))
        return None
    return landed
