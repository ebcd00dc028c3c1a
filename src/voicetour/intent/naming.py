"""Derive what people will say for each page and element of a site.

A hand-written site file may hold only titles and labels; from those we derive singular and
plural forms, the words of a multi-word title, "<verb> <object>" tasks from action labels with
object synonyms ("invite a colleague" -> "invite a teammate"), and page synonyms from a small
SaaS lexicon (billing ~ invoices ~ payments ~ subscription) unless another page owns the word,
and numbered names as people say them ("Dashboard v2": "dashboard two", "the second dashboard").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voicetour.intent.text import CARRIERS, NUMBER_WORDS, stem, words
from voicetour.site.model import Site

# Groups of words people use for the same thing in SaaS products.
LEXICON: tuple[frozenset[str], ...] = tuple(
    frozenset(g.split(","))
    for g in (
        "billing,invoices,payments,subscription,plans,pricing",
        "pricing,prices,price,plans,cost,costs",
        "team,users,members,seats,people,teammates,colleagues,coworkers",
        "settings,preferences,account,configuration",
        "reports,analytics,statistics,stats,insights",
        "dashboard,home,overview",
        "integrations,apps,connections,plugins,extensions",
        "help,support,documentation,docs,faq",
        "notifications,alerts,emails",
        "projects,workspaces",
        "security,password,passwords,authentication,login",
        "profile,me,name,avatar",
        "api keys,tokens,api tokens,keys",
        "customers,clients,contacts",
        "deals,opportunities,pipeline,sales",
        "tasks,todos,to dos,activities",
        "messages,inbox,conversations,chat,mailbox,mail",
        # pages most admin templates have (AdminLTE, sneat, gentelella, sb-admin-2)
        "e commerce,ecommerce,store,shop,online store,online shop,storefront",
        "compose,compose message,write,write a message,write an email,new message,new email",
        "calendar,schedule,events,agenda",
        "kanban,kanban board,task board",
        "gallery,photos,pictures,images,photo gallery",
        "timeline,history,activity",
        "contact us,contact,get in touch",
        "register,registration,sign up,signup,create an account,create account",
        "login,log in,sign in,signin",
        "editors,text editors,text editor,editor",
    )
)
# Object nouns that an action label's object may be replaced with.
OBJECT_SYNONYMS: tuple[frozenset[str], ...] = tuple(
    frozenset(g.split(","))
    for g in (
        "colleague,teammate,team member,coworker,user,member,person,someone,people,new user",
        "report,reports,data,csv,spreadsheet",
        "invoice,invoices,bill,receipt",
        "plan,subscription",
        "password,passwords",
        "api key,key,token,api token",
        "project,new project,app",
        "card,credit card,payment method",
        "webhook,hook",
        "customer,client,contact",
        "deal,opportunity",
    )
)
ACTION_VERBS = frozenset(
    """invite add create export download import upload schedule change update delete remove
    connect contact send save manage enable disable edit rename archive share print pay cancel
    upgrade downgrade reset generate book assign log""".split()
)
ARTICLES = ("a", "an", "the", "my", "our", "new")
MAKING = frozenset("create add make".split())
WRITINGS = frozenset("post article message email note comment review reply story".split())
"""Things people "write" where the product says create, add or make ("how do I write a new post":
Stisla's Create New Post, which the Posts page outranked while "write" was no word of the
product). Not one making verb for another: "add account" for "create an account" turned
whisper's "Open Account, Addings" (for "open account settings") into the register page."""
ERROR_NAMES = {
    "400": ("bad request",), "401": ("unauthorized",), "403": ("forbidden", "access denied"),
    "404": ("page not found", "not found"), "500": ("server error", "internal server error"),
    "503": ("service unavailable", "unavailable"),
}
"""What an error page's code means, as people ask for it ("the page not found error": Stisla's
page "404", AdminLTE 3's "Error 404")."""


@dataclass(frozen=True, slots=True)
class Target:
    """Something the agent can take the user to: a page, or an element on a page."""

    id: str
    page_id: str
    url: str
    title: str
    label: str
    selector: str | None
    description: str
    """One sentence about it: the page's, or the element's (a section's first sentence)."""
    phrases: tuple[str, ...]
    """Normalised word sequences (lowercase, space-separated) people may say for it."""
    heading: str = ""
    """What its page calls itself at the top (its h1), when that says more than the title."""
    kind: str = "page"
    """"page", or the element's kind (button, link, section, form, ...)."""

    @property
    def is_element(self) -> bool:
        return self.selector is not None


def _norm(text: str) -> str:
    return " ".join(words(text))


def _number_variants(phrase: str) -> set[str]:
    """The phrase with its last word in singular and plural form."""
    ws = phrase.split()
    if not ws:
        return set()
    last = ws[-1]
    out = {phrase}
    if last.endswith("ies") and len(last) > 4:
        out.add(" ".join([*ws[:-1], last[:-3] + "y"]))
    elif last.endswith("s") and not last.endswith(("ss", "us", "is")) and len(last) > 3:
        out.add(" ".join([*ws[:-1], last[:-1]]))
    elif last.endswith("y") and len(last) > 2 and last[-2] not in "aeiou":
        out.add(" ".join([*ws[:-1], last[:-1] + "ies"]))
    elif last.isalpha() and len(last) > 2 and not last.endswith("s"):
        out.add(" ".join([*ws[:-1], last + ("es" if last.endswith(("sh", "ch", "x")) else "s")]))
    return out


def _strip_carriers(phrase: str) -> str:
    ws = phrase.split()
    while ws and ws[0] in CARRIERS:
        ws = ws[1:]
    while ws and ws[-1] in CARRIERS:
        ws = ws[:-1]
    return " ".join(ws)


def _task_variants(phrase: str) -> set[str]:
    """'invite a colleague' -> 'invite a teammate', 'invite someone', ... (object synonyms)."""
    ws = phrase.split()
    if len(ws) < 2 or ws[0] not in ACTION_VERBS:
        return set()
    verb, rest = ws[0], ws[1:]
    while rest and rest[0] in ARTICLES:
        rest = rest[1:]
    obj = " ".join(rest)
    if not obj:
        return set()
    objects = {obj}
    for group in OBJECT_SYNONYMS:
        if obj in group or any(obj == o + "s" for o in group):
            objects |= group
    out: set[str] = set()
    for thing in objects:
        for said in _verbs(verb, thing):
            out.add(f"{said} {thing}")
            article = "an" if thing[0] in "aeio" else "a"
            if not thing.endswith("s") and thing not in ("someone", "data"):
                out.add(f"{said} {article} {thing}")
    return out


def _verbs(verb: str, thing: str) -> set[str]:
    """The verb of a task, and "write" for a writing (``WRITINGS``)."""
    last = thing.split()[-1]
    return {verb, "write"} if verb in MAKING and last.removesuffix("s") in WRITINGS else {verb}


PLACE_WORDS = frozenset("center centre hub portal area".split())
"""A page name ending in one of these is also said without it: "I need help" for the Help center."""


ORDINALS = ("", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth")
VERSIONED = re.compile(r"(.*[a-z].*?)\s+v?(\d)")
"""A name that ends in a version or a number ("Dashboard v2", "Dashboard 2"), as people say it:
"dashboard two", "the second dashboard"."""


def _numbered(name: str) -> set[str]:
    m = VERSIONED.fullmatch(_norm(name))
    if m is None:
        return set()
    rest, n = m.group(1), int(m.group(2))
    return {f"{rest} {NUMBER_WORDS[n]}", f"{rest} {n}"} | ({f"{ORDINALS[n]} {rest}"} if n else set())


def _error_names(name: str) -> set[str]:
    """"page not found" and "not found" for "404", "Error 404" (``ERROR_NAMES``)."""
    return {meaning for w in words(name) for meaning in ERROR_NAMES.get(w, ())}


LEAD_VERBS = frozenset("read view see visit browse explore check open".split())
OWNERS = frozenset("our your the my all".split())


def _led(name: str) -> str:
    """What a link text led by a verb and an owner names: "Read our documentation" ->
    "documentation" (tabler's docs, "where is the documentation"); not "Read Mail", a name."""
    ws = words(name)
    return " ".join(ws[2:]) if len(ws) > 2 and ws[0] in LEAD_VERBS and ws[1] in OWNERS else ""


def _placeless(name: str) -> str:
    ws = words(name)
    return " ".join(ws[:-1]) if len(ws) > 1 and ws[-1] in PLACE_WORDS else ""


def _page_synonyms(own: set[str], taken: set[str]) -> set[str]:
    """The words of ``LEXICON`` for a page named by one of them, whole or as one word of its
    name ("how much does it cost": tabler's "Pricing cards"), but those another page is called
    (``taken``), whole or, for one word, in part: tabler's Invoice page was "pricing" while its
    pricing page is "Pricing cards"."""
    said_elsewhere = {stem(w) for name in taken for w in name.split() if w not in CARRIERS}
    own_words = {w for name in own for w in name.split() if w not in CARRIERS and stem(w) not in said_elsewhere}
    out: set[str] = set()
    for group in LEXICON:
        if own & group or own_words & group:
            out |= {w for w in group if w not in taken and not (" " not in w and stem(w) in said_elsewhere)}
    return out


def expand(phrases: set[str]) -> set[str]:
    """Number variants, carrier-stripped forms and task variants of each phrase."""
    out: set[str] = set()
    for p in phrases:
        p = _norm(p)
        if not p:
            continue
        core = _strip_carriers(p) or p
        for form in (p, core):
            out |= _number_variants(form)
            out |= _task_variants(form)
        if " and " in f" {core} ":
            for part in core.split(" and "):
                out |= _number_variants(part.strip())
    return {p for p in out if p}


def targets_of(site: Site) -> list[Target]:
    """Every page and element of the site with the phrases people may use for it."""
    own_words = {p.id: {_norm(x) for x in (p.title, *p.aliases)} for p in site.pages}
    taken_by: dict[str, set[str]] = {
        pid: set().union(*(v for k, v in own_words.items() if k != pid)) for pid in own_words
    }
    result: list[Target] = []
    for page in site.pages:
        own = own_words[page.id]
        base = {page.title, *page.aliases, page.id.replace("-", " ").replace("_", " ")}
        taken = set().union(*(expand(t) for t in [taken_by[page.id]]))
        base |= _page_synonyms(own | expand(own), taken)
        base |= {n for n in map(_placeless, (page.title, *page.aliases)) if n and n not in taken}
        led = {n for n in map(_led, page.aliases) if n and n not in taken}
        base |= led | _page_synonyms(led, taken)
        base |= {n for name in (page.title, *page.aliases) for n in _numbered(name) if n not in taken}
        base |= {n for name in (page.title, *page.aliases) for n in _error_names(name) if n not in taken}
        result.append(
            Target(page.id, page.id, page.url, page.title, page.title, None, page.description,
                   tuple(sorted(expand(base))), page.heading)
        )
        for el in page.elements:
            phrases = expand({el.label, *el.aliases})
            result.append(
                Target(f"{page.id}#{el.id}", page.id, page.url, page.title, el.label,
                       el.selector, el.description, tuple(sorted(phrases)), page.heading, el.kind)
            )
    return result
