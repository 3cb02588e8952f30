"""Turns a malformed Slack payload into a 4xx, and keeps tracebacks out of answers and logs."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

log = logging.getLogger("zoomcal.handlers")


class MalformedPayload(ValueError):
    """A correctly signed Slack request that lacks what its kind must carry."""


MALFORMED = (MalformedPayload, KeyError, TypeError, ValueError, AttributeError)


async def on_error(error: Exception, response: BoltResponse | None) -> BoltResponse | None:
    if isinstance(error, MALFORMED):
        log.warning("malformed Slack request: %s", type(error).__name__)
        status = 400
    else:
        log.error("listener failed: %s", type(error).__name__, exc_info=log.isEnabledFor(logging.DEBUG))
        status = 500
    if response is None:  # already acknowledged: nothing more to send
        return None
    return BoltResponse(status=status, body="")


def register(app: AsyncApp) -> None:
    app.error(on_error)
