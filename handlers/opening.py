"""Opening a dialog beside the ack, while the command's trigger_id is alive.

A trigger_id dies about 3 s after the command or click. The listener waits up to
``PLACEHOLDER_AFTER`` for the permission and group checks (from memory, normally at once):
a refusal is answered in the ack; otherwise the ack goes out and ``open_dialog`` runs beside
it, waiting behind nobody. When the checks take longer (a cold lookup against a slow Zoom), a
placeholder dialog opens first and is filled in when they finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.clients import slack
from bot.services.results import Problem
from handlers.blocks import modals
from handlers.timing import settled

# The dialog should open within a second of the command, also during a burst: half of that
# for the checks, the rest for views.open on a busy event loop.
PLACEHOLDER_AFTER = 0.5
TRIGGER_LIFE = 3.0  # seconds a trigger_id opens a dialog, from the command or click (Slack's rule)


def trigger_expires() -> float:
    """When a trigger_id that just arrived dies (event-loop time): views.open retries until then."""
    return asyncio.get_running_loop().time() + TRIGGER_LIFE


async def prepare(preparing: Awaitable) -> tuple[asyncio.Future, bool]:
    """Starts the checks; returns them and whether they finished within PLACEHOLDER_AFTER."""
    task = asyncio.ensure_future(preparing)
    return task, await settled(task, PLACEHOLDER_AFTER)


async def open_dialog(
    client: AsyncWebClient,
    trigger_id: str,
    preparing: asyncio.Future,
    form_type: type,
    build: Callable[[object], dict],
    expires: float,
):
    """Opens ``build(form)`` when ``preparing`` yields a ``form_type``; returns any other result to tell.

    Returns None when a dialog shows the outcome. ``expires``: when the trigger_id dies
    (``trigger_expires``); Slack's 429s and 5xx are retried only until then.
    """
    try:
        if preparing.done():
            result = preparing.result()
            if not isinstance(result, form_type):
                return result
            with slack.within(expires):
                await client.views_open(trigger_id=trigger_id, view=build(result))
            return None
        with slack.within(expires):
            opened = await client.views_open(trigger_id=trigger_id, view=modals.loading_modal())
        result = await preparing
        view = build(result) if isinstance(result, form_type) else modals.outcome_modal(modals.MODAL_TITLE, result)
        await client.views_update(view_id=opened["view"]["id"], view=view)
        return None
    except (SlackApiError, SlackClientError, aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        preparing.cancel()
        error = slack.error_name(exc)
        if error == "ratelimited":
            return Problem("Slack is limiting how fast zoomcal may open dialogs, so this one could not open in time. "
                           "Please try again in a minute.")
        return Problem(f"Slack would not open the dialog ({error}). Please try again.")
