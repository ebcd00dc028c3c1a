"""The agent's one-sentence replies, in the page's own words (no LLM): what the page calls itself
at its top, then the first sentence of its description or of the section asked for. A reply names
the page once, never reads a breadcrumb, and never claims what the site file does not say: a
control is "the highlighted button" only when it is a button."""

from __future__ import annotations

import re

from voicetour.intent.naming import ACTION_VERBS, Target
from voicetour.intent.text import words

PLACES = frozenset("page board dashboard overview center centre manager list inbox calendar map gallery profile "
                   "panel console home feed wall".split())
"""A page name ending in one of these is already a place ("the Kanban board"); others get "page"."""
OWNED = ("your", "my", "our")
SHOWN_AS = {"button": "button", "link": "link", "form": "form", "tab": "tab", "field": "field", "table": "table"}


def reply_for(target: Target) -> str:
    place = where(target)
    if target.selector is None:
        return _with(f"Here is {place}.", target.description)
    label = spoken(target.label)
    first, _, rest = label.partition(" ")
    shown = SHOWN_AS.get(target.kind)
    if target.kind != "section" and first.lower() in ("new", "add") and rest:
        return f"To add {_some(rest)}, use {label}, highlighted on {place}."
    if target.kind != "section" and first.lower() in ACTION_VERBS:
        how = f"the highlighted {shown}" if shown else f"{label}, highlighted,"
        return f"To {task_of(label)}, use {how} on {place}."
    if shown:
        return _with(f"Here is the {label} {shown}, on {place}.", target.description)
    name = _lower(label) if first.lower() in OWNED else label
    return _with(f"Here is {name}, on {place}.", target.description)


def task_of(label: str) -> str:
    """An action label as a task: "Create report" -> "create a report", "Export CSV" -> "export CSV"."""
    first, _, rest = spoken(label).partition(" ")
    return first.lower() if not rest else f"{first.lower()} {_some(rest) if ' ' not in rest else _lowered(rest)}"


def spoken(label: str) -> str:
    """A label as said: without the arrows and signs around it ("+ New deal", "View All →")."""
    return re.sub(r"^[^\w(]+|[^\w)?!.]+$", "", label) or label


def where(target: Target) -> str:
    """How a reply names the target's page: "the Kanban board", "the Billing page", "your profile"."""
    name = (target.heading or target.title).rstrip("?!.: ")
    said = words(name)
    if not said:
        return "this page"
    if said == ["home"]:
        return "the home page"  # not "the Home" (tabler's home page is called Home)
    place = name if said[-1] in PLACES else f"{name} page"
    if said[0] in OWNED:
        return _lower(place)
    return f"the {place}"


def _with(sentence: str, description: str) -> str:
    return f"{sentence} {description}" if description else sentence


def _lower(text: str) -> str:
    """The first letter lowercased, unless the first word is an acronym ("CSV")."""
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and first.isupper() else text[:1].lower() + text[1:]


def _lowered(text: str) -> str:
    """Every word's first letter lowercased, acronyms kept ("Reset Link" -> "reset link")."""
    return " ".join(_lower(w) for w in text.split())


def _some(thing: str) -> str:
    """'card' -> 'a card', 'Invoice' -> 'an invoice'; 'your card', 'cards', 'CSV files' stay as they are."""
    thing = _lower(thing)
    first = thing.split()[0]
    if first in ("a", "an", "the", *OWNED) or thing.endswith("s") or first.isupper():
        return thing
    return f"{'an' if thing[0] in 'aeiou' else 'a'} {thing}"


def out_of_domain(site_name: str) -> str:
    return f"Sorry, I can only help you find your way around {site_name}."


def suggestion(target: Target) -> str:
    return f"Did you mean {_name(target)}?"


def question(first: Target, second: Target) -> str:
    """Two pages by their names; a control with its page ("Import a file on Contacts"), so two
    controls whose labels read alike are still two answers."""
    one, other = _placed(first), _placed(second)
    if one.lower() == other.lower():  # two pages called "Table" (Stisla): by the names only each has
        one, other = _apart(first, second) or one, _apart(second, first) or other
    return f"Which one: {one}, or {other}?"


def _apart(target: Target, other: Target) -> str:
    """The shortest name of ``target`` that ``other`` does not have, longer than its title and
    without numbers ("Bootstrap Table" against "Components Table"); empty when there is none."""
    title = len(target.title.split())
    names = [p for p in target.phrases
             if p not in other.phrases and len(p.split()) > title and not any(c.isdigit() for c in p)]
    return min(names, key=lambda p: (len(p.split()), len(p), p)).title() if names else ""


def _placed(target: Target) -> str:
    return f"{target.label} on {target.title}" if target.selector else target.title


def _name(target: Target) -> str:
    return target.label if target.selector else target.title
