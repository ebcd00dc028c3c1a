"""The product, proxied at the root of voicetour's origin from the origin of the site's ``base_url``.

Paths map one to one (``/assets/app.css`` here is ``/assets/app.css`` on the product), so the
product's root-relative URLs, its own API calls and its client-side router work without rewriting
a byte of HTML. Every visitor is a stranger, so the proxy keeps nothing between requests: no
cookie jar (a ``Set-Cookie`` goes to the visitor who got it, made a cookie of voicetour's host, and
the visitor's own cookies go upstream with their requests only), and it reaches nothing but the
product's origin (no ``..``, no encoded slash, no other host). Responses are streamed, up to
``MAX_BODY_BYTES``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import unquote, urlsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

log = logging.getLogger("voicetour")
MAX_BODY_BYTES = 32 << 20
"""A product page, script or image larger than this is not passed on (the proxy holds no more
than one chunk of it in memory at a time, but a tour has no business moving more)."""
FORWARDED_REQUEST = ("accept", "accept-language", "cookie", "if-none-match", "if-modified-since", "range")
FORWARDED_RESPONSE = ("content-type", "cache-control", "etag", "last-modified", "content-range", "accept-ranges",
                      "content-language")
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _no_cookies() -> CookieJar:
    """A jar that keeps nothing: a cookie one visitor is given must never be sent for another.
    (httpx copies a ``Cookies`` object into a jar of its own; a ``CookieJar`` it keeps.)"""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def upstream_url(base_url: str, path: str, query: str) -> str | None:
    """The product URL for /``path`` (``path`` as the ASGI server decoded it, without its first
    slash), or None when it would leave the product's origin or climb out of a folder
    ("../admin/", "..%2fsecret.txt", "//evil.example/x")."""
    base = urlsplit(base_url)
    for form in (path, unquote(path)):
        if "\\" in form or "\x00" in form or form.startswith("/") or ".." in form.split("/"):
            return None
    return f"{base.scheme}://{base.netloc}/{path}" + (f"?{query}" if query else "")


def _local_location(base_url: str, requested: str, location: str) -> str | None:
    """A redirect's ``Location`` as seen through the proxy, when it stays on the product's origin."""
    base, target = urlsplit(base_url), urlsplit(str(httpx.URL(requested).join(location)))
    if (target.scheme, target.netloc) != (base.scheme, base.netloc):
        return None
    return (target.path or "/") + (f"?{target.query}" if target.query else "")


def _host_only(cookie: str) -> str:
    """A ``Set-Cookie`` without its ``Domain`` attribute: the browser would refuse a cookie for the
    product's domain from voicetour's host; without one it is a cookie of the host that sent it."""
    parts = (part.strip() for part in cookie.split(";"))
    return "; ".join(part for part in parts if part.split("=", 1)[0].strip().lower() != "domain")


def proxy(base_url: str) -> Callable[[Request], Awaitable[Response]]:
    client = httpx.AsyncClient(timeout=10.0, follow_redirects=False, cookies=_no_cookies())

    async def proxy(request: Request) -> Response:
        if not base_url:
            return Response("this site has no base_url and no --app-dir", status_code=404)
        url = upstream_url(base_url, request.path_params["path"], request.url.query)
        if url is None:
            return Response("not a page of this product", status_code=404, media_type="text/plain")
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_REQUEST}
        body = None
        if request.method not in ("GET", "HEAD"):
            body = await _request_body(request)
            if body is None:
                return Response(f"a request body over {MAX_BODY_BYTES >> 20} MB", status_code=413,
                                media_type="text/plain")
        try:
            upstream = await client.send(client.build_request(request.method, url, headers=headers, content=body),
                                         stream=True)
        except httpx.HTTPError as exc:
            log.warning("proxy: %s %s: %s: %s", request.method, url, exc.__class__.__name__, exc)
            return Response("voicetour could not reach the product", status_code=502, media_type="text/plain")
        out = {k: v for k, v in upstream.headers.items() if k.lower() in FORWARDED_RESPONSE}
        length = int(upstream.headers.get("content-length") or 0)
        if length > MAX_BODY_BYTES:
            await upstream.aclose()
            return Response(f"the product's response is over {MAX_BODY_BYTES >> 20} MB", status_code=502,
                            media_type="text/plain")
        location = upstream.headers.get("location")
        if location is not None:
            local = _local_location(base_url, url, location)
            if local is not None:
                out["location"] = local
        response = StreamingResponse(_body(upstream), status_code=upstream.status_code, headers=out)
        for cookie in upstream.headers.get_list("set-cookie"):
            response.raw_headers.append((b"set-cookie", _host_only(cookie).encode("latin-1")))
        return response

    return proxy


async def _request_body(request: Request) -> bytes | None:
    """The visitor's request body, or None when it is over ``MAX_BODY_BYTES``."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


async def _body(upstream: httpx.Response) -> AsyncIterator[bytes]:
    sent = 0
    try:
        async for chunk in upstream.aiter_bytes():
            sent += len(chunk)
            if sent > MAX_BODY_BYTES:
                log.warning("proxy: %s: cut at %d bytes", upstream.url, MAX_BODY_BYTES)
                return
            yield chunk
    finally:
        await upstream.aclose()
