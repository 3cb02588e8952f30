"""`zoomcal console`: the real bot, driven from a terminal against a built-in sandbox.

Nothing leaves the machine: Slack, Zoom and Microsoft are the fakes of bot.sandbox.
"""

from __future__ import annotations

import asyncio

from bot.console.app import BANNER, run_console

__all__ = ["BANNER", "main", "run_console"]


def main(credential: str = "secret") -> int:
    try:
        return asyncio.run(run_console(credential=credential))
    except KeyboardInterrupt:
        return 130
