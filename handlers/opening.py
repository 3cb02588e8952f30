"""Opening a modal whose content needs slow checks, before Slack's trigger_id expires."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.services.results import Problem
from handlers.blocks import modals

# A trigger_id dies about 3 s after the click or command. If the permission and group checks
# take longer than this, a placeholder modal opens first and is filled in when they finish.
PLACEHOLDER_AFTER = 1.2


async def open_modal(
    client: AsyncWebClient,
    trigger_id: str,
    preparing: Awaitable,
    form_type: type,
    build: Callable[[object], dict],
):
    """Opens ``build(form)`` when ``preparing`` yields a ``form_type``; returns any other result to answer.

    Returns None when a modal shows the outcome.
    """
    task = asyncio.ensure_future(preparing)
    done, _ = await asyncio.wait({task}, timeout=PLACEHOLDER_AFTER)
    try:
        if done:
            result = task.result()
            if not isinstance(result, form_type):
                return result
            await client.views_open(trigger_id=trigger_id, view=build(result))
            return None
        opened = await client.views_open(trigger_id=trigger_id, view=modals.loading_modal())
        result = await task
        view = build(result) if isinstance(result, form_type) else modals.outcome_modal(modals.MODAL_TITLE, result)
        await client.views_update(view_id=opened["view"]["id"], view=view)
        return None
    except SlackApiError as exc:
        task.cancel()
        return Problem(f"Slack would not open the dialog ({exc.response.get('error')}). Please try again.")
