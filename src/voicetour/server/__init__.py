"""The asyncio shell: the Starlette app serving the product at the root and voicetour under PREFIX."""

PREFIX = "/voicetour"
"""voicetour's own routes (tour page, socket, static files, metrics, traces) are under this path; the
rest of the origin is the product's, path for path."""
