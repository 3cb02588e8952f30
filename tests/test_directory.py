"""The group directory kept in the database: 20,000 groups, refresh on a miss, replicas taking turns."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from storage.models import ZoomGroupRow
from tests.flows import final_answer, rows
from tests.harness import ADMIN, TEAM, Stack


async def answer(stack: Stack, text: str) -> dict:
    before = len([r for r in stack.slack.requests if final_answer(r)])
    await stack.command(text)
    return (await stack.slack.wait_for(final_answer, count=before + 1, timeout=30))[before].json()


async def test_twenty_thousand_groups_are_read_once_and_served_from_the_database(stack):
    stack.zoom.add_groups([f"Group {i:05}" for i in range(20_000)])
    first = await answer(stack, "status group group 19999")
    assert "Group 19999" in first["text"] and "inherits account" in first["text"]
    listing_calls = len(stack.zoom.calls("/v2/groups"))
    assert listing_calls == 67  # 20,004 groups, 300 a page, read once

    status = await answer(stack, "status")
    assert "Page 1 of 501" in json.dumps(status) and len(status["blocks"]) <= 50
    await stack.command("enable group Group 12345")
    [opened] = await stack.slack.wait_for("views.open")
    assert "Group 12345" in json.dumps(opened.args()["view"])
    payload = {
        "type": "block_suggestion", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM},
        "action_id": "scope_choice", "block_id": "scope", "value": "group 1",
        "view": {"id": "V1", "type": "modal", "callback_id": "zoomcal_configure"},
    }
    options = json.loads((await stack.interact(payload))[1])["options"]
    assert len(options) == 100 and all("Group 1" in o["text"]["text"] for o in options)
    assert len(stack.zoom.calls("/v2/groups")) == listing_calls, "no command listed Zoom's groups again"
    assert len(await rows(stack, ZoomGroupRow)) == 20_004


async def test_a_group_created_in_zoom_is_found_on_a_miss(stack):
    await answer(stack, "status group Sales")
    stack.zoom.add_group("Brand New")
    stack.runtime.services.deps.directory.refresh_on_miss_after = timedelta(0)
    shown = await answer(stack, "status group brand new")
    assert "Brand New" in shown["text"] and "inherits account" in shown["text"]


async def test_a_recent_copy_is_not_refreshed_on_every_miss(stack):
    await answer(stack, "status group Sales")
    calls = len(stack.zoom.calls("/v2/groups"))
    shown = await answer(stack, "status group Nope")
    assert "There is no Zoom group" in shown["text"]
    assert len(stack.zoom.calls("/v2/groups")) == calls


async def test_replicas_take_turns_refreshing(stack):
    directory = stack.runtime.services.deps.directory
    stack.zoom.latency = 0.3
    results = await asyncio.gather(*(directory.refresh() for _ in range(5)))
    assert results.count(True) == 1
    assert len(stack.zoom.calls("/v2/groups")) == 1


async def test_zoom_down_during_a_refresh_names_zoom_and_releases_the_lease(stack):
    stack.zoom.fail_next("/v2/groups", 503, "down", times=4)  # every retry of one listing
    shown = await answer(stack, "status")
    assert "Zoom" in shown["text"] and "Nothing was changed" in shown["text"]
    async with stack.runtime.db.transaction() as repo:
        state = await repo.directory.state(stack.zoom.account_id)
    assert state.refreshing_until is None and state.synced_at is None
    shown = await answer(stack, "status")
    assert "Sales" in json.dumps(shown)
