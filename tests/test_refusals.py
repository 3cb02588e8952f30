"""Refusals are bounded: a refused user's repeats cost no lookups, a capped number of audit rows,
and one audit-channel post a minute (the rest folded into one line)."""

from __future__ import annotations

import asyncio

from bot.domain import Actor
from bot.services.refusals import LIMIT, Refusals
from storage.models import AuditEvent
from tests.flows import command_answer, rows, text_of
from tests.harness import MEMBER, TEAM, Stack

AUDIT = "C0AUDIT01"
REFUSED = "only Zoom account owners and admins"


def audit_posts(stack: Stack) -> list[dict]:
    return [m for m in stack.slack.messages if m.get("channel") == AUDIT]


async def test_forty_refused_commands_cost_one_lookup_a_capped_audit_and_one_post(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL=AUDIT) as stack:
        answers = await asyncio.gather(*(command_answer(stack, "disable account", MEMBER) for _ in range(40)))
        assert all(REFUSED in text_of(a) for a in answers), "every one is answered with the refusal"
        await stack.slack.wait_until(lambda: audit_posts(stack), what="the first refusal's post")
        await asyncio.sleep(0.3)
        # One users.info, one Zoom user lookup, and (a Member's role is neither Owner nor Admin) one of its permissions.
        assert len(stack.slack.calls("users.info")) == 1 and len(stack.zoom.calls("/v2/users/")) == 2
        assert len(stack.zoom.calls("/permissions")) == 1
        refused = [e for e in await rows(stack, AuditEvent) if e.action == "refused"]
        assert len(refused) == LIMIT, "past the limit, refusals are answered without another row"
        assert len(audit_posts(stack)) == 1, "the others are folded"


async def test_folded_refusals_are_posted_as_one_line_when_the_minute_ends(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL=AUDIT) as stack:
        # The same class with a shorter window, so the test need not wait a minute.
        object.__setattr__(stack.runtime.services.deps, "refusals", Refusals(window=1.0))
        for _ in range(4):
            await command_answer(stack, "enable account", MEMBER)
        [first, summary] = await stack.slack.wait_until(
            lambda: audit_posts(stack) if len(audit_posts(stack)) >= 2 else None, timeout=5, what="the summary"
        )
        assert "refused" in first["text"] and f"<@{MEMBER}>" in first["text"]
        assert "refused 3 more times in the last minute" in summary["text"]
        assert len([e for e in await rows(stack, AuditEvent) if e.action == "refused"]) == 4


def test_a_refused_user_is_limited_within_the_window_and_free_after_it():
    now = [0.0]
    refusals = Refusals(clock=lambda: now[0], window=60.0, limit=3)
    user, other = Actor(TEAM, "U1"), Actor(TEAM, "U2")
    assert [refusals.record(user) for _ in range(3)] == ["post", "summarize", "fold"]
    assert refusals.limited(user) and not refusals.limited(other)
    assert refusals.post_folded_in(user) == 60.0
    now[0] = 60.5
    assert not refusals.limited(user), "a minute later, the user is heard again"
    assert refusals.take_folded(user) == 2 and refusals.take_folded(user) == 0
    assert refusals.record(user) == "summarize", "the summary just posted counts as this minute's post"
    assert [refusals.record(user) for _ in range(3)] == ["fold", "fold", "limited"]
