"""Slack Web API lookups the service needs (the bot's own messages go through the notifier)."""

from __future__ import annotations

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
