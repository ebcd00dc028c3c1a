"""`voicetour crawl` against fixture products served on 127.0.0.1 (tests/sites.py)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from voicetour.cli import main
from voicetour.crawl.build import build_site, summarize
from voicetour.crawl.extract import extract
from voicetour.crawl.fetch import CrawlResult, Limits, crawl_static
from voicetour.crawl.urls import normalise
from voicetour.evaluate import evaluate
from voicetour.session.engine import Engine
from voicetour.site.model import parse_site

from .conftest import running
from .sites import helio_app, nimbus_app

HELIO_SPEECH = Path(__file__).parent / "fixtures" / "helio-speech"


@pytest.fixture(scope="module")
def helio():  # type: ignore[no-untyped-def]
    with running(helio_app()) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def helio_site(helio):  # type: ignore[no-untyped-def]
    return build_site(crawl_static(helio + "/"))


def test_static_crawl_learns_the_product(helio, helio_site) -> None:  # type: ignore[no-untyped-def]
    site = parse_site(helio_site)  # a valid site file
    assert site.name == "Helio CRM" and site.base_url == helio
    by_url = {p.url: p for p in site.pages}
    assert set(by_url) == {"/index.html", "/contacts.html", "/deals.html", "/calendar.html?month=1",
                           "/inbox.html", "/settings/"}
    settings = by_url["/settings/"]
    assert settings.title == "Settings" and "Workspace settings" in settings.aliases  # nav label, then h1
    assert settings.description == "Who can use Helio, and what you pay for it."
    assert {(e.label, e.kind, e.selector) for e in settings.elements} == {
        ("Users and seats", "section", "#users"), ("Billing and plan", "section", "#billing"),
        ("Invite user", "button", "#invite-user")}
    raw_contacts = next(p for p in helio_site["pages"] if p["url"] == "/contacts.html")
    form = next(e for e in raw_contacts["elements"] if e["kind"] == "form")
    assert form["label"] == "Add contact" and form["selector"] == "#add-contact"
    assert form["fields"] == [
        {"label": "Name", "type": "text"}, {"label": "Email", "type": "email"},
        {"label": "Stage", "type": "select", "options": ["Lead", "Customer"]},
        {"label": "owner", "type": "radio", "options": ["Me", "My team"]}]
    # A link in the text names where it goes; a link dressed as a button is an action here.
    assert "Add a contact" in by_url["/contacts.html"].aliases
    assert "Create a deal" not in by_url["/deals.html"].aliases
    assert ("Create a deal", "button") in {(e.label, e.kind) for e in by_url["/index.html"].elements}
    # A counter ("12" unread) is not something people ask for: not an element, not in the grammar.
    assert [e.label for e in by_url["/inbox.html"].elements] == ["Compose message"]
    # The header's Help button is on every page: kept once.
    assert sum(e.label == "Help" for p in site.pages for e in p.elements) == 1


def test_limits_and_bad_urls_are_reported_not_followed(helio) -> None:  # type: ignore[no-untyped-def]
    result = crawl_static(helio + "/")
    problems = {p.url.removeprefix(helio): p.what for p in result.problems}
    assert problems["/old-pricing"].startswith("redirects off-site to https://example.invalid/pricing")
    assert problems["/broken"] == "HTTP 500 Internal Server Error"
    assert problems["/terms.pdf"] == "not HTML (application/pdf)"
    assert problems["/private/admin.html"] == "disallowed by robots.txt"
    assert result.skipped["off-site"] >= 1
    assert any("query variants of /calendar.html" in why for why in result.skipped)  # the endless calendar
    small = crawl_static(helio + "/", Limits(max_pages=2))
    assert len(small.pages) == 2 and small.stopped == "page limit (2)"
    ticks = iter(range(0, 10**12, 600_000_000))  # a clock that moves 0.6 s per reading
    slow = crawl_static(helio + "/index.html", Limits(seconds=1.0), now=lambda: next(ticks))
    assert len(slow.pages) == 1 and slow.stopped == "time limit (1 s)"
    shallow = crawl_static(helio + "/", Limits(max_depth=0))
    assert [p.url.removeprefix(helio) for p in shallow.pages] == ["/index.html"]


def test_crawl_command_writes_the_site_and_refuses_empty_crawls(helio, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "site.json"
    assert main(["crawl", helio + "/", "--out", str(out)]) == 0
    report = capsys.readouterr()
    assert "Helio CRM: 6 pages" in report.out and "inboxes (espeak)" in report.out
    assert "/broken: HTTP 500" in report.err
    assert json.loads(out.read_text())["name"] == "Helio CRM"
    slow = tmp_path / "slow.json"
    assert main(["crawl", helio + "/slow.html", "--out", str(slow), "--timeout", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "slow.html: timed out" in err and "found no HTML page; nothing written" in err and not slow.exists()
    assert main(["crawl", "http://127.0.0.1:9/", "--out", str(slow)]) == 1
    assert "unreachable: ConnectError" in capsys.readouterr().err
    assert main(["crawl", "ftp://example.com/", "--out", str(slow)]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err


def test_crawled_text_is_data_not_markup() -> None:
    html = ('<title>&lt;img src=x onerror=alert(1)&gt; | Evil</title><h1>Hi</h1>'
            '<button id="b">&lt;script&gt;alert(1)&lt;/script&gt;</button>')
    info = extract("http://x/", html)
    assert info.title.startswith("<img src=x onerror=alert(1)>")  # kept literally, as text
    assert info.controls[0].label == "<script>alert(1)</script>"
    # An id is data too, never part of a selector; and a path never becomes another host.
    form = extract("http://x/", '<form><label for=\'a"]\'>Name</label><input id=\'a"]\'><button>Save</button></form>')
    assert [f.label for f in form.controls[-1].fields] == ["Name"]
    assert normalise("http://x/", "http://x//evil.example/x") == "http://x/evil.example/x"


def test_single_page_app_rendered_by_clicking_its_links(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from voicetour.crawl.render import crawl_rendered

    with running(nimbus_app()) as port:
        base = f"http://127.0.0.1:{port}"
        result = crawl_rendered(base + "/")
    site = parse_site(build_site(result))
    by_url = {p.url: p for p in site.pages}
    # /knowledge-base/new exists only after two clicks (the server answers 404 to it).
    assert set(by_url) == {"/", "/tickets", "/customers", "/knowledge-base", "/knowledge-base/new", "/settings/team"}
    assert by_url["/settings/team"].title == "Team settings"
    assert {e.selector for e in by_url["/tickets"].elements} == {"#new-ticket", "#escalated"}
    assert not result.problems


def test_unseen_product_crawled_then_spoken_to(helio_site) -> None:  # type: ignore[no-untyped-def]
    """Issue 4's bar on our fixture: 3 voices, out-of-domain included."""
    site = parse_site(helio_site)
    assert summarize(helio_site).pages == 6
    report = evaluate(Engine.for_site(site), HELIO_SPEECH)
    assert report["accuracy"] >= 0.9, [(r["text"], r["heard"], r["final_url"]) for r in report["rows"] if not r["ok"]]
    assert report["ood_rejection_rate"] == 1.0 and report["false_action_rate"] == 0.0


def test_a_page_is_also_named_within_its_navigation_submenu() -> None:
    """sneat files Account, Notifications and Connections under "Account Settings"; people say
    "notification settings". sb-admin-2 puts Buttons under a collapsed "Components" panel."""
    nav = ('<nav><ul><li><a href="/">Home</a></li>'
           '<li><a href="#" class="toggle"><div>Account Settings</div></a><ul>'
           '<li><a href="/account">Account</a></li><li><a href="/notifications">Notifications</a></li></ul></li>'
           '</nav><ul id="side"><li><a data-toggle="collapse" data-target="#c2" href="#"><span>Components</span></a>'
           '<div id="c2" class="collapse"><h6>Custom Components:</h6><a href="/buttons">Buttons</a></div></li></ul>')
    result = CrawlResult(start="http://x/", origin="http://x")
    for path, title in (("/", "Home"), ("/account", "Account"), ("/notifications", "Notifications"),
                        ("/buttons", "Buttons")):
        result.pages.append(extract("http://x" + path, f"<title>{title}</title>{nav}<h1>{title}</h1>"))
    groups = {link.text: link.group for link in result.pages[0].links}
    assert groups == {"Home": "", "Account Settings": "", "Account": "Account Settings",
                      "Notifications": "Account Settings", "Components": "", "Buttons": "Components"}
    by_url = {p.url: p for p in parse_site(build_site(result)).pages}
    assert by_url["/notifications"].title == "Notifications"  # the link's own text stays the name
    assert "Account Settings Notifications" in by_url["/notifications"].aliases
    assert "Account Settings" in by_url["/account"].aliases
    assert "Components Buttons" in by_url["/buttons"].aliases
    assert not by_url["/"].aliases
    ranker = Engine.for_site(parse_site(build_site(result)), verify=False).ranker
    assert ranker.rank("where are my notification settings")[0].target.url == "/notifications"


def test_robots_txt_as_rfc_9309_reads_it() -> None:
    """A 5xx robots.txt means the site cannot say: nothing is crawled. A redirect is followed."""
    import httpx

    def site(robots: httpx.Response) -> httpx.MockTransport:
        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/robots.txt":
                return robots
            if request.url.path == "/rules.txt":
                return httpx.Response(200, text="User-agent: *\nDisallow: /private\n")
            return httpx.Response(200, html='<title>Home</title><a href="/private">Private</a><a href="/a">A</a>')
        return httpx.MockTransport(answer)

    down = crawl_static("http://x/", transport=site(httpx.Response(503)))
    assert not down.pages and "disallowed by robots.txt" in {p.what for p in down.problems}
    moved = crawl_static("http://x/", transport=site(httpx.Response(301, headers={"Location": "/rules.txt"})))
    assert {p.url for p in moved.pages} == {"http://x/", "http://x/a"}
    assert not crawl_static("http://x/", transport=site(httpx.Response(404))).problems  # no rules: all allowed


def test_a_page_that_trickles_in_stops_at_the_crawls_time_limit() -> None:
    import httpx

    t = [0]

    def trickle():  # type: ignore[no-untyped-def]
        yield b"<title>Slow</title>"
        for _ in range(100):
            t[0] += 1_000_000_000  # a byte a second
            yield b" "

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, headers={"content-type": "text/html"}, stream=_Stream(trickle()))

    result = crawl_static("http://x/", Limits(seconds=8, timeout=3), transport=httpx.MockTransport(answer),
                          now=lambda: t[0])
    assert not result.pages and t[0] <= 10_000_000_000
    assert [p.what for p in result.problems] == ["still arriving at the crawl's time limit; skipped"]


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks):  # type: ignore[no-untyped-def]
        self.chunks = chunks

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.chunks)


def test_replies_say_what_the_page_says_not_its_title_again() -> None:
    """Gentelella's meta descriptions are "Kanban — Kanban. Free admin template by Colorlib. ..."
    and a breadcrumb; the reply read them ("Here is Kanban. Kanban — Kanban.")."""
    from voicetour.intent.naming import targets_of
    from voicetour.session.reply import reply_for

    nav = '<nav><a href="/kanban">Kanban</a><a href="/product">Product</a><a href="/settings">Settings</a></nav>'
    boiler = "Free admin template by Colorlib, with sixty pages."
    pages = {
        "/kanban": f'<meta name="description" content="Kanban — Kanban. {boiler}"><h1>Kanban board</h1>'
                   '<main><button>+ New card</button></main>',
        "/product": f'<meta name="description" content="AdminLTE Pro · Product — Storefront > AdminLTE Pro. {boiler}">'
                    "<h1>Order #7841 Paid</h1><main><p>Usage: { position: fixed } in the stylesheet</p>"
                    "<p>Acme Corp 456 Customer Ave, CA 94105 VAT US-1234.</p></main>",
        "/settings": f'<meta name="description" content="{boiler}"><h1>Settings</h1><main>'
                     "<p>Update your personal information and profile details</p><section id=notify>"
                     "<h2>Notifications</h2><p>Choose what you want to be notified about.</p></section></main>",
    }
    result = CrawlResult(start="http://x/kanban", origin="http://x")
    for path, body in pages.items():
        result.pages.append(extract("http://x" + path, f"<title>{path[1:]} | Gentelella</title>{nav}{body}"))
    site = parse_site(build_site(result))
    replies = {(t.url, t.label): reply_for(t) for t in targets_of(site)}
    assert replies["/kanban", "Kanban"] == "Here is the Kanban board."  # its heading; no title, no boilerplate
    assert replies["/kanban", "+ New card"] == "To add a card, use New card, highlighted on the Kanban board."
    assert replies["/product", "Product"] == "Here is the Product page."  # no breadcrumb, code, address, record
    assert replies["/settings", "Settings"] == \
        "Here is the Settings page. Update your personal information and profile details."
    assert replies["/settings", "Notifications"] == \
        "Here is Notifications, on the Settings page. Choose what you want to be notified about."
    home = parse_site({"version": 1, "name": "tabler", "pages": [{"id": "home", "url": "/", "title": "Home"}]})
    assert reply_for(targets_of(home)[0]) == "Here is the home page."  # not "Here is the Home."


def test_order_numbers_and_badges_do_not_name_a_page() -> None:
    """AdminLTE 3: the dashboard's orders table links "OR9842", "OR1848" to the invoice page, and
    the Modals page's h1 carries a "new" badge (<h1>Modals &amp; Alerts <small>new</small></h1>)."""
    nav = '<nav><a href="/">Dashboard</a><a href="/invoice">Invoice</a><a href="/modals">Modals &amp; Alerts</a></nav>'
    pages = {
        "/": '<h1>Dashboard</h1><table><tr><td><a href="/invoice">OR9842</a></td></tr>'
             '<tr><td><a href="/invoice">OR1848</a></td></tr></table>',
        "/invoice": "<h1>Invoice</h1>",
        "/modals": "<h1>Modals &amp; Alerts <small>new</small></h1>",
    }
    result = CrawlResult(start="http://x/", origin="http://x")
    for path, body in pages.items():
        result.pages.append(extract("http://x" + path, f"<title>AdminLTE 3</title>{nav}{body}"))
    by_url = {p.url: p for p in parse_site(build_site(result)).pages}
    assert by_url["/invoice"].title == "Invoice" and not by_url["/invoice"].aliases
    assert by_url["/modals"].title == "Modals & Alerts" and not by_url["/modals"].aliases


def test_icon_font_ligatures_are_not_names() -> None:
    """AdminBSB (Material icons): the navigation's "<i class="material-icons">home</i> Home" read
    "home Home", and "swap_calls User Interface (UI)" named every UI page. An icon-only button
    keeps its aria-label."""
    nav = ('<nav><a href="/"><i class="material-icons">home</i><span>Home</span></a>'
           '<a href="/typography"><i class="material-icons">text_fields</i><span>Typography</span></a></nav>'
           '<button aria-label="Search"><span class="material-symbols-outlined">search</span></button>')
    result = CrawlResult(start="http://x/", origin="http://x")
    for path, h2 in (("/", "Dashboard"), ("/typography", "Typography")):
        result.pages.append(extract("http://x" + path, f"<title>AdminBSB</title>{nav}<h2 id='top'>{h2}</h2>"))
    site = parse_site(build_site(result))
    by_url = {p.url: p for p in site.pages}
    assert by_url["/typography"].title == "Typography"
    assert "home Home" not in by_url["/"].aliases and "Home" in (by_url["/"].title, *by_url["/"].aliases)
    labels = {e.label for p in site.pages for e in p.elements}
    assert "Search" in labels and not any("search" in label for label in labels)


def test_view_all_and_the_short_logo_do_not_name_a_page() -> None:
    """Stisla: a card's "View All" link leads to the Tickets page ("thanks, that's all for now"
    went there), and the collapsed sidebar's logo "St" links to the dashboard."""
    nav = ('<nav><a href="/">Dashboard</a><a href="/tickets">Tickets</a></nav>'
           '<div class="sidebar-brand"><a href="/">Stisla</a></div>'
           '<div class="sidebar-brand-sm"><a href="/">St</a></div>')
    pages = {"/": '<h1>Dashboard</h1><div class="card"><h4>Tickets</h4><a href="/tickets">View All</a></div>',
             "/tickets": "<h1>Tickets</h1>", "/posts": "<h1>Posts</h1><a href='/tickets'>Support tickets</a>"}
    result = CrawlResult(start="http://x/", origin="http://x")
    for path, body in pages.items():
        result.pages.append(extract("http://x" + path, f"<title>Stisla</title>{nav}{body}"))
    by_url = {p.url: p for p in parse_site(build_site(result, name="Stisla")).pages}
    assert by_url["/tickets"].title == "Tickets" and by_url["/tickets"].aliases == ("Support tickets",)
    assert "St" not in by_url["/"].aliases


def test_rows_of_a_table_do_not_name_the_page_they_link_to() -> None:
    """tabler: the dashboard's projects table links "Design Works", "New Dashboard" ... to the
    invoice page, which its <title> calls Invoice."""
    rows = "".join(f'<tr><td><a href="/invoice">{n}</a></td></tr>' for n in ("Design Works", "New Dashboard"))
    pages = {"/": f"<h1>Home</h1><table>{rows}</table>", "/invoice": "<title>Invoice - tabler</title><h3>#INV0015</h3>"}
    result = CrawlResult(start="http://x/", origin="http://x")
    for path, body in pages.items():
        result.pages.append(extract("http://x" + path, f"<nav><a href='/'>Home</a></nav>{body}"))
    by_url = {p.url: p for p in parse_site(build_site(result, name="tabler")).pages}
    assert by_url["/invoice"].title == "Invoice" and not by_url["/invoice"].aliases


def test_an_unlinked_page_headed_like_a_linked_one_is_called_by_its_path() -> None:
    """ThemeKit: the menu's "Layouts" page, and an item's edit page reached by an icon whose heading
    is "Layouts" too: "open the layouts page" asked which one."""
    nav = '<nav><a href="/pages/layouts.html">Layouts</a><a href="/index.html">Dashboard</a></nav>'
    pages = {"/index.html": "<h1>Dashboard</h1>",
             "/pages/layouts.html": '<h1>Layouts</h1><a href="/pages/layout-edit-item.html"><i class="edit"></i></a>',
             "/pages/layout-edit-item.html": "<h1>Layouts</h1><form><label>Item</label><input></form>"}
    result = CrawlResult(start="http://x/index.html", origin="http://x")
    for path, body in pages.items():
        result.pages.append(extract("http://x" + path, f"<title>ThemeKit</title>{nav}{body}"))
    by_url = {p.url: p for p in parse_site(build_site(result, name="ThemeKit")).pages}
    assert by_url["/pages/layouts.html"].title == "Layouts"
    assert by_url["/pages/layout-edit-item.html"].title == "Layout Edit Item"
    ranker = Engine.for_site(parse_site(build_site(result, name="ThemeKit")), verify=False).ranker
    from voicetour.session.policy import PolicyConfig, decide

    verdict, top = decide(ranker.rank("open the layouts page"), PolicyConfig())
    assert verdict == "accept" and top is not None and top.target.url == "/pages/layouts.html"


def test_a_stylesheet_that_does_not_load_is_a_problem_the_crawl_reports() -> None:
    """ThemeKit, Stisla and AdminLTE 3 as npm ships them link stylesheets under node_modules/ or
    plugins/ that the package does not hold: their pages look unstyled, in the tour too, and the
    tour looking like the product cannot tell."""
    head = '<link rel="stylesheet" href="css/theme.css"><link rel="stylesheet" href="node_modules/b/b.css">'

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in ("/", "/pages/b.html"):
            page = f'<title>T</title>{head}<a href="/pages/b.html">B</a>' if path == "/" else \
                '<title>B</title><link rel="stylesheet" href="../node_modules/b/b.css">'
            return httpx.Response(200, headers={"content-type": "text/html"}, text=page)
        if path == "/css/theme.css":
            return httpx.Response(200, headers={"content-type": "text/css"}, text="body{}")
        return httpx.Response(404)

    result = crawl_static("http://x/", transport=httpx.MockTransport(answer))
    assert len(result.pages) == 2
    problems = {p.url: p.what for p in result.problems}
    assert problems == {"http://x/node_modules/b/b.css": "stylesheet HTTP 404: the 2 pages that link it look "
                                                         "unstyled, in the tour too"}
