"""Load and validate site.json (format version 1, documented in docs/site-format.md).

Every validation error is a SiteError whose message starts with the JSON path of the field,
e.g. ``pages[1].elements[0].selector: must be a non-empty string``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from voicetour.errors import SiteError

FORMAT_VERSION = 1
ELEMENT_KINDS = ("button", "link", "section", "form", "field", "tab", "table", "other")


@dataclass(frozen=True, slots=True)
class Element:
    id: str
    label: str
    selector: str
    kind: str = "button"
    aliases: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    id: str
    url: str
    title: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    elements: tuple[Element, ...] = ()
    heading: str = ""


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    base_url: str
    pages: tuple[Page, ...]

    def page(self, page_id: str) -> Page:
        for page in self.pages:
            if page.id == page_id:
                return page
        raise KeyError(page_id)

    def absolute(self, url: str) -> str:
        """The page URL as the user's browser sees it (base_url joined with the page url)."""
        return urljoin(self.base_url.rstrip("/") + "/", url.lstrip("/")) if self.base_url else url

    @property
    def root_path(self) -> str:
        """The path on the product's origin under which the page urls are ("/" unless base_url has a
        path, like "http://host/product/")."""
        return urlsplit(self.absolute("/")).path or "/"


def _string(obj: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    if key not in obj:
        if required:
            raise SiteError(f"{where}.{key}: missing (required)".lstrip("."))
        return ""
    value = obj[key]
    if not isinstance(value, str) or not value.strip():
        raise SiteError(f"{where}.{key}: must be a non-empty string, got {value!r}".lstrip("."))
    return value.strip()


def _strings(obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = obj.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise SiteError(f"{where}.{key}: must be a list of non-empty strings, got {value!r}")
    return tuple(v.strip() for v in value)


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SiteError(f"{where}: must be an object, got {type(value).__name__}")
    return value


def _element(raw: Any, where: str) -> Element:
    obj = _object(raw, where)
    kind = _string(obj, "kind", where, required=False) or "button"
    if kind not in ELEMENT_KINDS:
        raise SiteError(f"{where}.kind: must be one of {', '.join(ELEMENT_KINDS)}, got {kind!r}")
    return Element(
        id=_string(obj, "id", where),
        label=_string(obj, "label", where),
        selector=_string(obj, "selector", where),
        kind=kind,
        aliases=_strings(obj, "aliases", where),
        description=_string(obj, "description", where, required=False),
    )


def _page(raw: Any, where: str) -> Page:
    obj = _object(raw, where)
    url = _string(obj, "url", where)
    if not (url.startswith("/") or urlsplit(url).scheme in ("http", "https")):
        raise SiteError(f"{where}.url: must start with '/' or http(s)://, got {url!r}")
    if url.startswith("//") or "\\" in url or any(ord(c) < 32 for c in url):
        raise SiteError(f"{where}.url: {url!r} would leave the product (a path starts with one '/')")
    elements_raw = obj.get("elements", [])
    if not isinstance(elements_raw, list):
        raise SiteError(f"{where}.elements: must be a list, got {type(elements_raw).__name__}")
    elements = tuple(_element(e, f"{where}.elements[{i}]") for i, e in enumerate(elements_raw))
    _unique([e.id for e in elements], f"{where}.elements")
    return Page(
        id=_string(obj, "id", where),
        url=url,
        title=_string(obj, "title", where),
        aliases=_strings(obj, "aliases", where),
        description=_string(obj, "description", where, required=False),
        elements=elements,
        heading=_string(obj, "heading", where, required=False),
    )


def _unique(ids: list[str], where: str) -> None:
    seen: set[str] = set()
    for i, ident in enumerate(ids):
        if ident in seen:
            raise SiteError(f"{where}[{i}].id: duplicate id {ident!r}")
        seen.add(ident)


def parse_site(raw: Any) -> Site:
    """Validate a decoded site.json document and return the Site."""
    obj = _object(raw, "site")
    version = obj.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise SiteError(f"version: this voicetour reads format {FORMAT_VERSION}, got {version!r}")
    base_url = obj.get("base_url", "")
    if base_url != "":
        if not isinstance(base_url, str) or urlsplit(base_url).scheme not in ("http", "https"):
            raise SiteError(f"base_url: must be an http(s) URL, got {base_url!r}")
    pages_raw = obj.get("pages")
    if not isinstance(pages_raw, list) or not pages_raw:
        raise SiteError(f"pages: must be a non-empty list, got {pages_raw!r}")
    pages = tuple(_page(p, f"pages[{i}]") for i, p in enumerate(pages_raw))
    _unique([p.id for p in pages], "pages")
    for i, page in enumerate(pages):
        if page.url.startswith("/"):
            continue
        target, base = urlsplit(page.url), urlsplit(base_url)
        if not base_url or (target.scheme, target.netloc.lower()) != (base.scheme, base.netloc.lower()):
            raise SiteError(f"pages[{i}].url: {page.url!r} is not on the product ({base_url or 'no base_url'}): "
                            "a tour never leaves it")
    return Site(name=_string(obj, "name", ""), base_url=base_url, pages=pages)


def load_site(path: str | Path) -> Site:
    """Read and validate a site file. Raises SiteError naming the file and the field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SiteError(f"{p}: cannot read site file ({exc.strerror})") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SiteError(f"{p}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    try:
        return parse_site(raw)
    except SiteError as exc:
        raise SiteError(f"{p}: {exc}") from exc
