"""The configuration dialog's Save: enable, ask to confirm a disable, or point at bad inputs."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain import Scope
from bot.services import Services
from bot.services.configure import Path
from handlers import ids
from handlers.blocks import modals
from handlers.modals.submission import Submission, show_outcome


def configure_submitted(services: Services):
    async def handle(ack: AsyncAck, body: dict, view: dict, client: AsyncWebClient) -> None:
        submission = Submission.read(body, view)
        scope = _chosen_scope(submission.values)
        choices = modals.choices_from_state(submission.values)
        plan = await services.configure.plan(scope, choices)
        if plan.path is Path.ERRORS:
            block_ids = ids.FIELD_BLOCKS | {"scope": ids.SCOPE_BLOCK}
            await ack(response_action="errors", errors={block_ids[f]: m for f, m in plan.errors.items()})
        elif plan.path is Path.CONFIRM_DISABLE:
            await ack(response_action="push", view=modals.confirm_disable_modal(scope))
        elif plan.path is Path.NOTHING:
            await ack(response_action="update", view=modals.outcome_modal(modals.MODAL_TITLE, plan.nothing))
        else:
            await ack(response_action="update", view=modals.progress_modal(scope))
            if plan.path is Path.ENABLE:
                result = await services.enable.request_consent(submission.actor, scope, choices, submission.view_id)
            else:
                result = await services.disable.disable(submission.actor, scope)
            await show_outcome(client, submission, result)

    return handle


def _chosen_scope(values: dict) -> Scope | None:
    """The scope select's option: "account", or "group:<id>" with the group's name as its text."""
    selected = (values.get(ids.SCOPE_BLOCK, {}).get(ids.SCOPE_ACTION) or {}).get("selected_option") or {}
    value = str(selected.get("value") or "")
    name = str((selected.get("text") or {}).get("text") or "")
    if value == "account":
        return Scope.account()
    if value.startswith("group:") and len(value) > 6 and name:
        return Scope.group(value[6:], name)
    return None



