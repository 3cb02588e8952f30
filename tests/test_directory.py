"""The group directory kept in the database: 20,000 groups, refresh on a miss, replicas taking turns."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta

from bot.clients.http import client_session
from bot.services.directory import GroupDirectory
from storage.models import ZoomGroupRow
from tests.flows import ack_answer, holding, response_at, rows
from tests.harness import ADMIN, TEAM, Stack, zoom_client


async def answer(stack: Stack, text: str) -> dict:
    """A read's answer: in the ack, or (the first time, while 20,000 groups load) a job's post."""
    status, body, _ = await stack.command(text)
    assert status == 200
    if holding(body):
        return await response_at(stack, stack.last_response_url, timeout=30)
    return ack_answer(body)


async def test_twenty_thousand_groups_are_read_once_and_served_from_the_database(stack):
    stack.zoom.add_groups([f"Group {i:05}" for i in range(20_000)])
    first = await answer(stack, "status group group 19999")
    assert "Group 19999" in first["text"] and "inherits account" in first["text"]
    listing_calls = len(stack.zoom.calls("/v2/groups"))
    assert listing_calls == 67  # 20,004 groups, 300 a page, read once

    status = await answer(stack, "status")
    assert "Page 1 of 501" in json.dumps(status) and len(status["blocks"]) <= 50
    _, _, trigger_id = await stack.command("enable group Group 12345")
    assert "Group 12345" in json.dumps(await stack.slack.form_opened_by(trigger_id))
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


async def eventually(read, wanted, timeout: float = 2.0) -> bool:
    """Whether ``read()`` gives what is ``wanted`` within ``timeout`` (reads never wait for a recheck)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not wanted(await read()):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


@contextlib.asynccontextmanager
async def other_replica(stack: Stack):
    """A second replica's directory: its own Zoom client and name index, the same database."""
    async with client_session(None) as http:
        yield GroupDirectory(stack.runtime.db, zoom_client(http, stack.zoom), stack.zoom.account_id)


async def test_lookups_see_another_replicas_refresh(stack):
    """A replica answers names from its index, and notices when another replica refreshed the copy."""
    here = stack.runtime.services.deps.directory
    group = (await here.find("sales")).group
    assert group.name == "Sales"
    sales = next(g for g in stack.zoom.groups if g["name"] == "Sales")
    sales["name"] = "Sales Americas"  # renamed in Zoom
    stack.zoom.add_group("Marketing", total_members=7)
    async with other_replica(stack) as there:
        assert await there.refresh()
    listings = len(stack.zoom.calls("/v2/groups"))

    group = (await here.find("Marketing")).group  # a miss: the newer copy is read, Zoom is not asked
    assert (group.name, group.total_members) == ("Marketing", 7)
    assert len(stack.zoom.calls("/v2/groups")) == listings
    found = await here.find("Sales")  # the old name is gone from the newer copy
    assert found.group is None and "Sales Americas" in found.suggestions
    assert (await here.find("sales americas")).group.id == sales["id"]


async def test_an_index_is_rechecked_after_a_while_even_without_a_miss(stack):
    here = stack.runtime.services.deps.directory
    assert (await here.find("Support")).group is not None
    next(g for g in stack.zoom.groups if g["name"] == "Support")["name"] = "Help Desk"
    async with other_replica(stack) as there:
        assert await there.refresh()
    assert (await here.find("Support")).group is not None, "within the recheck interval the index answers"
    here.recheck = 0.0
    assert await eventually(lambda: here.find("Support"), lambda found: found.group is None), (
        "once rechecked (beside the read that noticed the index was old), a renamed group is no longer found"
    )


async def test_of_groups_sharing_a_folded_name_the_exact_spelling_wins_else_none(stack):
    stack.zoom.add_group("Twins", id="zz-second")
    stack.zoom.add_group("twins", id="aa-first")
    directory = stack.runtime.services.deps.directory
    directory.refresh_on_miss_after = timedelta(0)
    assert (await directory.find("Twins")).group.id == "zz-second"
    assert (await directory.find("twins")).group.id == "aa-first"
    found = await directory.find("TWINS")
    assert found.group is None and [g.id for g in found.candidates] == ["aa-first", "zz-second"]


async def test_listings_read_the_index_in_name_order_and_follow_refreshes(stack):
    here = stack.runtime.services.deps.directory
    groups, total = await here.page("", 0, 1000)
    assert total == len(groups) == len(stack.zoom.groups)
    assert [g.name.casefold() for g in groups] == sorted(g["name"].casefold() for g in stack.zoom.groups)

    stack.zoom.add_group("100% Sales_Team", total_members=3)
    stack.zoom.add_group("1000 Sales Team")
    assert await here.refresh()  # this replica's own refresh is listed at once
    groups, total = await here.page("0% SALES_", 0, 10)  # % and _ are plain characters
    assert [(g.name, g.total_members) for g in groups] == [("100% Sales_Team", 3)] and total == 1
    _, sales = await here.page("sales", 0, 100)
    assert sales >= 3 and await here.page("sales", 1, 0) == ([], sales)  # an empty page still counts

    next(g for g in stack.zoom.groups if g["name"] == "1000 Sales Team")["name"] = "Renamed"
    async with other_replica(stack) as there:
        assert await there.refresh()
    assert [g.name for g in (await here.page("1000 sales", 0, 10))[0]] == ["1000 Sales Team"], "within the recheck"
    here.recheck = 0.0
    assert await eventually(lambda: here.page("1000 sales", 0, 10), lambda found: found == ([], 0))
    assert [g.name for g in (await here.page("renamed", 0, 10))[0]] == ["Renamed"]
