"""uvicorn's HTTP/1.1 protocol with a deadline for request headers (slow-client protection).

uvicorn closes idle keep-alive connections after a response, but a client that opens a connection and
sends nothing, or dribbles its headers a byte at a time, holds it for ever. This protocol closes any
connection whose next request's headers are not complete within ``header_timeout`` seconds of the
connection opening or of the previous response. Bodies that stall are handled by
:class:`vivid.server.limits.BodyLimitMiddleware` (408).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


def protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """An ``http=`` protocol class for ``uvicorn.run`` closing connections slow to send headers."""

    class HeaderDeadlineProtocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._deadline: asyncio.TimerHandle | None = None
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(header_timeout, self._too_slow)

        def _disarm(self) -> None:
            if getattr(self, "_deadline", None) is not None:
                self._deadline.cancel()
                self._deadline = None

        def _in_request(self) -> bool:
            return self.cycle is not None and not self.cycle.response_complete

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._in_request():  # headers are complete: the request is the app's now
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm()  # the next request on this connection gets the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _too_slow(self) -> None:
            self._deadline = None
            if not self._in_request() and not self.transport.is_closing():
                self.transport.close()

    HeaderDeadlineProtocol.__qualname__ = "HeaderDeadlineProtocol"
    return HeaderDeadlineProtocol


def uvicorn_options(settings: Any) -> dict[str, Any]:
    """The uvicorn options that bound connections: count, keep-alive, header deadline."""
    return {"limit_concurrency": settings.max_connections, "timeout_keep_alive": 5,
            "http": protocol(settings.client_timeout_seconds)}
