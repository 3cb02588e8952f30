"""Slack's OAuth install (multi-workspace mode): refused installs store nothing; allowed ones are bound."""

from __future__ import annotations

from collections.abc import Container

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.oauth.installation_store import Installation

from bot.services import Services
from bot.services.workspaces import NOT_ALLOWED, install_refusal


class InstallFlow(AsyncOAuthFlow):
    """Bolt's OAuth flow, except that an install from a team zoomcal does not serve is never saved.

    Bolt saves the installation (installation and bot token rows) before the success callback
    runs, so refusing there would leave the tokens behind: the check comes first, here.
    """

    def __init__(self, teams: Container[str], **kwargs):
        super().__init__(**kwargs)
        self._teams = teams

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation) -> None:
        if install_refusal(installation, self._teams) is None:
            await super().store_installation(request, installation)


def callback_options(services: Services, teams: Container[str]) -> AsyncCallbackOptions:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        refusal = await services.workspaces.installed(args.installation, teams)
        if refusal is None:
            return await args.default.success(args)
        failure = AsyncFailureArgs(
            request=args.request, reason=refusal, suggested_status_code=403 if refusal == NOT_ALLOWED else 400,
            settings=args.settings, default=args.default,
        )
        return await args.default.failure(failure)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        return await args.default.failure(args)

    return AsyncCallbackOptions(success=success, failure=failure)
