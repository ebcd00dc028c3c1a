"""The asyncio shell: Starlette app serving the tour page, the product and the WebSocket."""
