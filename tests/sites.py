"""Fixture products for crawl tests, served on 127.0.0.1 by the tests (no network).

helio: a multi-page CRM with the usual hazards: robots.txt, an off-site redirect, a 500, a PDF,
a slow page, an external link and an endless calendar (?month=N links to N+1).
nimbus: a single-page help desk whose routes exist only through history.pushState (the server
answers 404 for every path but "/", "/app.js").
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

SITES = Path(__file__).parent / "fixtures" / "sites"


def helio_app() -> Starlette:
    root = SITES / "helio"

    async def calendar(request: Request) -> Response:
        month = int(request.query_params.get("month", "1"))
        html = (root / "calendar.html").read_text().replace(
            "<p>Meetings", f'<a href="/calendar.html?month={month + 1}">Next month</a><p>Meetings')
        return HTMLResponse(html)

    async def old_pricing(request: Request) -> Response:
        return RedirectResponse("https://example.invalid/pricing", status_code=302)

    async def broken(request: Request) -> Response:
        return PlainTextResponse("boom", status_code=500)

    async def terms(request: Request) -> Response:
        return Response(b"%PDF-1.4 not really", media_type="application/pdf")

    async def slow(request: Request) -> Response:
        await asyncio.sleep(3)
        return HTMLResponse("<title>Slow</title>")

    async def home(request: Request) -> Response:
        return RedirectResponse("/index.html", status_code=301)

    return Starlette(routes=[
        Route("/", home),
        Route("/calendar.html", calendar),
        Route("/old-pricing", old_pricing),
        Route("/broken", broken),
        Route("/terms.pdf", terms),
        Route("/slow.html", slow),
        Mount("/", StaticFiles(directory=root, html=True)),
    ])


def nimbus_app() -> Starlette:
    root = SITES / "nimbus"

    async def index(request: Request) -> Response:
        return FileResponse(root / "index.html")

    async def script(request: Request) -> Response:
        return FileResponse(root / "app.js", media_type="text/javascript")

    async def missing(request: Request) -> Response:
        return PlainTextResponse("not found", status_code=404)

    return Starlette(routes=[Route("/", index), Route("/app.js", script), Route("/{path:path}", missing)])
