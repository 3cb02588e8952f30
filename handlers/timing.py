"""Slack's clocks: what may be answered inside the ack, and when a dialog must open."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from bot.tasks import Tasks

# Slack waits 3 s for the ack, counted on its side. Half of that is spent at most on an answer
# (normally a few milliseconds from memory; a cold role lookup costs two calls of 0.1-0.5 s);
# the rest is left to the network and a busy server. A slower answer follows through a job.
ANSWER_BUDGET = 1.5


class _Slow:
    def __repr__(self) -> str:
        return "SLOW"


SLOW = _Slow()  # the answer did not come within the budget


async def within(seconds: float, work: Awaitable, tasks: Tasks):
    """``work``'s result, or SLOW after ``seconds``. Slow work is left to finish in the background:
    the lookups it started fill the caches the job that answers instead will read."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if done:
        return task.result()
    tasks.spawn(task, "slow answer")
    return SLOW
