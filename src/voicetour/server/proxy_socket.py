"""The product's own WebSockets, proxied like its pages (server/proxy.py): a socket the product's
page opens to ``/live`` on voicetour's origin is connected to ``/live`` on the product's origin,
and messages pass both ways unchanged until either side closes.

Only pages of voicetour's own origin (where the tour shows the product) may open one: another
site's page is refused, as for voicetour's own socket. The visitor's cookies and subprotocols go
upstream; nothing is kept between sockets. A message over ``MAX_MESSAGE_BYTES`` from the product
closes the socket (1009), as one over the server's own WebSocket limit from the browser does
(64 KB under `voicetour serve`); an unreachable product closes it with 1014 and a reason that
does not show the product's address.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.websockets import WebSocket
from websockets import ConnectionClosed, WebSocketException
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

from voicetour.server.proxy import upstream_url

log = logging.getLogger("voicetour")
MAX_MESSAGE_BYTES = 1 << 20
FORWARDED = ("cookie", "accept-language")


def socket_proxy(base_url: str) -> Callable[[WebSocket], Awaitable[None]]:
    base = urlsplit(base_url)
    product_origin = Origin(f"{base.scheme}://{base.netloc}")

    async def socket_proxy(ws: WebSocket) -> None:
        url = upstream_url(base_url, ws.path_params["path"], ws.url.query) if base_url else None
        origin = ws.headers.get("origin")
        if url is None or (origin is not None and urlsplit(origin).netloc != ws.headers.get("host")):
            await ws.close(code=1008)  # before the handshake: the browser sees a 403
            return
        offered = [Subprotocol(p.strip()) for p in ws.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        headers = {k: v for k, v in ws.headers.items() if k.lower() in FORWARDED}
        try:
            upstream = await connect("ws" + url[len("http"):], origin=product_origin, subprotocols=offered or None,
                                     additional_headers=headers, max_size=MAX_MESSAGE_BYTES, open_timeout=10,
                                     proxy=None, user_agent_header=None)
        except (OSError, WebSocketException, TimeoutError) as exc:
            log.warning("proxy: socket %s: %s: %s", url, exc.__class__.__name__, exc)
            await ws.accept()
            await ws.close(code=1014, reason="voicetour could not reach the product")
            return
        await ws.accept(subprotocol=upstream.subprotocol)
        async with upstream:
            await _both_ways(ws, upstream)

    return socket_proxy


async def _both_ways(ws: WebSocket, upstream: ClientConnection) -> None:
    """Pass messages until either side closes, then close the other with its code."""
    async def up() -> None:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                code = message.get("code") or 1000
                await upstream.close(code=1000 if code in (1005, 1006) else code)  # those two are never sent
                return
            await upstream.send(message["text"] if message.get("text") is not None else message.get("bytes") or b"")

    async def down() -> None:
        try:
            async for data in upstream:
                await (ws.send_text(data) if isinstance(data, str) else ws.send_bytes(data))
        except ConnectionClosed:
            pass
        closed = upstream.close_exc
        code, reason = 1000, ""
        if closed.sent is not None and closed.sent.code == 1009:
            code, reason = 1009, f"a message from the product over {MAX_MESSAGE_BYTES >> 20} MB"
        elif closed.rcvd is not None and closed.rcvd.code not in (1005, 1006):
            code, reason = closed.rcvd.code, closed.rcvd.reason
        await ws.close(code=code, reason=reason)

    tasks = [asyncio.create_task(up()), asyncio.create_task(down())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
