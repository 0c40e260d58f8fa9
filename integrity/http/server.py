"""The HTTP server's protocol: uvicorn's (httptools), with a deadline for a request's headers.

uvicorn bounds the time a kept-alive connection may sit idle, but not the time a client may take to
send its request headers: a connection that sends "GET / HTTP/1.1" and a header a minute (Slowloris)
holds a connection slot forever, and a few hundred of them take the server down. Here the clock
starts when the connection opens, and again when each request's first byte arrives; the
connection is closed if the headers are not complete in time.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["DEFAULT_HEADER_TIMEOUT", "header_deadline_protocol"]

#: Seconds a client has to send a request's headers (slow mobile links need a few, not more).
DEFAULT_HEADER_TIMEOUT = 10.0


def header_deadline_protocol(timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol, closing connections whose headers take over ``timeout``.
    (uvicorn is imported here, when serving: the other commands start without it.)"""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            self._disarm()
            self._header_timer = self.loop.call_later(timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.close()

    return HeaderDeadlineProtocol
