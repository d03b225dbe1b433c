"""An ASGI middleware that refuses request bodies over ``max_upload_mb`` before they are parsed.

A declared ``Content-Length`` over the limit is answered at once; a body that turns out bigger while
streaming (chunked uploads) is cut off and answered with the same 413.
"""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vivid.server.errors import error_body


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def _refuse(self, send: Send, *, stalled: bool = False) -> None:
        if stalled:
            status, body = 408, json.dumps(error_body(
                "request_timeout", f"the request body stalled for more than {self.timeout:g} s (setting "
                                   "VIVID_CLIENT_TIMEOUT_SECONDS): send it again")).encode()
        else:
            status, body = 413, json.dumps(error_body(
                "upload_too_large", f"the request is larger than the {self.max_bytes / 2**20:g} MB upload limit: "
                                    "send smaller or fewer files")).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await self._refuse(send)
                    return
        received = 0
        exceeded = stalled = False
        started = False

        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded, stalled, body_done
            if body_done:  # after the body, the app only waits for a disconnect: no time limit
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:  # a slow client holds a connection and a thread: cut it off
                exceeded = stalled = True
                raise _BodyTooLarge() from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:  # the app's own answer to the cut-off body is replaced by the 413
                return
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(send, stalled=stalled)
