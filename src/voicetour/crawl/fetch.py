"""Static crawl: breadth-first over one origin with httpx, pages parsed by extract.py.

Politeness and limits: robots.txt is read first and obeyed (user agent ``voicetour``); page,
depth and time limits; redirects are followed by hand so an off-site one is recorded, not
followed; trap URLs are bounded by ``urls.Frontier``. Every URL that could not be used is
reported with the reason, and the crawl keeps what it found.
"""

from __future__ import annotations

import urllib.robotparser
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx

from voicetour import clock
from voicetour.clock import Clock
from voicetour.crawl.extract import PageInfo, extract
from voicetour.crawl.urls import Frontier, normalise, origin_of

USER_AGENT = "voicetour"
MAX_BYTES = 5_000_000


@dataclass(frozen=True)
class Problem:
    url: str
    what: str


@dataclass
class CrawlResult:
    start: str
    origin: str
    pages: list[PageInfo] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    """Links not followed, counted by reason (off-site, trap, robots.txt, limits)."""
    stopped: str | None = None
    """Which limit ended the crawl early, if any."""

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def over(self, limits: Limits, elapsed_ns: int) -> bool:
        """True (and ``stopped`` says which) when a page or time limit is reached."""
        if len(self.pages) >= limits.max_pages:
            self.stopped = f"page limit ({limits.max_pages})"
        elif elapsed_ns > limits.seconds * 1e9:
            self.stopped = f"time limit ({limits.seconds:g} s)"
        return self.stopped is not None

    def admit(self, url: str, frontier: Frontier, robots: urllib.robotparser.RobotFileParser) -> bool:
        """May ``url`` be visited now? Records why not (a trap, robots.txt) and marks it seen."""
        reason = frontier.why_not(url)
        if reason is not None:
            if reason != "seen":
                self.skip(reason)
            return False
        frontier.add(url)
        if not robots.can_fetch(USER_AGENT, url):
            self.skip("robots.txt")
            self.problems.append(Problem(url, "disallowed by robots.txt"))
            return False
        return True


@dataclass(frozen=True)
class Limits:
    max_pages: int = 200
    """50 cut AdminLTE 3 at 50 of its 67 pages and AdminBSB at 50 of 61 (its sign-in and profile
    pages among those left out)."""
    max_depth: int = 5
    seconds: float = 120.0
    timeout: float = 10.0


def robots_for(client: httpx.Client, origin: str) -> urllib.robotparser.RobotFileParser:
    """The site's robots.txt as RFC 9309 reads it: redirects followed (up to 5), a 4xx means no
    rules, a 5xx means the site cannot say, so nothing may be crawled. (A site that cannot be
    reached at all is reported by the page fetches.)"""
    parser = urllib.robotparser.RobotFileParser()
    try:
        response = client.get(origin + "/robots.txt", follow_redirects=True)
    except httpx.HTTPError:
        response = None
    if response is not None and response.status_code >= 500:
        parser.parse(["User-agent: *", "Disallow: /"])
        return parser
    ok = response is not None and response.status_code == 200
    parser.parse(response.text.splitlines() if ok and response is not None else [])
    return parser


def crawl_static(start: str, limits: Limits | None = None, progress: Callable[[str], None] | None = None,
                 transport: httpx.BaseTransport | None = None, now: Clock = clock.monotonic_ns) -> CrawlResult:
    """``now``: the clock the time limit is measured on (injected; the real one by default)."""
    limits = limits or Limits()
    origin = origin_of(start)
    first = normalise(start, start) or start
    result = CrawlResult(start=first, origin=origin)
    frontier = Frontier(origin)
    started = now()
    with httpx.Client(timeout=limits.timeout, follow_redirects=False, headers={"User-Agent": USER_AGENT},
                      transport=transport) as client:
        robots = robots_for(client, origin)
        until = started + int(1e9 * limits.seconds)

        def late() -> bool:
            """One page may take its timeout, but never past the crawl's time limit (a server
            sending a byte a second kept one fetch for 40 s under --time-limit 8 --timeout 3)."""
            return now() > until

        queue: deque[tuple[str, int]] = deque([(first, 0)])
        while queue:
            if result.over(limits, now() - started):
                break
            url, depth = queue.popleft()
            if not result.admit(url, frontier, robots):
                continue
            if progress:
                progress(url)
            page = _fetch(client, url, result, queue, depth, late)
            if page is None:
                continue
            result.pages.append(page)
            if depth >= limits.max_depth:
                continue
            for link in page.links:
                target = normalise(page.url, link.href)
                if target is None:
                    continue
                if not frontier.same_origin(target):
                    result.skip("off-site")
                    continue
                queue.append((target, depth + 1))
        _check_stylesheets(client, result, frontier, late)
    return result


MAX_STYLESHEETS = 40


def _check_stylesheets(client: httpx.Client, result: CrawlResult, frontier: Frontier,
                       late: Callable[[], bool]) -> None:
    """A stylesheet of the product's own that its pages link but that does not load is a problem
    to report: those pages look unstyled, in the tour too, and comparing the tour with the product
    cannot tell (ThemeKit as npm ships it links ``node_modules/bootstrap/...``, not in the package).
    Each one once, at most ``MAX_STYLESHEETS``, never past the crawl's time limit."""
    users: dict[str, int] = {}
    for page in result.pages:
        for href in dict.fromkeys(page.stylesheets):
            url = urljoin(page.url, href.strip())
            if url and frontier.same_origin(url):
                users[url] = users.get(url, 0) + 1
    for url, pages in list(users.items())[:MAX_STYLESHEETS]:
        if late():
            return
        what = (f"the {pages} pages that link it look unstyled" if pages > 1 else "the page that links it looks "
                "unstyled") + ", in the tour too"
        try:
            with client.stream("GET", url) as response:
                status = response.status_code
        except httpx.HTTPError as exc:
            result.problems.append(Problem(url, f"stylesheet unreachable ({type(exc).__name__}): {what}"))
            continue
        if status >= 400:
            result.problems.append(Problem(url, f"stylesheet HTTP {status}: {what}"))


def _fetch(client: httpx.Client, url: str, result: CrawlResult, queue: deque[tuple[str, int]],
           depth: int, late: Callable[[], bool] = lambda: False) -> PageInfo | None:
    try:
        with client.stream("GET", url) as response:
            if response.is_redirect:
                _redirect(url, response, result, queue, depth)
                return None
            if response.status_code >= 400:
                result.problems.append(Problem(url, f"HTTP {response.status_code} {response.reason_phrase}"))
                return None
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if kind not in ("text/html", "application/xhtml+xml", ""):
                result.problems.append(Problem(url, f"not HTML ({kind})"))
                return None  # the body is never downloaded
            body = b""
            for i, chunk in enumerate(response.iter_bytes()):
                if i and late():  # the first chunk is in: a page that is still arriving
                    result.problems.append(Problem(url, "still arriving at the crawl's time limit; skipped"))
                    return None
                body += chunk
                if len(body) > MAX_BYTES:
                    result.problems.append(Problem(url, f"larger than {MAX_BYTES // 1_000_000} MB; skipped"))
                    return None
            text = body.decode(response.encoding or "utf-8", errors="replace")
    except httpx.TimeoutException:
        result.problems.append(Problem(url, "timed out"))
        return None
    except httpx.HTTPError as exc:
        result.problems.append(Problem(url, f"unreachable: {type(exc).__name__}: {exc}"))
        return None
    return extract(url, text)


def _redirect(url: str, response: httpx.Response, result: CrawlResult, queue: deque[tuple[str, int]],
              depth: int) -> None:
    location = normalise(url, response.headers.get("location", ""))
    if location is None:
        result.problems.append(Problem(url, f"redirect ({response.status_code}) without a usable Location"))
    elif origin_of(location) != result.origin:
        result.problems.append(Problem(url, f"redirects off-site to {location} (recorded, not followed)"))
    else:
        queue.appendleft((location, depth))
