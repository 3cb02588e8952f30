"""status, groups, verify, audit and the audit channel, over HTTP against the fakes."""

from __future__ import annotations

import json
import re

from storage.models import Integration
from tests.flows import (
    ack_answer,
    activate,
    buttons,
    click,
    enable,
    response_at,
    rows,
    state_of,
    text_of,
)
from tests.harness import ADMIN, MEMBER, Stack

STATUS_WORDS = ("active", "pending", "failed", "disabled", "inherits account", "not configured")


async def answer(stack: Stack, text: str, user: str = ADMIN) -> dict:
    """A read's answer: it rides in the ack."""
    status, body, _ = await stack.command(text, user)
    assert status == 200
    return ack_answer(body)


async def verified(stack: Stack, text: str) -> dict:
    """verify asks Microsoft each time: the ack is empty and a job posts the answer."""
    status, body, _ = await stack.command(text)
    assert status == 200 and body == ""
    return await response_at(stack, stack.last_response_url)


async def test_status_pages_past_fifty_groups(stack):
    stack.zoom.add_groups([f"Team {i:03}" for i in range(95)])  # 99 groups + the account
    first = await answer(stack, "status")
    assert len(first["blocks"]) <= 50
    shown = text_of(first)
    assert "Account" in shown and "Team 000" in shown and "Team 094" not in shown
    assert "Page 1 of 3" in shown
    [next_button] = [b for b in buttons(first["blocks"]) if b["text"]["text"] == "Next"]

    second = await response_at(stack, await click(stack, next_button["action_id"], next_button["value"]))
    assert second["replace_original"] is True and len(second["blocks"]) <= 50
    assert "Page 2 of 3" in text_of(second)
    labels = {b["text"]["text"] for b in buttons(second["blocks"])}
    assert labels == {"Previous", "Next"}
    [last_button] = [b for b in buttons(second["blocks"]) if b["text"]["text"] == "Next"]
    third = await response_at(stack, await click(stack, last_button["action_id"], last_button["value"]))
    assert "Team 094" in text_of(third) and "Page 3 of 3" in text_of(third)
    assert {b["text"]["text"] for b in buttons(third["blocks"])} == {"Previous"}


async def test_a_members_page_click_is_refused(stack):
    stack.zoom.add_groups([f"Team {i:03}" for i in range(60)])
    first = await answer(stack, "status")
    [next_button] = [b for b in buttons(first["blocks"]) if b["text"]["text"] == "Next"]
    refused = await response_at(stack, await click(stack, next_button["action_id"], next_button["value"], MEMBER))
    assert "only Zoom account owners and admins" in text_of(refused)


async def test_status_of_one_scope_shows_its_details_and_one_status_word(stack):
    await activate(stack)
    shown = text_of(await answer(stack, "status group sales"))
    assert "Contoso Ltd" in shown and stack.tenant_id in shown and "Calendars.ReadWrite" in shown
    assert f"<@{ADMIN}>" in shown
    assert "Last verified" not in shown, "never verified: the consent and the health check speak for it"
    assert [w for w in STATUS_WORDS if re.search(rf"\b{w}\b", shown)] == ["active"]

    inherited = text_of(await answer(stack, "status group Engineering"))
    assert [w for w in STATUS_WORDS if re.search(rf"\b{w}\b", inherited)] == ["inherits account"]


async def test_status_of_a_pending_scope_shows_the_link_expiry(stack):
    await enable(stack, "enable account")
    shown = text_of(await answer(stack, "status account"))
    assert "pending" in shown and "Consent link expires" in shown


async def test_status_is_refused_to_members(stack):
    assert "only Zoom account owners and admins" in text_of(await answer(stack, "status", MEMBER))


async def test_groups_filter(stack):
    await activate(stack)
    shown = text_of(await answer(stack, 'groups "sal"'))
    assert re.search(r"Sales\*?: active", shown) and re.search(r"Sales EMEA\*?: inherits account", shown)
    assert "Engineering" not in shown and "Account*" not in shown
    assert "No Zoom groups match" in text_of(await answer(stack, "groups zzz"))


async def test_verify_an_active_scope(stack):
    await activate(stack)
    tokens_before = len(stack.microsoft.issued)
    shown = text_of(await verified(stack, "verify group Sales"))
    assert "Graph answered" in shown and "Contoso Ltd" in shown
    assert len(stack.microsoft.issued) == tokens_before + 1, "a fresh token, not a cached one"
    [integration] = await rows(stack, Integration)
    assert integration.last_verified_at is not None
    assert "Last verified: " in text_of(await answer(stack, "status group Sales"))


async def test_verify_reports_microsofts_error(stack):
    await activate(stack)
    stack.microsoft.client_secret = "rotated-elsewhere"
    shown = text_of(await verified(stack, "verify group Sales"))
    assert "verification failed" in shown and "invalid_client" in shown
    assert (await rows(stack, Integration))[0].status == "active"


async def test_verify_without_credentials(stack):
    assert "holds no Microsoft credentials" in text_of(await verified(stack, "verify account"))
    inherited = text_of(await verified(stack, "verify group Support"))
    assert "Support* inherits the account's setting and holds no Microsoft credentials" in inherited


async def test_audit_lists_newest_first_with_correlation_ids(stack):
    await activate(stack)
    await answer(stack, "enable account", "UNOBODY1")  # a refusal is audited too
    shown = text_of(await answer(stack, "audit"))
    lines = [line for line in shown.splitlines() if " · " in line]
    actions = [a for line in lines for a in ("refused", "consent granted", "enable requested") if f"· {a} ·" in line]
    assert actions[:3] == ["refused", "consent granted", "enable requested"]
    assert all(re.search(r"`[0-9a-f]{8}`", line) for line in lines)
    assert f"<@{ADMIN}>" in shown and "Sales" in shown
    limited = text_of(await answer(stack, "audit 1"))
    assert len([line for line in limited.splitlines() if " · " in line]) == 2  # text + its block
    assert "only Zoom account owners and admins" in text_of(await answer(stack, "audit", MEMBER))


async def test_every_change_goes_to_the_audit_channel(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL="C0AUDIT01") as stack:
        await activate(stack)
        await stack.command("enable account", MEMBER)
        posted = await stack.slack.wait_for(lambda r: "chat.postMessage" in r.path and r.args().get("channel") == "C0AUDIT01", count=3)
        texts = [p.args()["text"] for p in posted]
        assert any("enable requested" in t for t in texts)
        assert any("consent granted" in t for t in texts)
        assert any("refused" in t and f"<@{MEMBER}>" in t for t in texts)


async def test_user_text_is_escaped_when_echoed(stack):
    shown = json.dumps(await answer(stack, "enable group <!channel> & <@U999|boss>"))
    assert "<!channel>" not in shown and "<@U999" not in shown
    assert "&lt;!channel&gt; &amp;" in shown


async def test_the_status_listing_gives_a_failed_scopes_reason(stack):
    _, url = await enable(stack, "enable group Sales")
    await stack.callback({"error": "access_denied", "error_description": "AADSTS65004: User declined.", "state": state_of(url)})
    listing = text_of(await answer(stack, "status"))
    [line] = [line for line in listing.splitlines() if line.startswith("*Sales*")]
    assert line.startswith("*Sales*: failed: `") and "AADSTS65004" in line, listing
    assert "*Account*: not configured" in listing


async def test_help_describes_the_bare_command_outside_its_code_span(stack):
    shown = text_of(await answer(stack, "help"))
    assert "`/zoomcal` opens the configuration dialog" in shown
    assert "(opens the configuration dialog)`" not in shown
