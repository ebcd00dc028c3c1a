"""URL rules for a crawl: one origin, normalised URLs, and limits that keep traps bounded."""

from __future__ import annotations

import re
from collections import defaultdict
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from voicetour.errors import UsageError

MAX_URL_CHARS = 300
MAX_SEGMENTS = 8
MAX_REPEATS = 2
"""The same path segment at most this many times (a/b/a/b/a… is a trap)."""
MAX_VARIANTS = 3
"""Query-string variants kept per path (calendars, sort orders, session ids)."""
SKIP_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".css", ".js", ".mjs", ".map",
                   ".woff", ".woff2", ".ttf")
"""Assets, never pages. Documents (.pdf, .zip, ...) are fetched and reported as not HTML."""


def same_page(url: str) -> str:
    """The page a URL shows, for comparing: "/", "/index.html" and "/index.htm" are one page
    (the rest of the URL is kept)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=re.sub(r"/index\.html?$", "/", parts.path or "/"), fragment=""))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{url!r}: not an http(s) URL (expected e.g. http://127.0.0.1:8123/)")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def normalise(base: str, href: str) -> str | None:
    """Absolute URL without fragment, with sorted query; None for non-http links (mailto:, js)."""
    href = href.strip()
    if not href or href.startswith(("mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("http", "https"):
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    path = re.sub(r"^/+", "/", parts.path or "/")  # "http://host//evil.example/x" must not become "//evil.example/x"
    return urlunsplit((parts.scheme, parts.netloc.lower(), path, query, ""))


class Frontier:
    """Which URLs a crawl may visit: same origin, not a trap, not an asset, not seen."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.seen: set[str] = set()
        self._variants: dict[str, int] = defaultdict(int)

    def same_origin(self, url: str) -> bool:
        return origin_of(url) == self.origin

    def why_not(self, url: str) -> str | None:
        """None if the URL may be visited, else the reason it is skipped."""
        if not self.same_origin(url):
            return "off-site"
        parts = urlsplit(url)
        if url in self.seen:
            return "seen"
        if len(url) > MAX_URL_CHARS:
            return "URL too long (trap?)"
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) > MAX_SEGMENTS:
            return "path too deep (trap?)"
        if any(segments.count(s) > MAX_REPEATS for s in segments):
            return "repeating path (trap?)"
        if parts.path.lower().endswith(SKIP_EXTENSIONS):
            return "not a page"
        if parts.query:
            if self._variants[parts.path] >= MAX_VARIANTS:
                return f"more than {MAX_VARIANTS} query variants of {parts.path} (trap?)"
        return None

    def add(self, url: str) -> None:
        self.seen.add(url)
        if urlsplit(url).query:
            self._variants[urlsplit(url).path] += 1
