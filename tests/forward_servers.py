"""Real receivers on loopback for forwarding tests: an ntfy-protocol + JSON-webhook HTTP server
(aiohttp), an SMTP server (aiosmtpd) and a heartbeat endpoint counting GETs. They record what
arrived and can be told to fail.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiohttp import web

# ntfy's priority words and numbers (https://docs.ntfy.sh/publish/#message-priority).
_PRIORITY = {"max": 5, "urgent": 5, "high": 4, "default": 3, "low": 2, "min": 1}


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def topic(self) -> str:
        return str(self.body.get("topic") or self.path.strip("/"))

    @property
    def title(self) -> str:
        return str(self.body.get("title") or self.headers.get("X-Title") or self.headers.get("Title") or "")

    @property
    def message(self) -> str:
        return str(self.body.get("message") or "")

    @property
    def priority(self) -> int:
        """As ntfy reads it: the JSON field, else the X-Priority / Priority header; 3 when absent."""
        raw = self.body.get("priority") or self.headers.get("X-Priority") or self.headers.get("Priority") or "3"
        text = str(raw).lower()
        return int(text) if text.isdigit() else _PRIORITY[text]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LoopbackReceiver:
    """Speaks ntfy's publish protocol (POST/PUT /, /topic; JSON or headers) and takes json:// posts.

    `statuses` are answered first, one per request (e.g. [500, 500]), then 200.
    """

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    requests_seen: int = 0
    _runner: web.AppRunner | None = None
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)

    async def start(self) -> LoopbackReceiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, scheme: str = "ntfy", path: str = "alerts") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/{path}"

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> list[Received]:
        """Until `count` messages were accepted."""
        if len(self.received) < count:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((count, fut))
            await asyncio.wait_for(fut, timeout_s)
        return self.received

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests_seen += 1
        if request.method not in ("POST", "PUT"):
            return web.json_response({"code": 40500, "error": "method not allowed"}, status=405)
        if self.statuses:
            status = self.statuses.pop(0)
            if status != 200:
                return web.json_response({"code": status * 100, "error": "refused by test"}, status=status)
        text = await request.text()
        try:
            body = json.loads(text) if text else {}
        except ValueError:
            body = {"message": text}
        if not isinstance(body, dict):
            body = {"message": text}
        self.received.append(Received(request.method, request.path, dict(request.headers), body))
        for count, fut in list(self._waiters):
            if len(self.received) >= count and not fut.done():
                fut.set_result(None)
                self._waiters.remove((count, fut))
        return web.json_response({"id": f"m{len(self.received)}", "event": "message"})


class _MailBox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, list[Message]]]:
    """An SMTP server on loopback (aiosmtpd, its own thread); yields (port, messages received)."""
    from aiosmtpd.controller import Controller

    box = _MailBox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, box.messages
    finally:
        controller.stop()


@dataclass
class PingCounter:
    """A healthchecks.io-style endpoint on loopback: counts GETs; `statuses` are answered first, then 200."""

    port: int = field(default_factory=free_port)
    pings: list[str] = field(default_factory=list)  # the paths pinged
    statuses: list[int] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _waiters: list[tuple[int, asyncio.Future[None]]] = field(default_factory=list)

    async def start(self) -> PingCounter:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def url(self, path: str = "ping/uuid-token") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        if len(self.pings) < count:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append((count, fut))
            await asyncio.wait_for(fut, timeout_s)

    async def _handle(self, request: web.Request) -> web.Response:
        self.pings.append(request.path)
        for count, fut in list(self._waiters):
            if len(self.pings) >= count and not fut.done():
                fut.set_result(None)
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(text="OK", status=status)
