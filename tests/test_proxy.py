"""The proxied product (`voicetour serve` without --app-dir), against a real upstream server on
127.0.0.1: the product at the root, path for path; one identity per visitor; nothing off the
product's origin; redirects, bodies, limits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket
from websockets import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

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


async def live(ws: WebSocket) -> None:
    """The product's own socket: says who it sees, echoes, sends a big message or closes on request."""
    offered = ws.headers.get("sec-websocket-protocol", "")
    await ws.accept(subprotocol="chat.v1" if "chat.v1" in offered else None)
    await ws.send_text(f"cookie={ws.headers.get('cookie', '')};origin={ws.headers.get('origin', '')}")
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("bytes") is not None:
            await ws.send_bytes(message["bytes"][::-1])
        elif message["text"] == "big":
            await ws.send_text("b" * (2 << 20))
        elif message["text"] == "bye":
            await ws.close(code=4001, reason="bye now")
            return
        else:
            await ws.send_text(message["text"].upper())


UPSTREAM = Starlette(routes=[
    WebSocketRoute("/product/live", live),
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


def test_the_products_own_sockets_pass_through(upstream) -> None:  # type: ignore[no-untyped-def]
    """A real voicetour server and a real product server on 127.0.0.1: the product's page, shown
    on voicetour's origin, opens its socket there and talks to the product."""
    with running(_app(f"http://127.0.0.1:{upstream}/product/")) as port:
        ours = f"http://127.0.0.1:{port}"
        with connect(f"ws://127.0.0.1:{port}/product/live?x=1", origin=ours, subprotocols=["chat.v1"],  # type: ignore[list-item]
                     additional_headers={"Cookie": "sid=alice"}) as ws:
            assert ws.subprotocol == "chat.v1"
            product = f"http://127.0.0.1:{upstream}"
            assert ws.recv(timeout=5) == f"cookie=sid=alice;origin={product}"  # hers, as the product's page
            ws.send("hello")
            assert ws.recv(timeout=5) == "HELLO"
            ws.send(b"\x01\x02\x03")
            assert ws.recv(timeout=5) == b"\x03\x02\x01"
            ws.send("bye")
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            said = closed.value.rcvd
            assert said is not None and (said.code, said.reason) == (4001, "bye now")
        with connect(f"ws://127.0.0.1:{port}/product/live", origin=ours) as ws:  # type: ignore[arg-type]
            ws.recv(timeout=5)
            ws.send("big")  # over MAX_MESSAGE_BYTES from the product: closed, and said why
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        for path, origin in (("/product/live", "http://evil.example"), ("/product/..%2fsecret", ours)):
            with pytest.raises(InvalidStatus) as refused:
                connect(f"ws://127.0.0.1:{port}{path}", origin=origin)  # type: ignore[arg-type]
            assert refused.value.response.status_code == 403
    with running(_app("http://127.0.0.1:9/internal/")) as port:
        with connect(f"ws://127.0.0.1:{port}/internal/live") as ws:
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=15)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1014
            assert "127.0.0.1" not in closed.value.rcvd.reason and "internal" not in closed.value.rcvd.reason
