"""Only zoomcal's own Slack teams are served.

Runs before authorize, so a request that names any other team (as its workspace, its user's
team or its view's) reaches no listener and no job: no users.info, Zoom or Microsoft call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Container

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger("zoomcal.handlers")

REFUSAL = "zoomcal is not available in this Slack workspace."


def named_teams(request: AsyncBoltRequest) -> list[object]:
    """Every team a request names: Bolt's view of it, and each field a listener may read a team from.

    A list, not a set: in a malformed body a "team" may be any JSON value, hashable or not.
    """
    body = request.body
    context = request.context
    names: list[object] = [context.team_id, context.actor_team_id, body.get("team_id")]
    team = body.get("team")
    names.append(team.get("id") if isinstance(team, dict) else team)
    for part in (body.get("user"), body.get("view")):
        if isinstance(part, dict):
            names.append(part.get("team_id"))
    view = body.get("view")
    if isinstance(view, dict):
        names.append(view.get("app_installed_team_id"))
    return [n for n in names if n is not None]


def refusal(body: dict) -> BoltResponse:
    if "command" in body:  # a slash command's answer is shown to the user only
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": REFUSAL})
    if body.get("type") == "block_suggestion":
        return BoltResponse(status=200, body={"options": []})
    return BoltResponse(status=200, body="")  # events, clicks, dialogs: acknowledged, nothing done


class OwnTeamsOnly(AsyncMiddleware):
    def __init__(self, teams: Container[str]):
        self._teams = teams

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        body = req.body
        if body.get("type") == "url_verification" or "ssl_check" in body:  # Slack's own checks name no team
            return await next()
        names = named_teams(req)
        if names and all(isinstance(n, str) and n in self._teams for n in names):
            return await next()
        foreign = sorted({str(n)[:24] for n in names if not (isinstance(n, str) and n in self._teams)})[:3]
        log.warning("refused a Slack request from outside the allowed teams: %s", ", ".join(foreign) or "no team")
        return refusal(body)
