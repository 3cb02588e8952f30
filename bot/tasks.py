"""Work after the ack that promises nothing: opening a dialog, publishing the Home tab, a post.

It starts at once, beside the ack, and waits behind nobody. Unlike a job it is not written
down first: if the replica dies, the user opens the tab or types the command again, and no
change is lost. Changes go through jobs (bot.jobs).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger(__name__)


class Tasks:
    def __init__(self) -> None:
        self._running: set[asyncio.Future] = set()

    def spawn(self, work: Awaitable[Any], name: str) -> asyncio.Future:
        """Runs ``work`` (a coroutine, or a task already running) to its end; failures are logged."""
        task = asyncio.ensure_future(work)
        if isinstance(task, asyncio.Task):
            task.set_name(name)
        self._running.add(task)  # the loop keeps only weak references to tasks
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Future) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            name = task.get_name() if isinstance(task, asyncio.Task) else "background work"
            log.error("%s failed: %s: %s", name, type(error).__name__, error)

    async def drain(self, timeout: float) -> bool:
        """Waits for running tasks (on SIGTERM); False if some were still running at the timeout."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)
        return not self._running
