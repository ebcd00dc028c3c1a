"""From crawled pages to a site file (format v1, docs/site-format.md) and a summary.

How the product names a page is taken from the product: the nav labels and link texts that point
to it (the most used becomes the title, the others aliases), then its h1, then its <title>.
Controls repeated on most pages (a header button) are kept once, on the first page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from voicetour.crawl.extract import PageInfo
from voicetour.crawl.fetch import CrawlResult
from voicetour.crawl.urls import normalise, same_page
from voicetour.intent.text import words

TITLE_SEPARATORS = re.compile(r"\s+[|·\-–—:]\s+")
MAX_ALIAS_WORDS = 5
DECORATION = re.compile(r"(?:\s+(?:\d{1,2}\+?|new|hot|pro|beta|free|soon))+$", re.IGNORECASE)
"""Badges and counters that navigation labels carry ("Chat 3", "Widgets 5", "Theme New"); not a
code ("Error 404", "Error 500": AdminLTE 3, both "Error" without it)."""
WORDLIKE = re.compile(r"[^\W\d_]{2}")
"""A label people could say: it has a word of two letters or more."""
SAYABLE = re.compile(r"(?<![\w])[^\W\d_]{2,}(?![\w])")
"""...a whole word of letters: "OR7429" (an order number linking to the invoice page) is a code."""
GENERIC_LINKS = frozenset((
    "view all", "see all", "show all", "view more", "see more", "show more", "read more", "learn more", "more",
    "more info", "details", "view details", "see details", "click here", "here", "go", "open", "view",
    "continue", "next", "previous", "back",
))
"""Link texts outside the navigation that say where they lead only with what is around them
("View All" under a card of recent tickets, Stisla): not a name of the page they lead to
("thanks, that's all for now" went to the Tickets page)."""
SHARED_NAME_PAGES = 3
"""A name given to this many pages or more (a breadcrumb's "UI elements", a banner's "Pro") names
none of them."""


def _undecorated(text: str) -> str:
    """A label without its badges and counters; a label that is only a number stays as it is."""
    return DECORATION.sub("", text).strip() or text


@dataclass
class Summary:
    pages: int = 0
    elements: int = 0
    unknown_words: dict[str, str] = field(default_factory=dict)
    """Words missing from the recognizer's dictionary -> how they were pronounced (espeak, letters)."""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "page"


def _site_name(pages: list[PageInfo], origin: str) -> str:
    """The part of <title> shared by most pages ('Team · Acme Cloud' -> 'Acme Cloud')."""
    parts = Counter(p for page in pages for p in set(TITLE_SEPARATORS.split(page.title)) if p)
    if parts and len(pages) > 1:
        name, count = parts.most_common(1)[0]
        if count >= max(2, len(pages) // 2):
            return name
    if len(pages) == 1 and pages[0].title:
        return TITLE_SEPARATORS.split(pages[0].title)[-1]
    return urlsplit(origin).hostname or origin


def _relative(url: str, origin: str) -> str:
    parts = urlsplit(url)
    path = parts.path or "/"
    return path + ("?" + parts.query if parts.query else "") if url.startswith(origin) else url


def _grouped(group: str, text: str) -> str:
    """A link's name within its navigation submenu: "Account Settings" + "Notifications" ->
    "Account Settings Notifications" (what people say: "notification settings"); "" if none."""
    group = _undecorated(group).rstrip(":").strip()
    if not group or not WORDLIKE.search(group):
        return ""
    known = {w.lower() for w in group.split()}
    rest = [w for w in text.split() if w.lower() not in known]
    return " ".join([group, *rest])  # "Account Settings" + "Account": the group's own words


def _branded(name: str, shared: set[str]) -> bool:
    """Whether ``name`` is shared by many pages, or has a part that is ("ADMINBSB - MATERIAL
    DESIGN", the logo's link to the home page on every page, when "Material Design" ends every
    <title>): the product's name, not a page's."""
    return name.lower() in shared or any(part.lower() in shared for part in TITLE_SEPARATORS.split(name))


def _names_of(page: PageInfo, names: dict[str, Counter[str]], grouped: dict[str, Counter[str]], shared: set[str],
              origin: str) -> list[str]:
    """What the product calls a page, its name first: the link texts that point to it (most used
    first), the same within their navigation submenu, its h1, the parts of its <title>, its first
    h2 when it has no h1; its path when nothing names it."""
    own = [t for t in TITLE_SEPARATORS.split(page.title) if t and t.lower() not in shared]
    candidates = [t for t, _ in names.get(page.url, Counter()).most_common() if not _branded(t, shared)]
    candidates += [t for t, _ in grouped.get(page.url, Counter()).most_common() if not _branded(t, shared)]
    found = [n for n in dict.fromkeys(candidates + [_undecorated(page.h1)] + own + [page.h2]) if n]
    return found or [_relative(page.url, origin)]


def _unlinked_twins(named: dict[str, list[str]], names: dict[str, Counter[str]]) -> None:
    """A page no link names, whose heading is what links call another page, is called by its path
    first: ThemeKit's "Layouts" page and the "Layouts" heading of an item's edit page, reached by
    an icon ("open the layouts page" asked which one) -> "Layout Edit Item"."""
    linked = {found[0].lower() for url, found in named.items() if names.get(url)}
    for url, found in named.items():
        if names.get(url) or found[0].lower() not in linked:
            continue
        stem = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        words = " ".join(w.capitalize() for w in re.split(r"[-_]+", stem) if w)
        if words and SAYABLE.search(words) and words.lower() != found[0].lower():
            found.insert(0, words)


def build_site(result: CrawlResult, name: str | None = None) -> dict[str, Any]:
    pages = result.pages
    site_name = name or _site_name(pages, result.origin)
    # How other pages link to each page: nav labels count double (that is the product's own name).
    names: dict[str, Counter[str]] = {}
    grouped: dict[str, Counter[str]] = {}  # the same within their navigation submenu
    for page in pages:
        buttons = {c.label.lower() for c in page.controls if c.kind not in ("section", "link")}
        for link in page.links:
            target = normalise(page.url, link.href)
            if link.href.startswith("#") or (target == page.url and not link.in_nav):
                continue  # an in-page anchor or a self-link ("Download") does not name the page
            if not link.in_nav and (link.button or _undecorated(link.text).lower() in buttons):
                continue  # a button that happens to be a link ("Reset Password" -> the login page) names an action
            generic = _undecorated(link.text).lower().strip(" .!?:>»›") in GENERIC_LINKS
            if not link.in_nav and (link.in_table or generic):
                continue  # a row of data, or "View All": not a name of the page
            if target is not None:
                names.setdefault(target, Counter())[_undecorated(link.text)] += 2 if link.in_nav else 1
                if within := _grouped(link.group, _undecorated(link.text)):
                    grouped.setdefault(target, Counter())[within] += 1
    # Controls found on most pages are page chrome: keep them on the first page only.
    chrome = Counter((c.label, c.selector) for page in pages for c in page.controls)
    common = {k for k, n in chrome.items() if len(pages) > 2 and n > len(pages) // 2}
    # Query variants of one page (a calendar's ?month=2, 3, ...) are the same place: keep the first.
    # So are "/" and "/index.html".
    first_of: dict[tuple[str, str], PageInfo] = {}
    for page in pages:
        first_of.setdefault((same_page(urlsplit(page.url).path), page.h1 or page.title), page)
    pages = [p for p in pages if first_of[(same_page(urlsplit(p.url).path), p.h1 or p.title)] is p]
    for page in pages:  # a link to "/index.html" names the page kept as "/" too, and vice versa
        same = [u for u in names if u != page.url and same_page(u) == same_page(page.url)]
        for u in same:
            names.setdefault(page.url, Counter()).update(names[u])
            grouped.setdefault(page.url, Counter()).update(grouped.get(u, Counter()))
    # Names shared by many pages (breadcrumbs, banners, the product's own name) name none of them.
    given = Counter(n.lower() for page in pages for n in {*names.get(page.url, Counter()), page.h1,
                                                           *TITLE_SEPARATORS.split(page.title)} if n)
    shared = {n for n, k in given.items() if k >= SHARED_NAME_PAGES}
    shared |= {site_name.lower(), _undecorated(site_name).lower()}
    # ...and so does the product's name cut short (the logo of a collapsed sidebar: "St" for Stisla).
    shared |= {n.lower() for found in names.values() for n in found
               if n and len(n) < len(site_name) and site_name.lower().startswith(n.lower())}
    said = Counter(x.lower() for page in pages for x in set(page.sentences) | {c.text for c in page.controls if c.text})
    boilerplate = {x for x, k in said.items() if k >= SHARED_NAME_PAGES}  # "Free admin template by Colorlib."
    placed: set[tuple[str, str]] = set()
    ids: set[str] = set()
    out_pages = []
    named = {page.url: _names_of(page, names, grouped, shared, result.origin) for page in pages}
    _unlinked_twins(named, names)
    titles = {url: found[0] for url, found in named.items()}
    for page in pages:
        title = titles[page.url]
        others = {n.lower() for u, found in named.items() if u != page.url for n in found}  # another page's name
        aliases = [a for a in named[page.url][1:]
                   if a.lower() != title.lower() and a.lower() not in shared | others
                   and len(a.split()) <= MAX_ALIAS_WORDS and SAYABLE.search(a)]
        page_id = base = _slug(title)
        n = 2
        while page_id in ids:
            page_id, n = f"{base}-{n}", n + 1
        ids.add(page_id)
        elements = []
        element_ids: set[str] = set()
        labels: set[str] = set()
        for c in page.controls:
            key = (c.label, c.selector)
            if c.kind != "section" and _undecorated(c.label).lower() in others:
                continue  # a way to another page ("Create an Account!" -> Register), not a thing on this one
            if not WORDLIKE.search(c.label):
                continue  # a counter or a code ("7", "3+" on a messages icon): nobody asks for it by that
            if (key in common and key in placed) or c.label.lower() in labels:
                continue  # page chrome already placed, or a repeated label ("Connect" x 3): the first one
            placed.add(key)
            labels.add(c.label.lower())
            eid = ebase = _slug(c.label)
            n = 2
            while eid in element_ids:
                eid, n = f"{ebase}-{n}", n + 1
            element_ids.add(eid)
            element: dict[str, Any] = {"id": eid, "label": c.label, "selector": c.selector, "kind": c.kind}
            if text := _saying([c.text], (c.label, title), boilerplate):
                element["description"] = text
            if c.fields:
                element["fields"] = [{"label": f.label, "type": f.type, **({"options": list(f.options)}
                                                                            if f.options else {})} for f in c.fields]
            elements.append(element)
        entry: dict[str, Any] = {"id": page_id, "url": _relative(page.url, result.origin), "title": title}
        if aliases[:5]:
            entry["aliases"] = aliases[:5]
        heading = _heading(page.h1, title, shared)
        if heading:
            entry["heading"] = heading
        if description := _saying(page.sentences, (title, heading, *aliases, *named[page.url]), boilerplate):
            entry["description"] = description
        if elements:
            entry["elements"] = elements
        out_pages.append(entry)
    return {"version": 1, "name": site_name, "base_url": result.origin, "pages": out_pages}


BREADCRUMB = re.compile(r"\s[>›»/]\s")
NOT_SPOKEN = re.compile(r"[{}<>=;|]|https?://|\.\w+\s*\{")
"""Code, markup and addresses: read aloud, they are noise."""
NEW_WORDS = 3
"""A sentence for the reply says at least this many words that the page's names do not."""
MAX_CODES = 0.25
"""At most this share of a sentence's words may be numbers or acronyms (an address, "Allowed JPG,
GIF or PNG.")."""


def _saying(sentences: list[str], names: tuple[str, ...], boilerplate: set[str]) -> str:
    """The first sentence that says something: not the page's names again ("Kanban — Kanban."),
    not a breadcrumb ("Storefront > AdminLTE Pro"), not the same on many pages, not code or an
    address."""
    known = {w for n in names for w in words(n)}
    for sentence in sentences:
        if not sentence or sentence.lower() in boilerplate or BREADCRUMB.search(sentence) or \
                NOT_SPOKEN.search(sentence):
            continue
        tokens = sentence.split()
        codes = sum(1 for t in tokens if any(ch.isdigit() for ch in t) or (len(t) > 1 and t.strip(",.:;!?").isupper()))
        if codes > MAX_CODES * len(tokens):
            continue
        if len({w for w in words(sentence) if len(w) > 2} - known) >= NEW_WORDS:
            return sentence if sentence[-1] in ".!?" else sentence + "."
    return ""


def _heading(h1: str, title: str, shared: set[str]) -> str:
    """The page's h1 when it names the same page more fully ("Kanban board" for Kanban), else ""."""
    h1 = _undecorated(h1)
    if not h1 or h1.lower() == title.lower() or h1.lower() in shared or len(h1.split()) > MAX_ALIAS_WORDS \
            or re.search(r"[\d#]", h1):  # "Order #7841 Paid": one record, not the page's name
        return ""
    return h1 if set(words(h1)) & set(words(title)) else ""


def summarize(site: dict[str, Any]) -> Summary:
    """Pages, elements, and the words the recognizer had to learn (via the real grammar build)."""
    from voicetour.asr.grammar import build_grammar
    from voicetour.intent.naming import targets_of
    from voicetour.site.model import parse_site

    parsed = parse_site(site)
    grammar = build_grammar(targets_of(parsed))
    return Summary(len(parsed.pages), sum(len(p.elements) for p in parsed.pages), dict(grammar.derived))
