"""What one HTML page says about itself: title, h1, links (and whether they sit in navigation),
sections, actions, forms with their fields, and one sentence for the reply.

Everything here is plain text taken from the page: it is data, never markup. The tour page only
ever sets it with ``textContent``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from voicetour.intent.naming import ACTION_VERBS
from voicetour.intent.text import words

MAX_LABEL_CHARS = 80
NAV_TAGS = ("nav", "header", "aside")
ICONS = ('[class*="material-icons"], [class*="material-symbols"], i[aria-hidden="true"], '
         'span[aria-hidden="true"], svg[aria-hidden="true"]')
"""Icons drawn from a font's ligatures write their name as text (``<i class="material-icons">
home</i>``): AdminBSB's navigation read "home Home", "swap_calls User Interface (UI)",
"text_fields Typography", and its pages were named so. Not words anyone sees or says."""


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    in_nav: bool
    selector: str
    button: bool
    """Dressed as a button: an action ("Register Account" -> the login page), not a name for
    where it goes."""
    group: str = ""
    """The label of the navigation submenu the link sits in ("Account Settings" over sneat's
    Account, Notifications and Connections), if any."""
    in_table: bool = False
    """In a table's cell: a row of data ("Design Works", "New Dashboard": tabler's projects, each
    linked to the invoice page), whose text names the row, not the page it leads to."""


@dataclass(frozen=True)
class Field:
    label: str
    type: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Control:
    """Something on the page the agent can point at."""

    label: str
    selector: str
    kind: str  # section, button, link, form
    fields: tuple[Field, ...] = ()
    text: str = ""
    """A section's first sentence (its first paragraph of a few words), for the reply."""


@dataclass
class PageInfo:
    url: str
    title: str = ""
    h1: str = ""
    h2: str = ""
    """Without an h1, the first h2 (AdminBSB heads its pages with ``<div class="block-header">
    <h2>DASHBOARD</h2></div>``; the invoice it prints with "AdminLTE, Inc.")."""
    sentences: list[str] = field(default_factory=list)
    """What the page says about itself, in order: its meta description's sentences, then the first
    sentence of its first paragraphs. The site file takes the first that says something
    (crawl/build.py: not the title again, not a breadcrumb, not on every page)."""
    links: list[Link] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    stylesheets: list[str] = field(default_factory=list)
    """The hrefs of its ``<link rel="stylesheet">``s, as written."""


def text_of(node: LexborNode | None) -> str:
    if node is None:
        return ""
    text = " ".join(node.text(deep=True, separator=" ", strip=True).split())
    return text[:MAX_LABEL_CHARS].strip()


def label_of(node: LexborNode) -> str:
    attrs = node.attributes
    return text_of(node) or (attrs.get("aria-label") or attrs.get("title") or attrs.get("value") or "").strip()


def selector_of(node: LexborNode) -> str:
    """``#id`` when the node has an id, else the nearest ancestor id plus an nth-of-type path."""
    path: list[str] = []
    current: LexborNode | None = node
    while current is not None and current.tag not in ("html", "-undef", None):
        node_id = current.attributes.get("id")
        if node_id and re.fullmatch(r"[A-Za-z][\w-]*", node_id):
            path.append(f"#{node_id}")
            break
        parent = current.parent
        if parent is None or current.tag == "body":
            path.append(current.tag or "body")
            break
        same = [c for c in parent.iter() if c.tag == current.tag]
        index = next(i for i, c in enumerate(same, start=1) if c.mem_id == current.mem_id)
        path.append(f"{current.tag}:nth-of-type({index})")
        current = parent
    return " > ".join(reversed(path))


def _button_link(a: LexborNode) -> bool:
    """A link dressed as a button ("Reset Password" at the end of sb-admin-2's form, class "btn"),
    unlike a link in the text ("Forgot Password?" in sneat's login form)."""
    classes = (a.attributes.get("class") or "").split()
    return "btn" in classes or "button" in classes


def _group_of(a: LexborNode, tree: LexborHTMLParser) -> str:
    """The label of the submenu a navigation link sits in: the item holding a nested list
    (``<li><a>Account Settings</a><ul>...``), or the toggle of a collapsed panel
    (``data-target="#collapseTwo"`` -> "Components" on sb-admin-2)."""
    current = a.parent
    while current is not None and current.tag not in ("nav", "body", "html"):
        parent = current.parent
        if current.tag in ("ul", "ol") and parent is not None and parent.tag == "li":
            for child in parent.iter():
                if child.mem_id != current.mem_id and child.tag in ("a", "button", "span", "div"):
                    return label_of(child)
            return ""
        panel = current.attributes.get("id")
        if panel and "collapse" in (current.attributes.get("class") or "").split():
            for attr in ("data-target", "data-bs-target", "href", "aria-controls"):
                value = f"#{panel}" if attr != "aria-controls" else panel
                toggle = tree.css_first(f'[{attr}="{value}"]') if re.fullmatch(r"[A-Za-z][\w-]*", panel) else None
                if toggle is not None:
                    return label_of(toggle)
            return ""
        current = parent
    return ""


def _inside(node: LexborNode, tags: tuple[str, ...], roles: tuple[str, ...] = ()) -> bool:
    current = node.parent
    while current is not None:
        if current.tag in tags or current.attributes.get("role") in roles:
            return True
        current = current.parent
    return False


def _h2_of(tree: LexborHTMLParser) -> str:
    """A page without an h1: its first h2 outside the navigation and dialogs, upper case no more."""
    if tree.css_first("h1") is not None:
        return ""
    for h2 in tree.css("h2"):
        if not _inside(h2, (*NAV_TAGS, "footer", "dialog"), ("dialog", "navigation")) and (text := text_of(h2)):
            return text.title() if text.isupper() else text
    return ""


def _is_action(label: str) -> bool:
    ws = words(label)
    return bool(ws) and ws[0] in ACTION_VERBS


MAX_SENTENCE_CHARS = 200
PARAGRAPHS = 3
"""Paragraphs looked at for a page's sentence candidates."""


def _sentences(tree: LexborHTMLParser) -> list[str]:
    out: list[str] = []
    meta = tree.css_first('meta[name="description"]')
    if meta is not None:
        out += _split(" ".join((meta.attributes.get("content") or "").split()))
    main = tree.css_first("main") or tree.body
    for p in (main.css("p") if main is not None else [])[:PARAGRAPHS]:
        out += _split(text_of_long(p))[:1]
    return [s for s in out if len(s.split()) >= 4]


def _split(text: str) -> list[str]:
    return [s[:MAX_SENTENCE_CHARS] for s in re.split(r"(?<=[.!?])\s+", text) if s]


def _section_text(target: LexborNode) -> str:
    """The first sentence of a section's first paragraph of four words or more."""
    for p in target.css("p")[:PARAGRAPHS]:
        first = _split(text_of_long(p))[:1]
        if first and len(first[0].split()) >= 4:
            return first[0]
    return ""


def text_of_long(node: LexborNode) -> str:
    return " ".join(node.text(deep=True, separator=" ", strip=True).split())


def _fields(form: LexborNode, tree: LexborHTMLParser) -> tuple[Field, ...]:
    out: list[Field] = []
    radios: dict[str, list[str]] = {}
    # Labels by their "for", looked up rather than selected: an id is page data, never part of a
    # CSS selector (<input id='a"]'> broke the selector and with it the whole crawl).
    labels = {lab.attributes.get("for"): text_of(lab) for lab in tree.css("label[for]")}
    for el in form.css("input, select, textarea"):
        attrs = el.attributes
        default = {"select": "select", "textarea": "textarea"}.get(el.tag or "", "text")  # HTML's default
        kind = ((attrs.get("type") if el.tag == "input" else None) or default).lower()
        if kind in ("hidden", "submit", "button", "reset", "image"):
            continue
        label = ""
        if attrs.get("id"):
            label = labels.get(attrs["id"]) or ""
        if not label and el.parent is not None and el.parent.tag == "label":
            # Only the label's own words: a wrapping label's deep text includes the options.
            label = " ".join(el.parent.text(deep=False, strip=True).split()) or text_of(el.parent)
        label = label or (attrs.get("aria-label") or attrs.get("placeholder") or attrs.get("name") or "").strip()
        if kind == "radio":
            radios.setdefault(attrs.get("name") or label, []).append(label)
            continue
        options = tuple(text_of(o) for o in el.css("option") if text_of(o)) if el.tag == "select" else ()
        out.append(Field(label, kind, options))
    out += [Field(name, "radio", tuple(labels)) for name, labels in radios.items()]
    return tuple(out)


def extract(url: str, html: str) -> PageInfo:
    tree = LexborHTMLParser(html)
    for icon in tree.css(ICONS):
        icon.decompose()
    for subtitle in tree.css("h1 small, h2 small, h3 small"):
        subtitle.decompose()  # "FLOT CHART <small>Taken from www.flotcharts.org</small>" (AdminBSB)
    info = PageInfo(url=url, title=text_of(tree.css_first("title")), h1=text_of(tree.css_first("h1")),
                    h2=_h2_of(tree), sentences=_sentences(tree))
    info.stylesheets = [node.attributes.get("href") or "" for node in tree.css("link[href]")
                        if "stylesheet" in (node.attributes.get("rel") or "").lower().split()]
    for a in tree.css("a[href]"):
        text = label_of(a)
        if text:
            in_nav = _inside(a, NAV_TAGS, ("navigation", "menubar", "tablist"))
            info.links.append(Link(a.attributes.get("href") or "", text, in_nav, selector_of(a), _button_link(a),
                                   _group_of(a, tree), _inside(a, ("td",))))
    seen: set[str] = set()

    def add(control: Control) -> None:
        if control.label and control.selector not in seen and len(control.label) <= MAX_LABEL_CHARS:
            seen.add(control.selector)
            info.controls.append(control)

    for h in tree.css("h2, h3, section[id], [role=region][id]"):
        target = h if h.attributes.get("id") else h.parent if h.parent is not None and h.parent.attributes.get(
            "id") and h.parent.tag in ("section", "div", "article") else None
        if target is not None:
            heading = h if h.tag in ("h2", "h3") else h.css_first("h2, h3")
            add(Control(text_of(heading) or label_of(target), selector_of(target), "section",
                        text=_section_text(target)))
    for b in tree.css('button, [role="button"], input[type="submit"], input[type="button"]'):
        if _inside(b, ("form",)) and b.attributes.get("type", "submit") == "submit" and b.tag != "a":
            continue  # a form's submit button is described by the form
        add(Control(label_of(b), selector_of(b), "button"))
    for a in tree.css("a[href]"):
        if _is_action(label_of(a)) and not _inside(a, NAV_TAGS, ("navigation",)):
            # A link in the text names where it goes ("New on our platform? Create an account").
            add(Control(label_of(a), selector_of(a), "button" if _button_link(a) else "link"))
    for form in tree.css("form"):
        legend = form.css_first("legend, h2, h3")
        submit = form.css_first('button[type="submit"], button:not([type]), input[type="submit"]')
        label = (form.attributes.get("aria-label") or "").strip() or (label_of(submit) if submit is not None else "") \
            or text_of(legend)
        add(Control(label, selector_of(form), "form", _fields(form, tree)))
    return info
