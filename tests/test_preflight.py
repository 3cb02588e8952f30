"""The domain preflight after consent: Zoom users on domains the tenant has not verified are named."""

from __future__ import annotations

import asyncio

from storage.models import Integration
from tests.flows import activate, command_answer, enable, rows, state_of, text_of
from tests.harness import ADMIN, Stack

VERIFIED = "contoso.onmicrosoft.com"


def group_id(stack: Stack, name: str) -> str:
    return next(g["id"] for g in stack.zoom.groups if g["name"] == name)


def preflight_dms(stack: Stack) -> list[str]:
    return [m["text"] for m in stack.slack.dms(ADMIN) if "Domain" in m["text"] or "domains" in m["text"]]


async def preflight_dm(stack: Stack) -> str:
    found = await stack.slack.wait_until(lambda: preflight_dms(stack), timeout=10, what="the preflight's DM")
    return found[-1]


async def stored_preflight(stack: Stack) -> dict:
    for _ in range(250):
        [integration] = await rows(stack, Integration)
        if integration.preflight is not None:
            return integration.preflight
        await asyncio.sleep(0.02)
    raise AssertionError("no preflight was stored")


async def test_a_group_with_members_on_foreign_domains(stack):
    sales = group_id(stack, "Sales")
    stack.zoom.add_members(sales, [f"rep{i}@{VERIFIED}" for i in range(5)])
    stack.zoom.add_members(sales, [f"rep{i}@fabrikam.com" for i in range(3)] + ["solo@Example.ORG"])
    await activate(stack, "enable group Sales")
    dm = await preflight_dm(stack)
    assert "4 of 9 Zoom users use email domains `Contoso Ltd` has not verified" in dm
    assert "`fabrikam.com` (3 users), `example.org` (1 user)" in dm and "cannot be reached" in dm
    assert VERIFIED not in dm

    [integration] = await rows(stack, Integration)
    assert integration.preflight["unverified"] == [["fabrikam.com", 3], ["example.org", 1]]
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "4 of 9 Zoom users use email domains `Contoso Ltd` has not verified: `fabrikam.com` (3 users)" in shown
    assert "Their calendars cannot be reached" in shown
    assert [r.query.get("page_size") for r in stack.zoom.calls(f"/groups/{sales}/members")] == ["300"]


async def test_the_account_compares_every_active_user(stack):
    # The stack's Zoom users (admin, owner, member) are on example.com.
    for i in range(400):
        stack.zoom.add_user(f"user{i:03}@{VERIFIED}")
    await activate(stack, "enable account")
    dm = await preflight_dm(stack)
    assert "3 of 403 Zoom users use email domains `Contoso Ltd` has not verified: `example.com` (3 users)" in dm
    assert len(stack.zoom.calls("/v2/users")) >= 2 and all(
        r.query.get("status") == "active" for r in stack.zoom.calls("/v2/users") if r.path == "/v2/users"
    )


async def test_all_verified_sends_no_warning_and_status_says_so(stack):
    stack.zoom.add_members(group_id(stack, "Sales"), [f"rep{i}@{VERIFIED}" for i in range(4)])
    await activate(stack, "enable group Sales")
    preflight = await stored_preflight(stack)
    assert preflight["unverified"] == [] and preflight["users"] == 4
    assert preflight_dms(stack) == []
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "Domain check after consent: all 4 Zoom users use domains `Contoso Ltd` has verified" in shown


async def test_zoom_failing_leaves_a_note_and_the_consent_stands(stack):
    stack.zoom.add_members(group_id(stack, "Sales"), [f"rep{i}@fabrikam.com" for i in range(3)])
    _, url = await enable(stack, "enable group Sales")
    stack.zoom.fail_next("/members", 500, {"code": 500, "message": "Internal error"}, times=50)
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert status == 200 and "Integration active" in page
    dm = await preflight_dm(stack)
    assert "is active, but I could not compare" in dm and "`Zoom answered HTTP 500`." in dm and "try again" not in dm
    assert "`/zoomcal check &lt;email&gt;` tells whether a user's calendar can be reached" in dm
    [integration] = await rows(stack, Integration)
    assert integration.status == "active"
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "Sales*: active" in shown and "Domain check after consent: not done, `Zoom answered HTTP 500`" in shown


async def test_a_slow_zoom_never_holds_up_the_consent(stack):
    stack.zoom.add_members(group_id(stack, "Sales"), ["rep@fabrikam.com"])
    _, url = await enable(stack, "enable group Sales")
    # Zoom's member listing answers only once released: the page comes first. (The requester's own
    # lookup is not held: the callback judges them afresh with Zoom before storing anything.)
    release = stack.zoom.hold("/members")
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert status == 200, "the page does not wait for the preflight's Zoom calls"
    assert preflight_dms(stack) == []
    release.set()
    assert "`fabrikam.com` (1 user)" in await preflight_dm(stack)


# Zoom's associated domains ------------------------------------------------------------------------


async def test_no_associated_domain_verified_by_the_tenant_is_named(stack):
    stack.zoom.managed_domains.clear()
    stack.zoom.add_managed_domain("example.com")
    stack.zoom.add_managed_domain("contoso.onmicrosoft.com", status="pending")  # not associated yet
    stack.zoom.add_members(group_id(stack, "Sales"), [f"rep@{VERIFIED}"])
    await activate(stack, "enable group Sales")
    dm = await preflight_dm(stack)
    assert "None of the Zoom account's associated domains (`example.com`) is verified by `Contoso Ltd`" in dm
    assert "Zoom cannot use it" in dm
    [call] = stack.zoom.calls("/managed_domains")
    assert call.path == f"/v2/accounts/{stack.zoom.account_id}/managed_domains"
    preflight = await stored_preflight(stack)
    assert preflight["associated"] == ["example.com"] and preflight["associated_matched"] is False
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "None of the Zoom account's associated domains (`example.com`)" in shown
    [integration] = await rows(stack, Integration)
    assert integration.status == "active", "it never blocks the consent"


async def test_an_associated_domain_the_tenant_verified_passes_quietly(stack):
    stack.zoom.add_members(group_id(stack, "Sales"), [f"rep@{VERIFIED}"])
    await activate(stack, "enable group Sales")
    preflight = await stored_preflight(stack)
    assert preflight["associated_matched"] is True
    assert preflight_dms(stack) == []
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "Zoom's associated domains include one `Contoso Ltd` has verified" in shown
    assert preflight["associated"] == [], "the tenant's own domains are not stored outside its credentials"


async def test_zoom_refusing_the_associated_domains_says_why(stack):
    stack.zoom.add_members(group_id(stack, "Sales"), [f"rep@{VERIFIED}"])
    stack.zoom.fail_next("/managed_domains", 400, {"code": 4711, "message": "Invalid access token, does not contain scopes:[account:read:admin]."})
    await activate(stack, "enable group Sales")
    dm = await preflight_dm(stack)
    assert "Zoom's associated domains could not be compared" in dm and "account:read:admin" in dm
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert "could not be compared" in shown and "HTTP 400" in shown
    [integration] = await rows(stack, Integration)
    assert integration.status == "active"
