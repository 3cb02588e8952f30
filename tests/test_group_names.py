"""Group names that fold together, over real HTTP: an exact spelling names its group; a caseless
match of several names acts on none and offers each candidate, by its Zoom id, on a button."""

from __future__ import annotations

import asyncio
import json

import pytest

from handlers.blocks import ids
from storage.models import ConsentRequest, Integration
from tests.flows import buttons, click, command_answer, open_enable_modal, response_at, rows, text_of
from tests.harness import MEMBER, OWNER, Stack

ESZETT, DOUBLE_S = "g1-strasse-eszett", "g2-strasse"  # "Straße" has the lower id
SPACED, NO_BREAK = "g3-ops-team", "g0-ops-team-nbsp"  # the no-break twin has the lower id


@pytest.fixture
async def twins(stack: Stack):
    stack.zoom.add_group("Straße", id=ESZETT)
    stack.zoom.add_group("Strasse", id=DOUBLE_S)
    stack.zoom.add_group("Ops Team", id=SPACED)
    stack.zoom.add_group("Ops\u00a0Team", id=NO_BREAK)
    await stack.runtime.services.deps.directory.refresh()
    return stack


def metadata_group(view: dict) -> str:
    return json.loads(view["private_metadata"])["group_id"]


async def test_a_name_typed_exactly_names_that_group(twins):
    stack = twins
    status = text_of(await command_answer(stack, "status group Strasse"))
    assert "*Strasse*: inherits account" in status and "Straße" not in status
    assert "*Straße*: inherits account" in text_of(await command_answer(stack, "status group Straße"))
    assert metadata_group(await open_enable_modal(stack, "enable group Strasse")) == DOUBLE_S
    assert metadata_group(await open_enable_modal(stack, "enable group Straße")) == ESZETT
    assert metadata_group(await open_enable_modal(stack, "enable group Ops Team")) == SPACED
    assert metadata_group(await open_enable_modal(stack, "enable group Ops\u00a0Team")) == NO_BREAK
    assert metadata_group(await open_enable_modal(stack, 'enable group "Ops\u00a0Team"')) == NO_BREAK


async def test_names_that_fold_together_act_on_none_and_offer_each(twins):
    stack = twins
    consents = len(await rows(stack, ConsentRequest))
    for text, expected in [("status group STRASSE", {ESZETT, DOUBLE_S}), ("disable group ops  team", {SPACED, NO_BREAK}),
                           ("enable group strasse", {ESZETT, DOUBLE_S}), ("verify group OPS TEAM", {SPACED, NO_BREAK})]:
        status, body, trigger_id = await stack.command(text)
        assert status == 200, body
        # verify is a job (it calls Microsoft): its answer comes through response_url
        answer = json.loads(body) if body else await response_at(stack, stack.last_response_url)
        offered = buttons(answer["blocks"])
        assert {json.loads(b["value"])["group_id"] for b in offered} == expected, text
        assert all(b["action_id"] == ids.GROUP_PICKED_ACTION for b in offered)
        shown = text_of(answer)
        assert all(group in shown for group in expected), "each candidate is listed with its Zoom group id"
        assert "nothing was done" in shown
        assert trigger_id not in stack.slack.opened_by, "no dialog opened"
    assert "U+00A0 no-break space" in text_of(await command_answer(stack, "status group ops team"))
    assert await rows(stack, Integration) == [] and len(await rows(stack, ConsentRequest)) == consents


async def test_a_button_picks_one_candidate(twins):
    stack = twins
    offered = buttons((await command_answer(stack, "status group strasse"))["blocks"])
    [eszett] = [b for b in offered if json.loads(b["value"])["group_id"] == ESZETT]
    picked = await response_at(stack, await click(stack, eszett["action_id"], eszett["value"]))
    assert "*Straße*: inherits account" in text_of(picked) and "Strasse*" not in text_of(picked)

    offered = buttons((await command_answer(stack, "enable group ops team"))["blocks"])
    [no_break] = [b for b in offered if json.loads(b["value"])["group_id"] == NO_BREAK]
    trigger_id = stack.slack.new_trigger_id()
    await click(stack, no_break["action_id"], no_break["value"], trigger_id=trigger_id)
    view = await stack.slack.form_opened_by(trigger_id)
    assert metadata_group(view) == NO_BREAK, "the enable dialog carries the picked group's id"

    offered = buttons((await command_answer(stack, "disable group ops team"))["blocks"])
    [spaced] = [b for b in offered if json.loads(b["value"])["group_id"] == SPACED]
    picked = await response_at(stack, await click(stack, spaced["action_id"], spaced["value"]))
    assert "Ops Team" in text_of(picked) and "nothing to disable" in text_of(picked)

    offered = buttons((await command_answer(stack, "verify group STRASSE"))["blocks"])  # the door answers it
    [double_s] = [b for b in offered if json.loads(b["value"])["group_id"] == DOUBLE_S]
    picked = await response_at(stack, await click(stack, double_s["action_id"], double_s["value"]))
    assert "*Strasse* inherits the account's setting" in text_of(picked), "verify ran, as a job, for the pick"


async def test_a_forged_pick_changes_nothing(twins):
    stack = twins
    for value in ("{}", json.dumps({"verb": "audit", "group_id": ESZETT, "name": "x"}), "not json"):
        await click(stack, ids.GROUP_PICKED_ACTION, value, expect=400)
    gone = json.dumps({"verb": "status", "group_id": "no-such-group", "name": "Nope"})
    picked = await response_at(stack, await click(stack, ids.GROUP_PICKED_ACTION, gone))
    assert "no Zoom group named" in text_of(picked)


async def test_a_member_learns_no_group_names(twins):
    stack = twins
    for text in ("status group strasse", "enable group ops team", "status group Nope"):
        answer = text_of(await command_answer(stack, text, MEMBER))
        assert "only Zoom account owners and admins" in answer and ESZETT not in answer and "Did you mean" not in answer


async def test_a_picked_verify_acks_without_waiting_for_a_slow_zoom(twins):
    """The click's ack never waits on Zoom: a user whose role is not cached yet gets the ack at once,
    and the job (judging afresh) answers once Zoom does."""
    stack = twins
    offered = buttons((await command_answer(stack, "verify group STRASSE"))["blocks"])
    [double_s] = [b for b in offered if json.loads(b["value"])["group_id"] == DOUBLE_S]
    # OWNER's role lookups (and their retries) wait until the click was acked: the old code's ack
    # waited on them until Zoom's deadline passed, and answered that Zoom failed.
    release = stack.zoom.hold("/users/owner", times=10)
    response_url = await asyncio.wait_for(click(stack, double_s["action_id"], double_s["value"], OWNER), 60)
    release.set()
    assert "*Strasse* inherits the account's setting" in text_of(await response_at(stack, response_url))
