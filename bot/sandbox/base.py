"""A recording aiohttp server on 127.0.0.1 with latency and failure injection."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import web

# Where a request's own record is kept (aiohttp 3.12+ wants typed keys; older ones take a string).
_RECORDED = web.RequestKey("recorded", object) if hasattr(web, "RequestKey") else "recorded"

@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived (one clock for every process)

    def header(self, name: str, default: str = "") -> str:
        """A header, looked up case-insensitively."""
        name = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == name), default)

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(errors="replace"), keep_blank_values=True))

    def args(self) -> dict[str, Any]:
        """JSON body, or form body, merged over the query string."""
        merged: dict[str, Any] = dict(self.query)
        if "json" in self.header("Content-Type"):
            data = self.json()
            if isinstance(data, dict):
                merged |= data
        elif self.body:
            merged |= self.form()
        return merged


@dataclass
class _Failure:
    path_contains: str
    status: int
    body: Any
    headers: dict[str, str]
    times: int


class FakeServer:
    def __init__(self, ssl_context: ssl.SSLContext | None = None):
        self.ssl_context = ssl_context
        self.requests: list[RecordedRequest] = []
        self.latency = 0.0
        self.url = ""
        self._failures: list[_Failure] = []
        self._holds: list[tuple[str, list[int], asyncio.Event]] = []
        self._runner: web.AppRunner | None = None
        self._activity = asyncio.Event()  # set (and replaced) when a request arrives or is answered

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> FakeServer:
        app = web.Application(middlewares=[self._middleware], client_max_size=16 * 1024 * 1024)
        self.routes(app)
        # At stop, a request still held by ``latency`` is cut off at once: its client is gone or gives up.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    def fail_next(self, path_contains: str, status: int, body: Any = None, headers: dict | None = None, times: int = 1):
        """The next ``times`` requests whose path contains ``path_contains`` get this response instead."""
        self._failures.append(_Failure(path_contains, status, body, dict(headers or {}), times))

    def hold(self, path_contains: str, times: int = 1) -> asyncio.Event:
        """The next ``times`` requests whose path contains ``path_contains`` are recorded, then wait
        until the returned event is set: a race made certain instead of timed."""
        release = asyncio.Event()
        self._holds.append((path_contains, [times], release))
        return release

    def calls(self, path_contains: str) -> list[RecordedRequest]:
        return [r for r in self.requests if path_contains in r.path]

    @staticmethod
    def recorded(request: web.Request) -> RecordedRequest:
        """The record of the request being handled (safe with concurrent requests)."""
        return request[_RECORDED]

    async def wait_until(
        self, condition: Callable[[], Any], timeout: float = 5.0, what: str | Callable[[], str] = "condition"
    ) -> Any:
        """Poll until ``condition()`` is truthy and return its value; AssertionError on timeout.

        ``what`` (a string, or a callable evaluated at timeout) describes the wait in the message.
        """
        deadline = time.monotonic() + timeout
        while not (value := condition()):
            if time.monotonic() > deadline:
                seen = ", ".join(f"{r.method} {r.path}" for r in self.requests[-10:])
                described = what() if callable(what) else what
                raise AssertionError(
                    f"{type(self).__name__}: timed out after {timeout}s waiting for {described}; last requests: {seen}"
                )
            # Woken by this fake's next request (most conditions are about those), else looked at again
            # every 20 ms (conditions about anything else).
            try:
                await asyncio.wait_for(self._activity.wait(), 0.02)
            except asyncio.TimeoutError:
                pass
        return value

    async def wait_for(
        self, match: str | Callable[[RecordedRequest], bool], count: int = 1, timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Wait until ``count`` recorded requests match (a path substring or a predicate); return them all."""
        predicate = (lambda r: match in r.path) if isinstance(match, str) else match

        def found():
            matching = [r for r in self.requests if predicate(r)]
            return matching if len(matching) >= count else None

        def what() -> str:
            return f"{count} request(s) matching {match!r}, got {sum(1 for r in self.requests if predicate(r))}"

        return await self.wait_until(found, timeout, what)

    @web.middleware
    async def _middleware(self, request: web.Request, handler):
        body = await request.read()
        recorded = RecordedRequest(request.method, request.path, dict(request.query), dict(request.headers), body)
        request[_RECORDED] = recorded
        self.requests.append(recorded)
        self._wake()
        try:
            return await self._respond(request, handler)
        finally:
            self._wake()  # what the handler did (a view stored, a message kept) shows now

    def _wake(self) -> None:
        activity, self._activity = self._activity, asyncio.Event()
        activity.set()

    async def _respond(self, request: web.Request, handler):
        if self.latency:
            await asyncio.sleep(self.latency)
        for path_contains, left, release in self._holds:
            if left[0] > 0 and path_contains in request.path:
                left[0] -= 1
                await release.wait()
        for failure in self._failures:
            if failure.times > 0 and failure.path_contains in request.path:
                failure.times -= 1
                if isinstance(failure.body, (dict, list)):
                    return web.json_response(failure.body, status=failure.status, headers=failure.headers)
                return web.Response(text=str(failure.body or ""), status=failure.status, headers=failure.headers)
        return await handler(request)
