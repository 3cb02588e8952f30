"""Socket Mode: Slack's requests over a WebSocket, checked at the same edge as /slack/events."""

from __future__ import annotations

import logging

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import logs
from bot.config import Settings, SettingsError
from handlers import shapes
from handlers.parsing import Malformed

log = logging.getLogger(__name__)


async def check_app_token(settings: Settings, client: AsyncWebClient) -> None:
    """SLACK_APP_TOKEN asked once at start, before anything is on disk: Socket Mode's own connect
    retries a refused token forever, logging errors, so a wrong token would never stop the start."""
    try:
        await client.apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as exc:
        if exc.response.get("error"):  # Slack's own answer: the token is what to fix
            raise SettingsError(
                [f"SLACK_APP_TOKEN: Slack refused it (apps.connections.open: {exc.response.get('error')})"]
            ) from None
        raise SettingsError([_unreachable(settings, f"it answered HTTP {exc.response.status_code}")]) from None
    except (SlackClientError, OSError, TimeoutError) as exc:
        raise SettingsError([_unreachable(settings, type(exc).__name__)]) from None


def _unreachable(settings: Settings, why: str) -> str:
    return f"Slack's Web API could not be reached at {settings.slack_api_url}/ to check SLACK_APP_TOKEN ({why})"


class CheckedSocketModeHandler(AsyncSocketModeHandler):
    """Each envelope starts its request id and has its payload's shape checked before Bolt sees it
    (Bolt's own argument building indexes fields unguarded, before any middleware could look).

    A malformed or unhandled envelope is acknowledged with nothing and runs nothing: Bolt sends no
    acknowledgement for an error, and Slack would send the envelope again.
    """

    def __init__(self, *args, edge: shapes.Edge, **kwargs):
        super().__init__(*args, **kwargs)
        self._edge = edge

    async def handle(self, client, req: SocketModeRequest) -> None:
        logs.start_request()
        payload = req.payload
        try:
            if not isinstance(payload, dict):
                raise Malformed("the envelope's payload is not an object")
            kind = self._edge.kind(payload, form="type" not in payload)  # a slash command's payload is its form
        except Malformed as problem:
            log.warning("malformed Slack request: %s", problem)
            kind = shapes.UNHANDLED
        if kind in (shapes.SSL_CHECK, shapes.UNHANDLED):
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        await super().handle(client, req)
