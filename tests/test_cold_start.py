"""Right after start: a crowd of first requests shares one load of what every answer needs."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import event

from tests.flows import final_answer, holding
from tests.harness import Stack

CROWD = 50


def statements(stack: Stack, table: str) -> list[int]:
    """A counter (one item) of the SELECTs the bot runs on ``table``."""
    seen = [0]

    def count(_conn, _cursor, statement, *_):
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen[0] += 1

    event.listen(stack.runtime.db.engine.sync_engine, "before_cursor_execute", count)
    return seen


async def test_fifty_first_requests_share_one_directory_load_and_one_role_lookup(stack):
    state_reads = statements(stack, "zoom_directory")
    group_reads = statements(stack, "zoom_groups")

    acks = await asyncio.gather(*(stack.command("status group Sales") for _ in range(CROWD)))

    assert all(status == 200 for status, _, _ in acks)
    answered = [json.loads(body) for _, body, _ in acks if not holding(body)]
    held = CROWD - len(answered)  # a slow machine may send some answers through response_url

    def posted():
        found = [r.json() for r in stack.slack.requests if final_answer(r)]
        return found if len(found) >= held else None

    posts = await stack.slack.wait_until(posted, timeout=15, what=f"{held} held answers") if held else []
    answers = answered + posts
    assert len(answers) == CROWD
    assert all(a["text"].startswith("Sales: inherits account") for a in answers), {a["text"] for a in answers}

    assert len(stack.zoom.calls("/v2/groups")) == 1, "one directory load from Zoom"
    assert len(stack.slack.calls("users.info")) == 1, "one role lookup (Slack's half)"
    assert len(stack.zoom.calls("/v2/users/")) == 1, "one role lookup (Zoom's half)"
    assert group_reads[0] == 1, "the copy read once from the database for everyone"
    # Each waiter polling the directory's state on its own was the one-at-a-time release
    # (two reads each, a hundred in all): everyone waits on one load and goes when it ends.
    assert state_reads[0] <= 2, f"{state_reads[0]} reads of the directory's state"
