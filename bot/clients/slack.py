"""Slack Web API clients and the lookups the service needs (the bot's own messages go through the notifier).

Every Web API client rides out Slack's rate limits (429 with Retry-After) and incidents (5xx,
dropped connections) with slack_sdk's retry handlers, bounded by what the user waits for: a
call made ``within`` a deadline (views.open, while its trigger_id lives) retries only if the
retry can still reach Slack in time; any other call waits at most ``MAX_WAIT`` for a retry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from ssl import SSLContext

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.errors import UpstreamError

SERVICE = "Slack"
RETRIES = 2  # per call, for 429s and 5xx alike: Slack's limits are per minute, its incidents brief
# A retry waited for longer than this helps nobody: the user who asked has given up by then, and
# background posts (the audit channel) come again with the next event.
MAX_WAIT = 30.0
JITTER = 1.0  # slack_sdk's handlers sleep their interval (Retry-After, a backoff) plus up to a second
CALL_SECONDS = 0.5  # a retry must reach Slack this long before the deadline (a call takes ~0.1 s)
_DEADLINE: ContextVar[float | None] = ContextVar("slack_deadline", default=None)


@contextmanager
def within(deadline: float) -> Iterator[None]:
    """Web API calls made inside retry only while they can reach Slack by ``deadline`` (event-loop time)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _fits(wait: float) -> bool:
    deadline = _DEADLINE.get()
    if deadline is None:
        return wait <= MAX_WAIT
    return asyncio.get_running_loop().time() + wait + CALL_SECONDS <= deadline


def _retry_after(response) -> float:
    for name, values in (response.headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return float(values[0] if isinstance(values, list) else values)
            except (TypeError, ValueError, IndexError):
                break
    return 1.0  # slack_sdk's own default when Slack names no wait


class RateLimitRetries(AsyncRateLimitErrorRetryHandler):
    """429: waits Retry-After (slack_sdk's handler), if the retry still comes in time."""

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        return await super()._can_retry_async(state=state, request=request, response=response, error=error) and _fits(
            _retry_after(response) + JITTER
        )


class ServerErrorRetries(AsyncServerErrorRetryHandler):
    """Any 5xx (slack_sdk's handler takes 500 and 503 only; a proxy in front of Slack answers 502 and 504)."""

    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        return (
            response is not None
            and 500 <= response.status_code < 600
            and _fits(self.interval_calculator.calculate_sleep_duration(state.current_attempt) + JITTER)
        )


class ConnectionRetries(AsyncConnectionErrorRetryHandler):
    async def _can_retry_async(self, *, state, request, response=None, error=None) -> bool:
        return await super()._can_retry_async(state=state, request=request, response=response, error=error) and _fits(
            self.interval_calculator.calculate_sleep_duration(state.current_attempt) + JITTER
        )


def retry_handlers() -> list:
    return [ConnectionRetries(), RateLimitRetries(max_retry_count=RETRIES), ServerErrorRetries(max_retry_count=RETRIES)]


def web_client(
    token: str | None, *, base_url: str, session: aiohttp.ClientSession, ssl: SSLContext | None, retrying: bool = True
) -> AsyncWebClient:
    """A Web API client on the shared session; Bolt copies its retry handlers into each request's client.
    ``retrying=False``: one attempt (the checks at start, where a failure is one line and exit 2)."""
    handlers = retry_handlers() if retrying else []
    return AsyncWebClient(token=token, base_url=base_url, session=session, ssl=ssl, retry_handlers=handlers)


def error_name(exc: Exception) -> str:
    """What Slack said went wrong, for an answer (a 429 or 5xx may carry no JSON error)."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        if isinstance(data, dict) and data.get("error"):
            return str(data["error"])
        status = getattr(exc.response, "status_code", None)
        return "ratelimited" if status == 429 else f"HTTP {status}"
    return type(exc).__name__


async def user_email(client: AsyncWebClient, user_id: str) -> str | None:
    """The user's email (needs users:read.email), or None for a bot, a deleted user or no email."""
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError as exc:
        if exc.response.get("error") == "user_not_found":
            return None
        raise UpstreamError(SERVICE, f"users.info failed: {exc.response.get('error')}") from None
    except (SlackClientError, OSError, TimeoutError) as exc:
        raise UpstreamError(SERVICE, f"could not be reached ({type(exc).__name__})") from None
    user = response.get("user") or {}
    if user.get("deleted") or user.get("is_bot"):
        return None
    return (user.get("profile") or {}).get("email") or None


async def respond(session: aiohttp.ClientSession, response_url: str, body: str) -> int:
    """Posts a message (JSON text) to a response_url; returns Slack's HTTP status.

    Straight through the shared session: slack_sdk's webhook client rebuilt its user agent and
    request on every post, and page clicks post one each.
    """
    async with session.post(response_url, data=body, headers={"Content-Type": "application/json"}) as response:
        await response.read()
        return response.status
