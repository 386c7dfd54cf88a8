"""The token check in front of a browser server that other hosts connect to.

Playwright's ``launch-server`` can only hide its websocket behind a path, and that path is
no secret: the same port answers ``GET /json`` with it, to anyone. So the server
``order-assistant browser-server`` exposes is this small TCP proxy instead: it reads the
HTTP head of each connection, lets it through to the Playwright server on loopback only
with ``Authorization: Bearer <token>``, and then copies bytes both ways. Anything else gets
``401`` and the connection is closed before a byte reaches Playwright.

An authorised plain request (no websocket upgrade) gets a small JSON answer (what this is,
its Playwright version): the client's check before it connects (``flows.browser.remote``).
Nothing here logs the token or a request's headers: only the peer's address.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

#: What a client must send, and what a refused one is told (never why, never the token).
SCHEME = "Bearer"
#: How long a client may take to send its request head, and how big the head may be:
#: a connection that sends nothing cannot hold a slot for ever.
HEAD_TIMEOUT_S = 10.0
HEAD_LIMIT = 16 * 1024
#: The ``service`` of the answer to an authorised plain request.
SERVICE = "order-assistant browser-server"

_END = b"\r\n\r\n"


@dataclass(frozen=True)
class Upstream:
    """The Playwright server behind the guard: its loopback address and websocket path."""

    host: str
    port: int
    path: str = field(repr=False)  # Playwright's own token: as secret as ours

    @classmethod
    def of(cls, endpoint: str) -> Upstream:
        """From the endpoint ``launch-server`` printed (``ws://127.0.0.1:PORT/PATH``)."""
        parts = urlsplit(endpoint)
        assert parts.hostname and parts.port, "launch-server prints ws://host:port/path"
        return cls(parts.hostname, parts.port, parts.path)


@dataclass(frozen=True)
class Guard:
    """Let through the connections that carry the token, to ``upstream``; refuse the rest."""

    token: str = field(repr=False)
    upstream: Upstream
    #: Told to an authorised client that asks before it connects (the versions must match).
    playwright_version: str

    def authorised(self, value: str | None) -> bool:
        """Whether an ``Authorization`` header's value is this guard's token (constant time)."""
        expected = f"{SCHEME} {self.token}".encode()
        return value is not None and hmac.compare_digest(value.strip().encode(), expected)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: refused, answered, or spliced to the Playwright server."""
        peer = _peer(writer)
        try:
            try:
                head = await asyncio.wait_for(reader.readuntil(_END), HEAD_TIMEOUT_S)
            except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                log.warning("closed a connection from %s: no complete request", peer)
                return
            request_line, headers = _parse(head)
            if request_line is None or not self.authorised(headers.get("authorization")):
                log.warning("refused a connection from %s: no valid token", peer)
                await _answer(writer, "401 Unauthorized", b"token required\n", bearer=True)
                return
            if headers.get("upgrade", "").lower() != "websocket":
                info = {"service": SERVICE, "playwright": self.playwright_version}
                await _answer(
                    writer, "200 OK", json.dumps(info).encode(), content_type="application/json"
                )
                return
            log.info("a client connected from %s", peer)
            await self._splice(request_line, head, reader, writer)
            log.info("the client from %s disconnected", peer)
        except OSError as exc:  # the peer reset the connection: its own business
            log.debug("connection from %s ended: %s", peer, exc)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _splice(
        self,
        request_line: str,
        head: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.upstream.host, self.upstream.port)
        try:
            up_writer.write(self._rewritten(request_line, head))
            await up_writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            up_writer.close()
            with contextlib.suppress(OSError):
                await up_writer.wait_closed()

    def _rewritten(self, request_line: str, head: bytes) -> bytes:
        """The head as Playwright must see it: its path, a loopback ``Host`` (it refuses
        any other on a loopback socket), and our token gone."""
        method, _, version = request_line.split(" ", 2)
        lines = [f"{method} {self.upstream.path} {version}"]
        for raw in head.decode("latin-1").split("\r\n")[1:]:
            name = raw.split(":", 1)[0].strip().lower()
            if raw and name not in ("host", "authorization"):
                lines.append(raw)
        lines.append(f"Host: {self.upstream.host}:{self.upstream.port}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _parse(head: bytes) -> tuple[str | None, dict[str, str]]:
    """The request line (None unless it is ``METHOD PATH HTTP/x``) and the headers,
    names in lower case."""
    lines = head.decode("latin-1").split("\r\n")
    words = lines[0].split(" ")
    request_line = lines[0] if len(words) == 3 and words[2].startswith("HTTP/") else None
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return request_line, headers


async def _answer(
    writer: asyncio.StreamWriter,
    status: str,
    body: bytes,
    *,
    bearer: bool = False,
    content_type: str = "text/plain",
) -> None:
    extra = f'WWW-Authenticate: {SCHEME} realm="{SERVICE}"\r\n' if bearer else ""
    writer.write(
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"{extra}Connection: close\r\n\r\n".encode()
        + body
    )
    await writer.drain()


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    """Copy until ``source`` ends, then end ``sink`` (the other direction may go on)."""
    try:
        while chunk := await source.read(64 * 1024):
            sink.write(chunk)
            await sink.drain()
    except OSError:
        pass  # one side went away: the other direction ends with it
    finally:
        if sink.can_write_eof():
            with contextlib.suppress(OSError):
                sink.write_eof()


def _peer(writer: asyncio.StreamWriter) -> str:
    address = writer.get_extra_info("peername")
    return f"{address[0]}:{address[1]}" if isinstance(address, tuple) else "a local client"


async def serve(
    guard: Guard, host: str, port: int, stop: asyncio.Event, ready: Callable[[str], None]
) -> None:
    """Accept connections on ``host:port`` until ``stop`` is set, then drop the ones still
    open (their browser contexts close with them). ``ready`` is told the bound address
    (``host:port``, the port chosen when 0 was asked for)."""
    open_connections: set[asyncio.Task[None]] = set()

    async def tracked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        open_connections.add(task)
        try:
            await guard.handle(reader, writer)
        finally:
            open_connections.discard(task)

    server = await asyncio.start_server(tracked, host, port, limit=HEAD_LIMIT)
    try:
        bound = server.sockets[0].getsockname()
        ready(f"{bound[0]}:{bound[1]}" if ":" not in bound[0] else f"[{bound[0]}]:{bound[1]}")
        await stop.wait()
    finally:
        server.close()
        for task in list(open_connections):
            task.cancel()
        await asyncio.gather(*open_connections, return_exceptions=True)
