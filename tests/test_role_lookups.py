"""The role cache keeps the newest lookup's answer: an older, slower one finishing last must not
overwrite what a change just learned afresh (a demoted admin would read on for another minute)."""

from __future__ import annotations

import asyncio

from bot.services.access import _Lookups


async def test_a_slow_older_lookup_does_not_overwrite_a_fresh_answer():
    lookups: _Lookups[str, str] = _Lookups(ttl=60.0, clock=lambda: 0.0)
    slow_answer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def slow() -> str:
        return await slow_answer  # Zoom answering a read slowly, from before the demotion

    async def fresh() -> str:
        return "demoted"

    reading = asyncio.ensure_future(lookups.get("ann", False, slow))
    await asyncio.sleep(0)
    assert await lookups.get("ann", True, fresh) == "demoted"  # a change asks afresh
    slow_answer.set_result("admin")
    assert await reading == "admin"  # the slow reader still gets its own answer
    assert await lookups.get("ann", False, slow) == "demoted", "the fresh answer is what reads see"


async def test_concurrent_reads_share_one_lookup_and_remember_it():
    calls = 0

    async def ask() -> str:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        return "admin"

    lookups: _Lookups[str, str] = _Lookups(ttl=60.0, clock=lambda: 0.0)
    answers = await asyncio.gather(*(lookups.get("ann", False, ask) for _ in range(5)))
    assert answers == ["admin"] * 5 and calls == 1
    assert await lookups.get("ann", False, ask) == "admin" and calls == 1
