"""Slack's clock: how long an answer may take to ride in the ack."""

from __future__ import annotations

import asyncio

# Slack waits 3 s for the ack, counted on its side. Half of that is spent at most on an answer
# (normally a few milliseconds from memory; a cold role lookup costs two calls of 0.1-0.5 s);
# the rest is left to the network and a busy server. A slower answer follows through a job.
ANSWER_BUDGET = 1.5


async def settled(work: asyncio.Future, seconds: float = ANSWER_BUDGET) -> bool:
    """Whether ``work`` finished within ``seconds`` (it keeps running if not)."""
    if not work.done():
        # An answer from memory finishes in the task's first step: no timer for it (a tenth of an ack's CPU).
        await asyncio.sleep(0)
    if not work.done():
        await asyncio.wait({work}, timeout=seconds)
    return work.done()
