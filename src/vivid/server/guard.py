"""Browser safety: serve only allowed Host names (DNS rebinding) and refuse cross-site writes (CSRF).

A web page on another site can make the user's browser send requests to a local vivid: with a name
of its own that resolves to 127.0.0.1 (DNS rebinding: the browser sends ``Host: evil.example``), or
with a plain cross-site form POST. So every request must name an allowed host, and a state-changing
request (POST, PUT, PATCH, DELETE) that a browser marks as coming from a page (``Origin``, or
``Referer`` when there is no Origin) must come from this server's own origin. Clients that are not
browsers send neither header and are not affected; the web UI is same-origin.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from vivid.server.errors import error_body

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _host_name(host: str) -> str:
    """``example.com:8000`` → ``example.com``; ``[::1]:8000`` → ``::1`` (lower case)."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class BrowserGuardMiddleware:
    def __init__(self, app: ASGIApp, *, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        self.allowed = allowed_hosts

    async def _refuse(self, send: Send, message: str) -> None:
        body = json.dumps(error_body("forbidden", message)).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())}
        host = headers.get("host", "")
        if not self.any_host and _host_name(host) not in self.allowed:
            shown = host[:100].encode("ascii", "replace").decode()
            await self._refuse(send, f"this server does not serve the host name {shown!r}: add it to the allowed "
                                     "hosts (setting VIVID_ALLOWED_HOSTS) if it is yours")
            return
        if scope["method"] in _UNSAFE:
            site = headers.get("sec-fetch-site")  # sent by current browsers: the most direct answer
            if site in ("cross-site", "same-site"):
                await self._refuse(send, "a request from another site's page was refused (cross-site "
                                         "request): use the web UI on this server, or an API client")
                return
            source = headers.get("origin") or headers.get("referer")
            if site in ("same-origin", "none"):
                source = None  # the browser vouches for it (Origin may be "null" under a no-referrer policy)
            if source and source != "null":
                parts = urlsplit(source)
                if parts.netloc.lower() != host.lower():
                    await self._refuse(send, "a request from another site's page was refused (cross-site "
                                             "request): use the web UI on this server, or an API client")
                    return
            elif source == "null":  # sandboxed frames and some redirects: no way to tell where it came from
                await self._refuse(send, "a request from a page with an opaque origin was refused")
                return
        await self.app(scope, receive, send)
