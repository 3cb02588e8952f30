"""Outbound HTTP plumbing shared by every client: TLS trust, timeouts, retries."""

from __future__ import annotations

import asyncio
import random
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import aiohttp
import certifi

from bot import metrics
from bot.clients.errors import UpstreamError

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """The public CAs plus the operator's extra ones (ZOOMCAL_CA_BUNDLE)."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle is not None:
        context.load_verify_locations(cafile=str(ca_bundle))
    return context


def client_session(ca_bundle: Path | None, *, timeout: float = 10.0) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 5.0)),
        connector=aiohttp.TCPConnector(ssl=ssl_context(ca_bundle), limit=100),
        raise_for_status=False,
    )


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 5.0
    deadline: float = 20.0  # total seconds a call may spend, retries included

    def backoff(self, attempt: int) -> float:
        # Full jitter: spreads replicas' retries apart.
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds, an HTTP date, or an ISO 8601 time (Zoom's daily limits)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    now = now or datetime.now(timezone.utc)
    for parse in (parsedate_to_datetime, _iso):
        try:
            when = parse(value)
        except (TypeError, ValueError, IndexError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return max(0.0, (when - now).total_seconds())
    return None


def _iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, or text when not JSON


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    service: str,
    policy: RetryPolicy = RetryPolicy(),
    **kwargs: Any,
) -> Response:
    """Send with retries on 429, 5xx and connection errors; other statuses are returned."""
    started = time.monotonic()
    attempt = 0
    while True:
        try:
            async with session.request(method, url, **kwargs) as raw:
                body: Any = await raw.text()
                if "json" in (raw.content_type or ""):
                    try:
                        body = await raw.json(content_type=None)
                    except ValueError:
                        pass
                response = Response(raw.status, dict(raw.headers), body)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            metrics.OUTBOUND.labels(service, "unreachable").inc()
            response = None
            failure = f"could not be reached ({type(exc).__name__})"
        else:
            metrics.OUTBOUND.labels(service, str(response.status)).inc()
            if response.status not in RETRYABLE_STATUS:
                return response
            failure = f"answered HTTP {response.status}"

        attempt += 1
        delay = policy.backoff(attempt)
        if response is not None and response.status == 429:
            hinted = retry_after_seconds(response.headers.get("Retry-After"))
            if hinted is not None:
                delay = hinted
        elapsed = time.monotonic() - started
        if attempt >= policy.attempts or elapsed + delay > policy.deadline:
            limited = response is not None and response.status == 429
            raise UpstreamError(
                service,
                "is rate-limiting us; try again later" if limited else f"{failure}; try again in a few minutes",
                status=None if response is None else response.status,
            )
        await asyncio.sleep(delay)
