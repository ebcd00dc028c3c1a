import pytest

from voicetour.intent.naming import targets_of
from voicetour.intent.ranker import Ranker
from voicetour.intent.text import compounds, words
from voicetour.site.model import parse_site

HELIO = parse_site({
    "name": "Helio CRM", "base_url": "http://127.0.0.1:8123",
    "pages": [
        {"id": "team", "url": "/team.html", "title": "Team settings",
         "elements": [{"id": "invite", "label": "Invite a colleague", "selector": "#invite"}]},
        {"id": "deals", "url": "/deals.html", "title": "Deals"},
        {"id": "invoices", "url": "/invoices.html", "title": "Invoice"},
        {"id": "contacts", "url": "/contacts.html", "title": "Contacts"},
    ],
})


@pytest.fixture(scope="module")
def ranker() -> Ranker:
    return Ranker(targets_of(HELIO))


@pytest.mark.parametrize(
    ("said", "target"),
    [
        ("how do i invite a colleague", "team#invite"),
        ("how do i invite a teammate", "team#invite"),
        ("show me the deal page", "deals"),
        ("my deals", "deals"),
        ("open invoices", "invoices"),
        ("take me to the contact page", "contacts"),
        ("team", "team"),
        ("show me the opportunities", "deals"),
    ],
)
def test_titles_and_labels_alone_give_what_people_say(ranker: Ranker, said: str, target: str) -> None:
    ranked = ranker.rank(said)
    assert ranked and ranked[0].target.id == target, [(r.target.id, r.score) for r in ranked]


@pytest.mark.parametrize("said", ["what is the weather like", "tell me a joke", "", "show me the"])
def test_out_of_domain_ranks_nothing(ranker: Ranker, said: str) -> None:
    assert ranker.rank(said) == []


def test_demo_site_phrases(engine) -> None:  # type: ignore[no-untyped-def]
    r = engine.ranker
    assert r.rank("how do i export a report")[0].target.id == "reports#export-report"
    assert r.rank("show me billing")[0].target.id == "billing"
    assert r.rank("where are my invoices")[0].target.selector == "#invoices"


def test_help_me_is_a_lead_unless_it_is_all_that_is_said(engine) -> None:  # type: ignore[no-untyped-def]
    r = engine.ranker
    assert r.rank("help me find my invoices")[0].target.page_id == "billing"
    assert r.rank("can you help me book a flight", fuzzy=True) == []
    assert r.rank("help")[0].target.page_id == "support"
    assert r.rank("Help, be agile.", fuzzy=True) == []  # whisper's words for "tell me a joke" in noise
    assert r.rank("where can I get help please")[0].target.page_id == "support"


def test_fuzzy_matching_is_for_free_transcripts_and_careful(engine) -> None:  # type: ignore[no-untyped-def]
    r = engine.ranker
    assert r.rank("show me building") == []
    assert r.rank("show me building", fuzzy=True)[0].target.page_id == "billing"
    assert r.rank("where am i in voices", fuzzy=True)[0].target.page_id == "billing"
    assert r.rank("we won for getting last night", fuzzy=True) == []  # getting is not settings


def test_a_long_word_misheard_at_its_start_is_still_guessed(engine) -> None:  # type: ignore[no-untyped-def]
    r = engine.ranker
    assert r.rank("Open logifications", fuzzy=True)[0].target.page_id == "notifications"
    assert r.rank("Open logifications") == []
    assert r.rank("open a mification", fuzzy=True) == []  # under LONG_WORD letters: the first letter must agree


def test_half_a_name_of_several_words_is_a_guess_not_a_match() -> None:
    from voicetour.session.policy import PolicyConfig

    site = parse_site({"name": "Admin", "base_url": "http://127.0.0.1:8123", "pages": [
        {"id": "dashboard", "url": "/index.html", "title": "Dashboard",
         "elements": [{"id": "export", "label": "Download report", "selector": "#export"}]},
        {"id": "tables", "url": "/tables.html", "title": "Data tables"},
    ]})
    r = Ranker(targets_of(site))
    top = r.rank("show me the data")  # half of a name: at most "did you mean", never a page to go to
    assert top and top[0].target.page_id == "tables" and top[0].score < PolicyConfig().accept_score
    assert r.rank("show me the report")[0].score < PolicyConfig().accept_score
    assert r.rank("show me the data tables")[0].target.page_id == "tables"
    assert r.rank("download the report")[0].target.id == "dashboard#export"


def test_most_of_a_name_is_its_rarest_words() -> None:
    """AdminBSB: "Jummy the Datatables" says most of "Jquery Datatables" ("jquery" names two
    pages); "open the form" little of "Form Wizard" ("form" names three); "add" little of "Add
    webhook" ("add" is on every page)."""
    from voicetour.intent.naming import Target

    def page(name: str) -> Target:
        return Target(id=name, page_id=name, url=f"/{name}.html", title=name, label=name, selector=None,
                      description="", phrases=(name.lower(),), heading="", kind="page")

    names = ["Jquery Datatables", "Jquery Knob", "Form Wizard", "Form Validation", "Form Examples",
             "Add webhook", "Add user", "Add key", "Infobox 1", "Infobox 2", "Infobox 3", "Infobox 4"]
    r = Ranker([page(n) for n in names])
    datatables, wizard, webhook = page("Jquery Datatables"), page("Form Wizard"), page("Add webhook")
    infobox = page("Infobox 2")  # a number said is not most of a name ("Show me two tips.": espeak-ng, "tooltips")
    assert not r.says_most("Show me two tips.", infobox) and not r.says_most("show me 2", infobox)
    assert r.says_whole("show me infobox 2", infobox)
    assert r.says_most("Jummy the Datatables", datatables) and not r.says_whole("Jummy the Datatables", datatables)
    assert not r.says_most("show me the jquery", datatables)
    assert r.says_most("Open the Farm Wizard", wizard) and not r.says_most("open the form", wizard)
    assert not r.says_most("Open the Addings", webhook) and r.says_most("add a webhook", webhook)


def test_short_unknown_words_are_not_guessed(site) -> None:  # type: ignore[no-untyped-def]
    ranker = Ranker(targets_of(site))
    assert ranker.rank("Star", fuzzy=True) == []  # whisper's "stop", not "start" (the dashboard)
    assert ranker.rank("show me building", fuzzy=True)[0].target.url == "/billing.html"


def test_names_and_their_starts_on_a_product_of_many_pages() -> None:
    """Gentelella (46 pages): "I need help" is the Help center, not a Help control elsewhere; a lone
    control word among words the product does not know is a guess; "open the form" is the start
    of other pages' names."""
    from voicetour.session.policy import PolicyConfig

    site = parse_site({"name": "Admin", "base_url": "http://127.0.0.1:8123", "pages": [
        {"id": "elements", "url": "/elements.html", "title": "Elements",
         "elements": [{"id": "help", "label": "Help", "selector": "#help"}]},
        {"id": "faq", "url": "/faq.html", "title": "Help center"},
        {"id": "calendar", "url": "/calendar.html", "title": "Calendar",
         "elements": [{"id": "today", "label": "Today", "selector": "#today"}]},
        {"id": "general", "url": "/form.html", "title": "General", "aliases": ["Forms"]},
        {"id": "wizard", "url": "/form_wizards.html", "title": "Form wizard"},
        {"id": "pricing", "url": "/pricing.html", "title": "Pricing"},
        {"id": "roles", "url": "/roles.html", "title": "Roles"},
        {"id": "team", "url": "/team.html", "title": "Team",
         "elements": [{"id": "quotas", "label": "Quotas", "selector": "#quotas"}]},
        {"id": "mocha", "url": "/mocha.html", "title": "Mocha"},
    ]})
    r = Ranker(targets_of(site))
    assert r.rank("I need help")[0].target.id == "faq"
    assert r.rank("how much does it cost")[0].target.id == "pricing"
    assert r.rank("what's the weather like today")[0].score < PolicyConfig().accept_score
    assert r.rank("show me today")[0].target.id == "calendar#today"
    # real coffee orders: one word of the product's among many it does not know is a guess for
    # a control, but it is the page of that name ("roles" was whisper's "roast")
    assert r.rank("I want a 20-ounce medium quotas triple shot coffee with almond milk")[0].score < 0.5
    assert r.rank("I want a medium mocha with whole milk and sweetener please")[0].target.id == "mocha"
    assert r.rank("I want a 20-ounce medium roles triple shot coffee with almond milk")[0].target.id == "roles"
    assert r.rank("show me the roles")[0].target.id == "roles"
    general = r.rank("open the form")[0].target
    assert general.id == "general" and r.continues("open the form", general)
    assert not r.continues("open the form wizard", r.rank("open the form wizard")[0].target)


def test_names_people_say_for_pages_every_admin_template_has() -> None:
    """AdminLTE 3's pages, as its crawl names them (a template none of the fixtures come from)."""
    site = parse_site({"version": 1, "name": "AdminLTE 3", "pages": [
        {"id": "dashboard-v1", "url": "/index.html", "title": "Dashboard v1", "aliases": ["Dashboard"]},
        {"id": "dashboard-v2", "url": "/index2.html", "title": "Dashboard v2"},
        {"id": "contacts", "url": "/contacts.html", "title": "Contacts"},
        {"id": "contact-us", "url": "/contact-us.html", "title": "Contact us"},
        {"id": "compose", "url": "/compose.html", "title": "Compose"},
        {"id": "e-commerce", "url": "/e-commerce.html", "title": "E-commerce"},
        {"id": "notifications", "url": "/notifications.html", "title": "Notifications"},
        {"id": "settings", "url": "/settings.html", "title": "Settings"},
    ]})
    r = Ranker(targets_of(site))
    top = {said: r.rank(said)[0].target.id for said in (
        "open the second dashboard", "show me dashboard two", "show me the dashboard",
        "where are my contacts", "how can I contact you", "how do I write a new email", "show me the online store")}
    assert top == {"open the second dashboard": "dashboard-v2", "show me dashboard two": "dashboard-v2",
                   "show me the dashboard": "dashboard-v1", "where are my contacts": "contacts",
                   "how can I contact you": "contact-us", "how do I write a new email": "compose",
                   "show me the online store": "e-commerce"}
    # the same word once stemmed: the page said as written wins, by the margin `decide` asks for
    contacts = r.rank("where are my contacts")
    assert contacts[0].score - contacts[1].score >= 0.05
    # different words that name two pages alike stay a tie (the agent asks which)
    both = r.rank("notification settings")
    assert {x.target.id for x in both[:2]} == {"notifications", "settings"} and both[0].score == both[1].score


def test_controls_alike_on_two_pages_go_where_the_words_name_the_page() -> None:
    """A dashboard's "Create a deal" shortcut and the Deals page's own "Create deal" tie on
    "I want to create a deal": the one on the page the words also name wins, clear of the
    margin ``decide`` asks for, rather than a question whose answers read alike."""
    site = parse_site({"version": 1, "name": "Helio", "pages": [
        {"id": "home", "url": "/index.html", "title": "Home", "elements": [
            {"id": "create-deal", "selector": "#new-deal", "label": "Create a deal"}]},
        {"id": "deals", "url": "/deals.html", "title": "Deals", "elements": [
            {"id": "create-deal", "selector": "#create", "label": "Create deal"}]},
        {"id": "contacts", "url": "/contacts.html", "title": "Contacts", "elements": [
            {"id": "import", "selector": "#import", "label": "Import a file"}]},
        {"id": "leads", "url": "/leads.html", "title": "Leads", "elements": [
            {"id": "import", "selector": "#import", "label": "Import file"}]},
    ]})
    r = Ranker(targets_of(site))
    deal = r.rank("I want to create a deal")
    assert deal[0].target.url == "/deals.html" and deal[0].target.label == "Create deal"
    assert deal[0].score - next(x.score for x in deal if x.target.url == "/index.html") >= 0.05
    # neither page named: the two stay tied (the agent asks, naming the pages)
    both = r.rank("import a file")
    assert {x.target.url for x in both[:2]} == {"/contacts.html", "/leads.html"} and both[0].score == both[1].score


def test_stisla_requests_people_phrase_their_own_way() -> None:
    """Stisla (81 pages, a product none of the rules came from): an error page by what its code
    means, an account created on the register page, a post written on the post editor, and
    everyday words that are part of a page's name ("weather" of Weather Icon) are not a request."""
    site = parse_site({"version": 1, "name": "Stisla", "pages": [
        {"id": "posts", "url": "/features-posts.html", "title": "Posts",
         "elements": [{"id": "add", "selector": "#add", "label": "Add New"}]},
        {"id": "post-create", "url": "/features-post-create.html", "title": "Post Create",
         "aliases": ["Create New Post"]},
        {"id": "register", "url": "/auth-register.html", "title": "Register"},
        {"id": "card", "url": "/bootstrap-card.html", "title": "Card",
         "elements": [{"id": "new-account", "selector": "#a", "label": "Create new Account?"},
                      {"id": "delete-all", "selector": "#d", "label": "Delete All"}]},
        {"id": "e404", "url": "/errors-404.html", "title": "404", "aliases": ["Errors 404"]},
        {"id": "e500", "url": "/errors-500.html", "title": "500", "aliases": ["Errors 500"]},
        {"id": "weather-icon", "url": "/modules-weather-icon.html", "title": "Weather Icon"},
        {"id": "ion-icons", "url": "/modules-ion-icons.html", "title": "Ion Icons"},
        {"id": "table", "url": "/bootstrap-table.html", "title": "Table", "aliases": ["Bootstrap Table"]},
        {"id": "table-2", "url": "/components-table.html", "title": "Table", "aliases": ["Components Table"]},
        *({"id": f"bootstrap-{n}", "url": f"/bootstrap-{n}.html", "title": n.title(), "aliases": [f"Bootstrap {n}"]}
          for n in ("alert", "badge", "card", "modal", "carousel", "collapse", "dropdown", "form", "nav", "navbar",
                    "pagination", "popover", "progress", "tooltip", "typography", "breadcrumb", "buttons", "media",
                    "jumbotron", "spinner", "toast")),
    ]})
    r = Ranker(targets_of(site))
    top = {said: r.rank(said, fuzzy=True)[0].target.id for said in (
        "show me the page not found error", "how do I create an account", "how do I write a new post",
        "show me all the posts", "show me the weather icons", "open the server error page")}
    assert top == {"show me the page not found error": "e404", "how do I create an account": "register",
                   "how do I write a new post": "post-create", "show me all the posts": "posts",
                   "show me the weather icons": "weather-icon", "open the server error page": "e500"}
    e404 = next(t for t in r.targets if t.id == "e404")  # a meaning is said, not written: never the
    assert r.words_named("show me our not found", e404) == 0  # grammar's page alone (tabler's flashes)
    posts = r.rank("show me all the posts")
    assert posts[0].score - posts[1].score >= 0.05  # "all" is not a word of "Delete All"
    from voicetour.session.policy import PolicyConfig, decide

    for chat in ("what's the weather like today", "thanks, that's all for now"):
        assert decide(r.rank(chat, fuzzy=True), PolicyConfig())[0] != "accept", chat
    # two pages called Table: the words that name one whole pick it, however common; else ask,
    # by the names only each has
    verdict, top = decide(r.rank("open the bootstrap table"), PolicyConfig())
    assert verdict == "accept" and top is not None and top.target.id == "table"
    tables = r.rank("show me the table")
    assert decide(tables, PolicyConfig())[0] == "suggest"
    from voicetour.session.reply import question

    assert question(tables[0].target, tables[1].target) in (
        "Which one: Bootstrap Table, or Components Table?", "Which one: Components Table, or Bootstrap Table?")


def test_a_word_another_page_is_called_is_no_synonym() -> None:
    """tabler: "pricing" is a synonym of invoices, but its pricing page is "Pricing cards", which
    "cost" names as one word of its name; its docs are linked as "Read our documentation"."""
    site = parse_site({"version": 1, "name": "tabler", "pages": [
        {"id": "home", "url": "/index.html", "title": "Home", "aliases": ["Dashboard"]},
        {"id": "invoice", "url": "/invoice.html", "title": "Invoice"},
        {"id": "pricing-cards", "url": "/pricing-cards.html", "title": "Pricing cards"},
        {"id": "cards", "url": "/cards.html", "title": "Cards design"},
        {"id": "introduction", "url": "/docs/index.html", "title": "Introduction",
         "aliases": ["Read our documentation"]},
        {"id": "read-mail", "url": "/read-mail.html", "title": "Read Mail"},
    ]})
    r = Ranker(targets_of(site))
    top = {said: [x.target.id for x in r.rank(said)[:1]] for said in (
        "show me the pricing", "how much does it cost", "where is the documentation",
        "show me our start", "show me the mail")}
    assert top == {"show me the pricing": ["pricing-cards"], "how much does it cost": ["pricing-cards"],
                   "where is the documentation": ["introduction"],
                   "show me our start": [],  # whisper's words for espeak-ng's "show me the store"
                   "show me the mail": ["read-mail"]}


def test_coffee_orders_on_a_menu_site() -> None:
    """Real people ordering coffee (shared/realspeech/coffee, whisper's words) on a menu site with
    one page per drink: the drink named whole is the page, among the words the menu does not know;
    a verb that is one word of a drink's longer name is not ("Brew a ..." / "Brewed coffee")."""
    from voicetour.session.policy import PolicyConfig
    from voicetour.site.model import load_site

    from .conftest import SPEECH

    r = Ranker(targets_of(load_site(SPEECH.parent / "sites" / "menu" / "site.json")))
    assert r.rank("I want a medium mocha with whole milk and sweetener.")[0].target.id == "mocha"
    assert r.rank("Brew a triple shot")[0].score < PolicyConfig().accept_score
    assert r.rank("Brew a triple shot Americano with a lot of skim milk.")[0].target.id == "americano"
    assert r.rank("Can I get a brewed coffee")[0].target.id == "drip-coffee"
    # "ice mocha" is Iced mocha, named whole: it outranks a drink named in part by a rarer word
    assert r.rank("Brew a medium roast ice mocha with sugar")[0].target.id == "iced-mocha"


def test_words_a_product_writes_its_own_way() -> None:
    """AdminBSB (61 pages): "Sign In" and "Sign Up" are two pages, though "in" and "up" carry
    nothing alone; "data tables" is the "Jquery Datatables" page, though "data" is a word of the
    product too; "validate" is "Form Validation"; a number does not make the grammar's words
    strong ("show me our blue 10": the "BLUE 10+" badge)."""
    site = parse_site({"name": "Admin", "base_url": "http://127.0.0.1:8123", "pages": [
        {"id": "sign-in", "url": "/sign-in.html", "title": "Sign In"},
        {"id": "sign-up", "url": "/sign-up.html", "title": "Sign Up"},
        {"id": "datatables", "url": "/datatable.html", "title": "Jquery Datatables"},
        {"id": "collapse", "url": "/collapse.html", "title": "Collapse",
         "elements": [{"id": "data", "label": "Button with data target", "selector": "#data"}]},
        {"id": "examples", "url": "/form-examples.html", "title": "Form Examples"},
        {"id": "validation", "url": "/form-validation.html", "title": "Form Validation"},
        {"id": "badges", "url": "/badges.html", "title": "Badges",
         "elements": [{"id": "blue", "label": "BLUE 10+", "selector": "#blue"}]},
    ]})
    r = Ranker(targets_of(site))
    assert [x.target.id for x in r.rank("take me to the sign in page")] == ["sign-in"]
    assert [x.target.id for x in r.rank("where do I sign up")] == ["sign-up"]
    assert r.rank("how do I log in")[0].target.id == "sign-in"  # naming.py: "sign in" is also "login"
    assert r.rank("show me the data tables")[0].target.id == "datatables"
    assert r.rank("how do I validate a form")[0].target.id == "validation"
    said = compounds(words("let me check out the sign up page"))
    assert said == ["let", "me", "check", "out", "the", "signup", "page"]
    blue = next(t for t in r.targets if t.id == "badges#blue")
    assert r.words_named("show me our blue 10", blue) == 1
    info = parse_site({"name": "Admin", "base_url": "http://127.0.0.1:8123", "pages": [
        {"id": f"infobox-{n}", "url": f"/infobox-{n}.html", "title": f"Infobox-{n}"} for n in (1, 2, 3)]})
    r = Ranker(targets_of(info))
    assert r.rank("show me infobox two")[0].target.id == "infobox-2"
    assert r.words_named("show me infobox two", r.rank("show me infobox two")[0].target) == 1 / 3


def test_an_acronym_said_in_full_or_in_letters_names_its_page():
    site = parse_site({"version": 1, "name": "Tabler", "pages": [
        {"id": "rtl", "url": "/rtl.html", "title": "RTL mode"},
        {"id": "keys", "url": "/keys.html", "title": "API keys"},
        {"id": "team", "url": "/team.html", "title": "Team",
         "elements": [{"id": "save", "selector": "#s", "label": "SAVE"}]},
        {"id": "videos", "url": "/videos.html", "title": "Videos"},
    ]})
    r = Ranker(targets_of(site))
    from voicetour.session.policy import PolicyConfig, decide

    for said, page in (("switch to right to left mode", "rtl"), ("show me the r t l mode", "rtl"),
                       ("Switch to right-to-left mode.", "rtl"), ("open the a p i keys", "keys")):
        verdict, top = decide(r.rank(said, fuzzy=True), PolicyConfig())
        assert verdict == "accept" and top is not None and top.target.id == page, said
    # a label in capitals is no acronym: "send all videos, everyone" does not spell SAVE
    assert all(x.target.id != "save" for x in r.rank("send all videos everyone", fuzzy=True))
    assert r.rank("switch to right mode", fuzzy=True)[0].target.id == "rtl"  # "mode" still names it, in part


def test_an_error_code_said_in_words_names_its_page():
    site = parse_site({"version": 1, "name": "Tabler", "pages": [
        {"id": "e404", "url": "/404.html", "title": "404"},
        {"id": "e500", "url": "/500.html", "title": "500"},
        {"id": "e503", "url": "/503.html", "title": "503"},
        {"id": "dash2", "url": "/dashboard-2.html", "title": "Dashboard 2"},
    ]})
    r = Ranker(targets_of(site))
    from voicetour.intent.text import spoken_numbers
    from voicetour.session.policy import PolicyConfig, decide

    for said, page in (("open the five hundred error page", "e500"), ("show me the four oh four page", "e404"),
                       ("show me the four zero four page", "e404"), ("open five hundred and three", "e503"),
                       ("open five oh three", "e503")):
        verdict, top = decide(r.rank(said, fuzzy=True), PolicyConfig())
        assert verdict == "accept" and top is not None and top.target.id == page, said
    # only numbers the product writes, and never one word alone ("dashboard two" is its own name)
    assert spoken_numbers(["four", "hundred", "and", "one"], {"404", "500"}) == ["four", "hundred", "and", "one"]
    assert spoken_numbers(["dashboard", "two"], {"2", "dashboard"}) == ["dashboard", "two"]
    assert r.rank("show me dashboard two")[0].target.id == "dash2"


def test_a_request_that_names_nothing_may_name_a_page_by_sound() -> None:
    """whisper tiny.en writes product words it does not know as everyday words that sound like
    them (ThemeKit, espeak-ng: "Open the Forum Baker", "Show me the Reading page"; piper: "Show Me
    Than End Voice" for "show me an invoice"). In a request
    to see something that names nothing of the product, such a word stands for the product's word
    it sounds like; never outside such a request ("Place some music": real people's "play some
    music", Pricing a page), nor beside words the product knows."""
    from voicetour.asr.grammar import cmudict
    from voicetour.intent.naming import Target
    from voicetour.intent.sound import Sounds
    from voicetour.session.policy import PolicyConfig, decide

    def page(name: str) -> Target:
        return Target(id=name, page_id=name, url=f"/{name.lower().replace(' ', '-')}.html", title=name, label=name,
                      selector=None, description="", phrases=(name.lower(),), heading="", kind="page")

    targets = [page(n) for n in ("Form picker", "Rating", "Pricing", "Buttons", "Pace", "Invoice")]
    r, plain = Ranker(targets, Sounds(cmudict())), Ranker(targets)

    def goes(ranker: Ranker, text: str) -> str | None:
        verdict, top = decide(ranker.rank(text, fuzzy=True), PolicyConfig())
        return top.target.url if verdict == "accept" and top is not None else None

    assert goes(r, "Open the Forum Baker") == "/form-picker.html" and goes(plain, "Open the Forum Baker") is None
    assert goes(r, "Show me the Reading page") == "/rating.html" and goes(plain, "Show me the Reading page") is None
    assert goes(r, "Show Me Than End Voice") == "/invoice.html"  # two words said as one of the product's
    assert goes(r, "Show me the End Voice tower") is None  # every word, or nothing
    assert goes(r, "Place some music") is None  # no request to see anything
    assert r.rank("Reading", fuzzy=True) == []
    assert r.rank("Show me the Reading page") == []  # grammar words (not fuzzy): never
    assert goes(r, "Show me the buttons and the Reading") == "/buttons.html"  # a product word said: no sounding out


def test_a_request_that_names_nothing_is_said_again_in_the_product_words() -> None:
    """For whisper to weigh on the audio (``asr.whisper``, ``REWRITE_LOSS``): a request to see
    something whose words name nothing of the product, said again with the names that sound
    most like its object, one a page, lead-in and "page" kept ("Open the mountains page": "open
    the buttons page"; "Go Phone": "go home"). Nothing for a request that names a page, for what
    is not a request to see anything, or for a request of lead-in words alone."""
    from voicetour.asr.grammar import cmudict
    from voicetour.intent.naming import Target
    from voicetour.intent.sound import Sounds

    def page(name: str) -> Target:
        return Target(id=name, page_id=name, url=f"/{name.lower()}.html", title=name, label=name,
                      selector=None, description="", phrases=(name.lower(),), heading="", kind="page")

    r = Ranker([page(n) for n in ("Buttons", "Home", "Maps", "Store", "Forms", "Typography")], Sounds(cmudict()))
    rewrites = r.rewrites("Open the mountains page.")
    assert "open the buttons page" in rewrites and len(rewrites) == len(set(rewrites))
    assert all(w.startswith("open the ") and w.endswith(" page") for w in rewrites)
    assert "go home" in r.rewrites("Go Phone")
    assert r.rewrites("Open the buttons page") == []  # it names one
    assert r.rewrites("I like mountains") == []  # no request to see anything
    assert r.rewrites("Show me the page") == []  # nothing said of what
    assert r.rewrites("Go back.") == []  # a command
    assert len(r.rewrites("Show me something cool", limit=2)) <= 2
    assert Ranker([page("Home")]).rewrites("Go Phone") == []  # no phones, no rewrites
    sign_in = Target(id="s", page_id="s", url="/sign-in.html", title="Sign in", label="Sign in", selector=None,
                     description="", phrases=("sign", "sign in"), heading="", kind="page")
    r = Ranker([sign_in, *(page(n) for n in ("Morris charts", "Flot charts", "Sparkline charts"))], Sounds(cmudict()))
    assert r.rewrites("Take me to the side in page.")[0] == "take me to the sign in page"  # the longer of two alike
    assert r.rank("Show me the mortar charts", fuzzy=True)  # "charts" names each a little...
    assert r.rewrites("Show me the mortar charts")[0] == "show me the morris charts"  # ...none enough


def test_words_that_ask_for_something() -> None:
    from voicetour.intent.ranker import phrased

    assert phrased("Show me Bill.") and phrased("take me to the store") and phrased("Open the settings")
    assert not phrased("Go Snow Boy") and not phrased("Go.") and not phrased("Show me the") and not phrased("Billing")
