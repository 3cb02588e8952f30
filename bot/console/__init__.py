"""`zoomcal console`: the real bot, driven from a terminal against a built-in sandbox.

Nothing leaves the machine: Slack, Zoom and Microsoft are the fakes of bot.sandbox.
"""

from __future__ import annotations

import asyncio
import signal

from bot.console.app import BANNER, run_console

__all__ = ["BANNER", "main", "run_console"]


def main(credential: str = "secret") -> int:
    # A closed terminal (SIGHUP) or a plain `kill` (SIGTERM) ends the console as Ctrl-C does, so the
    # terminal is given back and the sandbox's temp folder removed (only SIGKILL leaves it behind).
    for stop in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if stop is not None:
            signal.signal(stop, _as_ctrl_c)
    try:
        return asyncio.run(run_console(credential=credential))
    except KeyboardInterrupt:
        return 130


def _as_ctrl_c(signum, frame) -> None:
    signal.raise_signal(signal.SIGINT)
