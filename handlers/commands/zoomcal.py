"""`/zoomcal …`: ack at once, then one service call per verb, answered privately."""

from __future__ import annotations

import asyncio

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.command import Command, Verb, parse
from bot.domain import Actor
from bot.services.integrations import IntegrationService
from bot.services.results import EnableForm, Problem
from handlers import views
from handlers.errors import MalformedPayload

# A trigger_id dies about 3 s after the command. If the permission and group checks take
# longer than this, a placeholder modal opens first and is filled in when they finish.
PLACEHOLDER_AFTER = 1.2


def zoomcal_command(service: IntegrationService):
    async def handle(ack: AsyncAck, body: dict, respond: AsyncRespond, client: AsyncWebClient) -> None:
        actor = Actor(_field(body, "team_id"), _field(body, "user_id"))
        trigger_id = _field(body, "trigger_id")
        command = parse(str(body.get("text") or ""))
        await ack()  # within Slack's 3 seconds; the answer follows through response_url

        if command.verb is Verb.ENABLE and command.problem is None:
            result = await _enable(service, client, actor, command, trigger_id)
            if result is None:
                return
        elif command.verb is Verb.STATUS and command.problem is None:
            result = await service.status(actor, command.target)
        elif command.verb in (Verb.HELP, Verb.CONFIGURE) or command.problem is not None:
            result = await service.help(actor, command.problem)
        else:
            result = Problem(f"`/zoomcal {command.verb.value}` is not available yet.")
        await respond(response_type="ephemeral", replace_original=False, **views.message(result))

    return handle


async def _enable(service: IntegrationService, client: AsyncWebClient, actor: Actor, command: Command, trigger_id: str):
    """Opens the enable modal; returns a result to answer instead, or None when the modal says it all."""
    preparing = asyncio.ensure_future(service.prepare_enable(actor, command.target))
    done, _ = await asyncio.wait({preparing}, timeout=PLACEHOLDER_AFTER)
    try:
        if done:
            result = preparing.result()
            if not isinstance(result, EnableForm):
                return result
            await client.views_open(trigger_id=trigger_id, view=views.enable_modal(result))
            return None
        opened = await client.views_open(trigger_id=trigger_id, view=views.loading_modal())
        result = await preparing
        view = views.enable_modal(result) if isinstance(result, EnableForm) else views.outcome_modal("Mail & Calendar", result)
        await client.views_update(view_id=opened["view"]["id"], view=view)
        return None
    except SlackApiError as exc:
        preparing.cancel()
        return Problem(f"Slack would not open the dialog ({exc.response.get('error')}). Please run the command again.")


def _field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedPayload(name)
    return value
