"""The configuration dialog's scope typeahead: the account and matching Zoom groups."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.domain import Actor
from bot.services import Services
from handlers.blocks import modals
from handlers.errors import MalformedPayload


def scope_options(services: Services):
    async def handle(ack: AsyncAck, body: dict) -> None:
        try:
            actor = Actor(str((body.get("team") or {}).get("id") or ""), str(body["user"]["id"]))
        except (KeyError, TypeError):
            raise MalformedPayload("block_suggestion") from None
        scopes = await services.overview.suggest_scopes(actor, str(body.get("value") or ""))
        # Options must come inside the ack; a failure to list groups shows as no matches.
        await ack(options=[modals.scope_option(s) for s in scopes] if isinstance(scopes, list) else [])

    return handle
