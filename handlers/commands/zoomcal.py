"""`/zoomcal …`: ack at once, then one service call per verb, answered privately."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.command import Verb, parse
from bot.domain import Actor
from bot.services.integrations import IntegrationService
from bot.services.results import EnableForm, Problem
from handlers import views
from handlers.errors import MalformedPayload


def zoomcal_command(service: IntegrationService):
    async def handle(ack: AsyncAck, body: dict, respond: AsyncRespond, client: AsyncWebClient) -> None:
        actor = Actor(_field(body, "team_id"), _field(body, "user_id"))
        trigger_id = _field(body, "trigger_id")
        command = parse(str(body.get("text") or ""))
        await ack()  # within Slack's 3 seconds; the answer follows through response_url

        if command.verb is Verb.ENABLE and command.problem is None:
            result = await service.prepare_enable(actor, command.target)
            if isinstance(result, EnableForm):
                try:
                    await client.views_open(trigger_id=trigger_id, view=views.enable_modal(result))
                    return
                except SlackApiError as exc:
                    # The trigger lives ~3 s; if Zoom was slow it is gone. Say so instead of going silent.
                    result = Problem(f"Slack would not open the dialog ({exc.response.get('error')}). Please run the command again.")
        elif command.verb is Verb.STATUS and command.problem is None:
            result = await service.status(actor, command.target)
        elif command.verb in (Verb.HELP, Verb.CONFIGURE) or command.problem is not None:
            result = await service.help(actor, command.problem)
        else:
            result = Problem(f"`/zoomcal {command.verb.value}` is not available yet.")
        await respond(response_type="ephemeral", replace_original=False, **views.message(result))

    return handle


def _field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedPayload(name)
    return value
