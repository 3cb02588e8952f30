"""What every modal submission carries, and showing its outcome in the modal."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Actor
from bot.services.results import ConsentLinkSent, Disabled
from handlers.blocks import messages, modals
from handlers.errors import MalformedPayload


@dataclass(frozen=True)
class Submission:
    actor: Actor
    view_id: str
    values: dict

    @classmethod
    def read(cls, body: dict, view: dict) -> Submission:
        try:
            team = body.get("team") or {}
            actor = Actor(str(team.get("id") or body["user"]["team_id"]), str(body["user"]["id"]))
            values = view["state"]["values"]
            if not isinstance(values, dict):
                raise TypeError
            return cls(actor, str(view["id"]), values)
        except (KeyError, TypeError, AttributeError):
            raise MalformedPayload("view_submission") from None


async def show_outcome(client: AsyncWebClient, submission: Submission, result) -> None:
    title = {ConsentLinkSent: "Consent needed", Disabled: "Disabled"}.get(type(result), modals.MODAL_TITLE)
    try:
        await client.views_update(view_id=submission.view_id, view=modals.outcome_modal(title, result))
    except SlackApiError:
        # The admin closed the modal meanwhile: tell them in a DM instead (a consent link was DMed already).
        if not (isinstance(result, ConsentLinkSent) and result.delivered):
            await client.chat_postMessage(channel=submission.actor.user_id, **messages.message(result))
