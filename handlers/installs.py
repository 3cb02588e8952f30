"""Slack's OAuth install (multi-workspace mode): after Bolt saves the installation, bind the workspace."""

from __future__ import annotations

from slack_bolt.oauth.async_callback_options import (
    AsyncCallbackOptions,
    AsyncFailureArgs,
    AsyncSuccessArgs,
)
from slack_bolt.response import BoltResponse

from bot.services import Services

ORG_WIDE = "Org-wide installs are not supported: install zoomcal into each workspace."


def callback_options(services: Services) -> AsyncCallbackOptions:
    async def success(args: AsyncSuccessArgs) -> BoltResponse:
        if await services.workspaces.installed(args.installation):
            return await args.default.success(args)
        failure = AsyncFailureArgs(
            request=args.request, reason=ORG_WIDE, suggested_status_code=400, settings=args.settings, default=args.default
        )
        return await args.default.failure(failure)

    async def failure(args: AsyncFailureArgs) -> BoltResponse:
        return await args.default.failure(args)

    return AsyncCallbackOptions(success=success, failure=failure)
