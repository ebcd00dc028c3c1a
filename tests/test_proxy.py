"""The proxied product (`voicetour serve` without --app-dir), against a real upstream server on
127.0.0.1: the product at the root, path for path; one identity per visitor; nothing off the
product's origin; redirects, bodies, limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from voicetour.server import proxy as proxy_module
from voicetour.server.app import create_app
from voicetour.session.engine import Engine
from voicetour.site.model import Site, parse_site

from .conftest import running


async def login(request: Request) -> Response:
    response = PlainTextResponse("welcome")
    response.set_cookie("sid", request.query_params.get("who", "a"), path="/")
    response.set_cookie("pref", "dark", path="/", domain="product.example")  # the product's own domain
    return response


async def echo(request: Request) -> Response:
    return PlainTextResponse(f"cookie={request.headers.get('cookie', '')};body={(await request.body()).decode()}")


async def chunks(request: Request) -> Response:
    async def gen() -> Iterator[bytes]:  # type: ignore[misc]
        for _ in range(10):
            yield b"x" * 500
    return StreamingResponse(gen())  # type: ignore[arg-type]


UPSTREAM = Starlette(routes=[
    Route("/product/login", login),
    Route("/product/echo", echo, methods=["GET", "POST"]),
    Route("/product/chunks", chunks),
    Route("/product/sized", lambda r: PlainTextResponse("y" * 5000)),
    Route("/product/moved", lambda r: RedirectResponse("/product/echo", status_code=302)),
    Route("/product/away", lambda r: RedirectResponse("http://evil.example/phish", status_code=302)),
    Route("/assets/app.css", lambda r: PlainTextResponse("body{}", media_type="text/css")),
    Route("/secret.txt", lambda r: PlainTextResponse("secret")),
])


def _site(base_url: str) -> Site:
    return parse_site({"version": 1, "name": "Upstream", "base_url": base_url,
                       "pages": [{"id": "echo", "url": "/echo", "title": "Echo"}]})


@pytest.fixture(scope="module")
def upstream() -> Iterator[int]:
    with running(UPSTREAM) as port:
        yield port


def _app(base_url: str):  # type: ignore[no-untyped-def]
    site = _site(base_url)
    return create_app(site, engine=Engine.for_site(site, verify=False))


def test_the_product_is_at_the_root_path_for_path(upstream) -> None:  # type: ignore[no-untyped-def]
    with TestClient(_app(f"http://127.0.0.1:{upstream}/product/")) as client:
        assert client.get("/product/echo").text.startswith("cookie=")  # a page under base_url
        assert client.get("/assets/app.css").text == "body{}"  # a root-relative stylesheet of that page
        assert client.get("/voicetour/site").json()["root"] == "/product/"  # where the tour finds the pages
        assert "voicetour" in client.get("/voicetour/").text  # the tour page, under the reserved prefix
        assert client.get("/voicetour", follow_redirects=False).headers["location"] == "/voicetour/"


def test_each_visitor_keeps_their_own_identity_on_the_product(upstream) -> None:  # type: ignore[no-untyped-def]
    app = _app(f"http://127.0.0.1:{upstream}/product/")
    with TestClient(app) as browser:  # one browser, two visitors in turn (its cookie jar is the visitor's)
        cookies = browser.get("/product/login?who=alice").headers.get_list("set-cookie")
        assert any("sid=alice" in c for c in cookies)
        assert not any("domain" in c.lower() for c in cookies), cookies  # a cookie of voicetour's host
        assert browser.get("/product/echo").text.startswith("cookie=sid=alice; pref=dark;")  # hers go with her
        assert browser.post("/product/echo", content=b"name=Ada").text.endswith(";body=name=Ada")
        browser.cookies.clear()  # bob
        assert browser.get("/product/echo").text.startswith("cookie=;")  # and nobody else's


def test_nothing_off_the_products_origin_is_reachable(upstream) -> None:  # type: ignore[no-untyped-def]
    with TestClient(_app(f"http://127.0.0.1:{upstream}/product/")) as client:
        for path in ("/product/..%2fsecret.txt", "/product/%2e%2e/secret.txt", "/x/..%252f..%252fsecret.txt",
                     "//evil.example/x", "/product/..\\secret.txt"):
            answer = client.get(path)
            assert answer.status_code == 404 and "secret" not in answer.text, path
        moved = client.get("/product/moved", follow_redirects=False)
        assert moved.status_code == 302 and moved.headers["location"] == "/product/echo"
        away = client.get("/product/away", follow_redirects=False)
        assert away.status_code == 302 and "location" not in away.headers  # never a way off the product


def test_large_bodies_are_cut_and_unreachable_products_say_so_without_their_address(upstream, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(proxy_module, "MAX_BODY_BYTES", 1000)
    with TestClient(_app(f"http://127.0.0.1:{upstream}/product/")) as client:
        assert client.get("/product/sized").status_code == 502  # announced as too large: refused
        assert len(client.get("/product/chunks").content) <= 1000  # streamed: cut at the limit
        assert client.post("/product/echo", content=b"z" * 2000).status_code == 413
    with TestClient(_app("http://127.0.0.1:9/internal/")) as client:
        down = client.get("/internal/page")
        assert down.status_code == 502 and "127.0.0.1" not in down.text and "internal" not in down.text
