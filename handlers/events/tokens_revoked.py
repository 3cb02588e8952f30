"""Tokens were revoked: a revoked bot token means the workspace is gone, so forget it."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from handlers.events.app_uninstalled import forget_workspace


def tokens_revoked(jobs: JobQueue):
    async def handle(ack: AsyncAck, event: dict, body: dict) -> None:
        # User tokens are never kept (bot-only install), so only a revoked bot token matters.
        if (event.get("tokens") or {}).get("bot"):
            await forget_workspace(jobs, body)
        await ack()

    return handle
