"""Turns a malformed Slack payload into a 4xx, and keeps tracebacks out of answers and logs."""

from __future__ import annotations

import functools
import json
import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.services.results import DATABASE_DOWN
from handlers.blocks import messages, modals
from handlers.replies import reply
from storage.db import DatabaseUnavailable

log = logging.getLogger("zoomcal.handlers")


class MalformedPayload(ValueError):
    """A correctly signed Slack request that lacks what its kind must carry."""


SORRY = "Sorry, zoomcal hit an unexpected error (it was logged). Please try again."
MALFORMED = (MalformedPayload, KeyError, TypeError)


async def on_error(error: Exception, body: dict, response: BoltResponse | None) -> BoltResponse | None:
    if isinstance(error, DatabaseUnavailable):
        log.warning("the database is unavailable (%s): answered so", error)
        return None if response is None else unavailable(body)
    if isinstance(error, MALFORMED):
        log.warning("malformed Slack request: %s", type(error).__name__)
        status = 400
    else:
        log.error("listener failed: %s: %s", type(error).__name__, error, exc_info=log.isEnabledFor(logging.DEBUG))
        status = 500
    if response is None:  # already acknowledged: nothing more to send
        return None
    return BoltResponse(status=status, body="")


def unavailable(body: dict) -> BoltResponse:
    """The ack of a change the database could not take (its job row, say): say so, never a 5xx.

    A command's answer says it; a submitted dialog stays, under a view saying it (closing that
    one returns to the dialog, to submit again later). Other requests are acked: their listeners
    tell the user where they can (handlers.actions), or nobody is waiting (events).
    """
    if isinstance(body, dict) and "command" in body:
        return BoltResponse(status=200, body=messages.answer(DATABASE_DOWN))
    if isinstance(body, dict) and body.get("type") == "view_submission":
        view = modals.outcome_modal(modals.MODAL_TITLE, DATABASE_DOWN)
        return BoltResponse(status=200, body=json.dumps({"response_action": "push", "view": view}))
    return BoltResponse(status=200, body="")


def guarded(listener):
    """Keeps a failure after ack() inside the listener.

    Bolt loses an ack whose listener raises within its 10 ms poll, answering 404; after the
    ack there is nothing left to tell Slack anyway, so log it and stop.
    """

    @functools.wraps(listener)
    async def wrapper(**kwargs):
        try:
            return await listener(**kwargs)
        except Exception as error:
            ack = kwargs.get("ack")
            if ack is None or ack.response is None:
                raise  # not acknowledged yet: on_error answers
            log.error("listener failed after ack: %s: %s", type(error).__name__, error)

    return wrapper


def answers_errors(workspaces):
    """A job that fails unexpectedly still tells the user (when it can), then reports failure."""
    return functools.partial(_answering_errors, workspaces)


def _answering_errors(workspaces, job):
    @functools.wraps(job)
    async def wrapper(payload: dict):
        try:
            return await job(payload)
        except Exception:
            if payload.get("response_url"):
                try:
                    await reply(workspaces.session, payload["response_url"], messages.note(SORRY))
                except Exception:  # best effort: the job failure itself is logged by the queue
                    pass
            raise

    return wrapper


def register(app: AsyncApp) -> None:
    app.error(on_error)
