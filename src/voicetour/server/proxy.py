"""The product, proxied under /app/ when it is reached at the site's ``base_url``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from starlette.requests import Request
from starlette.responses import Response


def proxy(base_url: str) -> Callable[[Request], Awaitable[Response]]:
    client = httpx.AsyncClient(timeout=10.0, follow_redirects=False)

    async def proxy(request: Request) -> Response:
        if not base_url:
            return Response("this site has no base_url and no --app-dir", status_code=404)
        url = base_url.rstrip("/") + "/" + request.path_params["path"]
        if request.url.query:
            url += "?" + request.url.query
        try:
            upstream = await client.get(url)
        except httpx.HTTPError as exc:
            return Response(f"voicetour could not reach {url}: {exc.__class__.__name__}: {exc}",
                            status_code=502, media_type="text/plain")
        headers = {k: v for k, v in upstream.headers.items() if k.lower() in ("content-type", "cache-control")}
        return Response(upstream.content, status_code=upstream.status_code, headers=headers)

    return proxy

