"""Zoom's own role model, over real HTTP against the fakes: custom roles' privileges
(`AccountSetting:Edit`, `Group:Edit`) and, with ZOOMCAL_GROUP_ADMINS, a group's own group admins."""

from __future__ import annotations

import asyncio
import json

import pytest

from bot.clients.http import client_session
from bot.domain import Actor, Scope
from bot.services.access import AccessPolicy, Grant
from storage.models import AuditEvent, Integration
from tests.flows import activate, command_answer, enable, open_enable_modal, rows, text_of
from tests.harness import ADMIN, OWNER, TEAM, Stack, zoom_client

REFUSED = "only Zoom account owners and admins"
CALENDAR_ADMIN = "UCALADM1"  # a custom role with AccountSetting:Edit
GROUP_EDITOR = "UGRPEDT1"  # a custom role with Group:Edit
SALES_LEAD = "USALESL1"  # a Member, group admin of Sales


def people(stack: Stack) -> None:
    zoom = stack.zoom
    zoom.add_role("Calendar Admin", ["AccountSetting:Read", "AccountSetting:Edit"])
    zoom.add_role("Group Editor", ["Group:Read", "Group:Edit"])
    for user, email, role in [
        (CALENDAR_ADMIN, "cal@example.com", "Calendar Admin"),
        (GROUP_EDITOR, "groups@example.com", "Group Editor"),
        (SALES_LEAD, "lead@example.com", "Member"),
    ]:
        stack.slack.add_user(user, email, email.split("@")[0])
        zoom.add_user(email, role_name=role)
    zoom.add_group_admin(group_id(stack, "Sales"), "lead@example.com")


def group_id(stack: Stack, name: str) -> str:
    return next(g["id"] for g in stack.zoom.groups if g["name"] == name)


@pytest.fixture
async def with_group_admins(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_GROUP_ADMINS="true") as running:
        people(running)
        yield running


@pytest.fixture
async def roles(stack):
    people(stack)
    return stack


async def integration(stack: Stack, scope_kind: str, group: str = "") -> Integration | None:
    return next((i for i in await rows(stack, Integration) if i.scope_kind == scope_kind and i.group_id == group), None)


async def audited(stack: Stack, action: str) -> list[AuditEvent]:
    return [e for e in await rows(stack, AuditEvent) if e.action == action]


def permission_calls(stack: Stack) -> int:
    return len(stack.zoom.calls("/permissions"))


def admins_calls(stack: Stack) -> int:
    return len(stack.zoom.calls("/admins"))


async def test_a_custom_role_with_account_setting_edit_enables_the_account(roles):
    stack = roles
    await activate(stack, "enable account", CALENDAR_ADMIN)
    assert (await integration(stack, "account")).status == "active"
    [requested] = await audited(stack, "enable requested")
    assert requested.slack_user_id == CALENDAR_ADMIN and requested.detail == "with AccountSetting:Edit"
    assert REFUSED not in text_of(await command_answer(stack, "status", CALENDAR_ADMIN))


async def test_group_edit_manages_groups_and_reads_but_not_the_account(roles):
    stack = roles
    await activate(stack, "enable group Sales", GROUP_EDITOR)
    assert (await integration(stack, "group", group_id(stack, "Sales"))).status == "active"
    [requested] = await audited(stack, "enable requested")
    assert requested.detail == "with Group:Edit"
    assert REFUSED in text_of(await command_answer(stack, "enable account", GROUP_EDITOR))
    assert REFUSED in text_of(await command_answer(stack, "disable account", GROUP_EDITOR))
    for read in ("status", "groups", "audit", "status account"):
        assert REFUSED not in text_of(await command_answer(stack, read, GROUP_EDITOR)), read
    help_text = text_of(await command_answer(stack, "help", GROUP_EDITOR))
    assert "/zoomcal enable group &lt;name&gt;" in help_text and "enable account" not in help_text


async def test_a_group_admin_manages_their_group_only(with_group_admins):
    stack = with_group_admins
    await activate(stack, "enable group Sales", SALES_LEAD)
    sales = group_id(stack, "Sales")
    assert (await integration(stack, "group", sales)).status == "active"
    requested = (await audited(stack, "enable requested"))[-1]
    assert requested.detail == "as group admin of Sales"
    assert "Sales*: active" in text_of(await command_answer(stack, "status group Sales", SALES_LEAD))

    for text in ("enable group Support", "disable group Support", "status group Support", "enable account",
                 "status", "status account", "groups", "audit"):
        assert REFUSED in text_of(await command_answer(stack, text, SALES_LEAD)), text
    assert await integration(stack, "group", group_id(stack, "Support")) is None
    refused = [e for e in await audited(stack, "refused") if e.slack_user_id == SALES_LEAD]
    assert {e.detail for e in refused} >= {"enable group Support", "disable group Support", "enable account"}

    help_text = text_of(await command_answer(stack, "help", SALES_LEAD))
    assert "/zoomcal status group &lt;name&gt;" in help_text and "/zoomcal enable group &lt;name&gt;" in help_text
    assert "groups you administer" in help_text and "/zoomcal audit" not in help_text


async def test_a_group_admin_is_judged_afresh_by_that_groups_admin_list(with_group_admins):
    stack = with_group_admins
    view = await open_enable_modal(stack, "enable group Sales", SALES_LEAD)
    stack.zoom.group_admins[group_id(stack, "Sales")].clear()  # removed as group admin in Zoom meanwhile
    status, body = await stack.submit_view(view, SALES_LEAD)
    assert status == 200, body
    await stack.slack.wait_until(
        lambda: any(REFUSED in json.dumps(v) for v in stack.slack.views.values()), what="the refusal in the dialog"
    )
    assert await integration(stack, "group", group_id(stack, "Sales")) is None


async def test_without_the_setting_a_group_admin_is_refused_and_no_admin_list_is_read(roles):
    stack = roles
    for text in ("enable group Sales", "status group Sales", "disable group Sales"):
        assert REFUSED in text_of(await command_answer(stack, text, SALES_LEAD)), text
    assert admins_calls(stack) == 0
    assert "/zoomcal enable group" not in text_of(await command_answer(stack, "help", SALES_LEAD))
    # The refusal names who may act, as the contract words it (custom roles included).
    assert "(and users Zoom lets edit these settings)" in text_of(await command_answer(stack, "enable account", SALES_LEAD))


async def test_owners_and_admins_cost_no_permissions_call_and_no_admin_list(with_group_admins):
    stack = with_group_admins
    await activate(stack, "enable group Sales", ADMIN)
    for text in ("status", "status group Sales", "groups", "help", "disable group Sales"):
        await command_answer(stack, text, OWNER)
    assert permission_calls(stack) == 0, "role id 0 or 1 allows everything: nothing more to ask"
    assert admins_calls(stack) == 0, "allowed already: the group's admins are not asked"

    await enable(stack, "enable group Support", GROUP_EDITOR)
    assert admins_calls(stack) == 0, "Group:Edit allows every group: the group's admins are not asked"
    assert permission_calls(stack) >= 1


async def test_reads_share_lookups_and_changes_ask_again(with_group_admins):
    stack = with_group_admins
    for _ in range(3):
        await command_answer(stack, "status group Sales", SALES_LEAD)
    assert (permission_calls(stack), admins_calls(stack)) == (1, 1), "reads use what was learned a moment ago"
    await enable(stack, "enable group Sales", SALES_LEAD)
    assert (permission_calls(stack), admins_calls(stack)) == (2, 2), "the submission asked Zoom afresh"
    await command_answer(stack, "disable group Support", SALES_LEAD)
    assert admins_calls(stack) == 3, "another group: its own admin list"


async def test_concurrent_lookups_of_one_user_share_one_call(with_group_admins):
    stack = with_group_admins
    sales = Scope.group(group_id(stack, "Sales"), "Sales")
    async with client_session(None) as http:
        policy = AccessPolicy(stack.runtime.services.deps.workspaces, zoom_client(http, stack.zoom), frozenset(),
                              {TEAM}, group_admins=True)
        lead = Actor(TEAM, SALES_LEAD)
        grants = await asyncio.gather(*(policy.allowed(lead, sales, fresh=False) for _ in range(20)))
        assert set(grants) == {Grant("as group admin of Sales")}
        assert (permission_calls(stack), admins_calls(stack)) == (1, 1)
        assert await policy.allowed(lead, Scope.account(), fresh=False) is None
        assert await policy.allowed(lead, None, fresh=False) is None, "a group admin reads no listing"
        assert (permission_calls(stack), admins_calls(stack)) == (1, 1), "the account and reads ask no admin list"
        calendar = Actor(TEAM, CALENDAR_ADMIN)
        assert await policy.allowed(calendar, Scope.account(), fresh=True) == Grant("with AccountSetting:Edit")
        assert await policy.allowed(Actor(TEAM, ADMIN), sales, fresh=True) == Grant("as Zoom owner or admin")


async def test_a_group_admin_found_on_a_later_page(with_group_admins):
    stack = with_group_admins
    sales = group_id(stack, "Sales")
    stack.zoom.page_size_max = 2
    stack.zoom.group_admins[sales][:0] = [f"other{i}@example.com" for i in range(5)]
    for i in range(5):
        stack.zoom.add_user(f"other{i}@example.com")
    assert "Sales*: inherits account" in text_of(await command_answer(stack, "status group Sales", SALES_LEAD))
    assert admins_calls(stack) == 3, "five others, then the lead: three pages of two"
