"""Answering Slack after the ack: through response_url, or by updating a modal."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients.slack import respond
from bot.domain import Actor, Choices
from bot.services.results import ConsentLinkSent, Disabled
from handlers.blocks import messages, modals

log = logging.getLogger(__name__)


async def reply(session: aiohttp.ClientSession, response_url: str, answer: str) -> None:
    """Answer privately via response_url (valid 30 minutes, five times), on the shared connection pool.

    ``answer``: the message as JSON text (handlers.blocks.messages.answer or note).
    """
    status = await respond(session, response_url, answer)
    if status >= 400:
        log.warning("response_url answered HTTP %s", status)


async def show_outcome(client: AsyncWebClient, actor: Actor, view_id: str, result) -> None:
    """Shows a service answer in the modal the user submitted (or a DM if they closed it)."""
    title = {ConsentLinkSent: "Consent needed", Disabled: "Disabled"}.get(type(result), modals.MODAL_TITLE)
    try:
        await client.views_update(view_id=view_id, view=modals.outcome_modal(title, result))
    except SlackApiError:
        # The admin closed the modal meanwhile: tell them in a DM instead (a consent link was DMed already).
        if not (isinstance(result, ConsentLinkSent) and result.delivered):
            await client.chat_postMessage(channel=actor.user_id, **messages.message(result))


# What jobs carry: plain JSON.


def actor_data(actor: Actor) -> dict[str, str]:
    return {"team_id": actor.team_id, "user_id": actor.user_id}


def actor_from(data: dict) -> Actor:
    return Actor(data["team_id"], data["user_id"])


def lane(actor: Actor) -> str:
    """Whose jobs these are: a user's jobs run one at a time, in order (bot.jobs)."""
    return f"{actor.team_id}:{actor.user_id}"


def choices_from(data: dict) -> Choices:
    return Choices(**data)
