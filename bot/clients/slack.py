"""Slack Web API lookups the service needs (the bot's own messages go through the notifier)."""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.errors import UpstreamError

SERVICE = "Slack"


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
