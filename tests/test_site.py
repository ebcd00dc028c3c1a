import json

import pytest

from voicetour.errors import SiteError
from voicetour.site.model import load_site, parse_site

MINIMAL = {
    "name": "Helio CRM", "base_url": "http://127.0.0.1:8123",
    "pages": [{"id": "team", "url": "/team.html", "title": "Team settings",
               "aliases": ["team", "seats"], "description": "optional sentence",
               "elements": [{"id": "invite", "label": "Invite a colleague", "selector": "#invite", "kind": "button"}]}],
}


def test_minimal_hand_written_file_loads() -> None:
    site = parse_site(MINIMAL)
    assert site.pages[0].elements[0].selector == "#invite"
    assert site.absolute("/team.html") == "http://127.0.0.1:8123/team.html"


def test_titles_only_is_enough() -> None:
    site = parse_site({"name": "X", "pages": [{"id": "a", "url": "/a", "title": "Alpha"}]})
    assert site.pages[0].aliases == () and site.pages[0].elements == ()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["pages"][0].pop("url"), "pages[0].url: missing"),
        (lambda d: d["pages"][0].update(title=""), "pages[0].title: must be a non-empty string"),
        (lambda d: d["pages"][0]["elements"][0].update(selector=3), "pages[0].elements[0].selector"),
        (lambda d: d["pages"][0]["elements"][0].update(kind="blob"), "pages[0].elements[0].kind: must be one of"),
        (lambda d: d["pages"][0].update(aliases="team"), "pages[0].aliases: must be a list"),
        (lambda d: d.update(pages=[]), "pages: must be a non-empty list"),
        (lambda d: d.update(base_url="ftp://x"), "base_url: must be an http(s) URL"),
        (lambda d: d["pages"].append(dict(d["pages"][0])), "pages[1].id: duplicate id 'team'"),
        (lambda d: d["pages"][0].update(url="team.html"), "pages[0].url: must start with '/'"),
        (lambda d: d.update(version=7), "version: this voicetour reads format 1"),
        (lambda d: d["pages"][0].update(url="//evil.example/x"), "would leave the product"),
        (lambda d: d["pages"][0].update(url="http://evil.example/phish"), "is not on the product"),
    ],
)
def test_invalid_fields_are_named(mutate, message) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(json.dumps(MINIMAL))
    mutate(doc)
    with pytest.raises(SiteError) as err:
        parse_site(doc)
    assert message in str(err.value)


def test_bad_json_names_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "site.json"
    p.write_text('{"name": "x",\n "pages": [}')
    with pytest.raises(SiteError, match=r"site.json: not valid JSON \(line 2"):
        load_site(p)
