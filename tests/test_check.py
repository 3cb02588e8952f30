"""`/zoomcal check <email>` over HTTP against the fakes: which scope applies and what Graph answers."""

from __future__ import annotations

from bot.sandbox.microsoft import Mailbox
from storage.models import AuditEvent
from tests.flows import activate, command_answer, enable, final_answer, rows, text_of
from tests.harness import ADMIN, MEMBER, Stack

DOMAIN = "contoso.onmicrosoft.com"


def group_id(stack: Stack, name: str) -> str:
    return next(g["id"] for g in stack.zoom.groups if g["name"] == name)


async def checked(stack: Stack, email: str, user: str = ADMIN) -> str:
    """check calls Zoom and Microsoft: the ack is empty and its job posts the answer."""
    status, body, _ = await stack.command(f"check {email}", user)
    assert status == 200 and body == ""
    url = stack.last_response_url
    posts = await stack.slack.wait_for(lambda r: url.endswith(r.path) and final_answer(r), timeout=30)
    return text_of(posts[-1].json())


async def sales_with_mailboxes(stack: Stack) -> None:
    await activate(stack, "enable group Sales")
    stack.zoom.add_members(group_id(stack, "Sales"), [f"ann@{DOMAIN}", f"bob@{DOMAIN}", f"cy@{DOMAIN}"])
    stack.microsoft.add_user(stack.tenant_id, f"ann@{DOMAIN}", Mailbox.ENABLED)
    stack.microsoft.add_user(stack.tenant_id, f"bob@{DOMAIN}", Mailbox.NONE)
    stack.microsoft.add_user(stack.tenant_id, f"cy@{DOMAIN}", Mailbox.BLOCKED)


async def test_a_reachable_calendar(stack):
    await sales_with_mailboxes(stack)
    tokens = stack.microsoft.tokens_issued
    shown = await checked(stack, f"Ann@{DOMAIN}")
    assert "*reachable*" in shown and "The setting of the group `Sales` applies" in shown
    assert stack.microsoft.tokens_issued == tokens, "the consent's token, still valid, is reused"
    [call] = stack.microsoft.calls("/calendar")
    assert call.path == f"/v1.0/users/ann@{DOMAIN}/calendar", "Zoom's address for the user"


async def test_no_mailbox_quotes_microsoft(stack):
    await sales_with_mailboxes(stack)
    shown = await checked(stack, f"bob@{DOMAIN}")
    assert "*no mailbox*" in shown
    assert "MailboxNotEnabledForRESTAPI: The mailbox is either inactive, soft-deleted, or is hosted on-premise." in shown


async def test_access_denied_quotes_microsoft(stack):
    await sales_with_mailboxes(stack)
    shown = await checked(stack, f"cy@{DOMAIN}")
    assert "*access denied*" in shown and "ErrorAccessDenied: Access to OData is disabled." in shown


async def test_a_zoom_user_unknown_to_the_tenant_has_no_mailbox(stack):
    await sales_with_mailboxes(stack)
    stack.zoom.add_members(group_id(stack, "Sales"), ["dan@fabrikam.com"])
    shown = await checked(stack, "dan@fabrikam.com")
    assert "*no mailbox*" in shown and "Request_ResourceNotFound" in shown


async def test_another_graph_failure_names_the_service_and_its_status(stack):
    await sales_with_mailboxes(stack)
    stack.microsoft.fail_next("/calendar", 503, {"error": {"code": "ServiceUnavailable", "message": "busy"}}, times=10)
    shown = await checked(stack, f"ann@{DOMAIN}")
    assert "could not be checked" in shown and "Microsoft Graph" in shown and "HTTP 503" in shown
    for word in ("*reachable*", "*no mailbox*", "*access denied*"):
        assert word not in shown


async def test_a_scope_not_active_gives_its_status_and_asks_no_graph(stack):
    await enable(stack, "enable account")  # pending: a link was sent, nobody consented
    stack.zoom.add_user(f"eve@{DOMAIN}")
    shown = await checked(stack, f"eve@{DOMAIN}")
    assert "None of" in shown and "the account's applies" in shown
    assert "Microsoft Graph was not asked: the status of *Account* is `pending`." in shown
    assert stack.microsoft.calls("/calendar") == [] and stack.microsoft.tokens_issued == 0

    stack.zoom.add_members(group_id(stack, "Engineering"), [f"eve@{DOMAIN}"])  # a group without a setting
    assert "the account's applies" in await checked(stack, f"eve@{DOMAIN}")


async def test_nothing_configured(stack):
    stack.zoom.add_user(f"eve@{DOMAIN}")
    shown = await checked(stack, f"eve@{DOMAIN}")
    assert "Microsoft Graph was not asked: the status of *Account* is `not configured`." in shown


async def test_not_a_zoom_user(stack):
    await activate(stack, "enable account")
    shown = await checked(stack, "nobody@fabrikam.com")
    assert "`nobody@fabrikam.com` is not a Zoom user" in shown
    assert stack.microsoft.calls("/calendar") == []


async def test_several_groups_with_their_own_setting_are_named(stack):
    await activate(stack, "enable group Sales")
    await activate(stack, "enable group Support")
    # Added to Support first: Zoom's primary group by default, and first in the user's group_ids.
    stack.zoom.add_members(group_id(stack, "Support"), [f"fay@{DOMAIN}"])
    stack.zoom.add_members(group_id(stack, "Engineering"), [f"fay@{DOMAIN}"])
    stack.zoom.add_members(group_id(stack, "Sales"), [f"fay@{DOMAIN}"])
    stack.microsoft.add_user(stack.tenant_id, f"fay@{DOMAIN}")
    shown = await checked(stack, f"fay@{DOMAIN}")
    assert "have their own setting: `Support`, `Sales`" in shown and "Engineering" not in shown
    assert "Zoom applies the user's primary group (by default the first group the user was added to)" in shown
    assert "Checked here: the group `Support`" in shown and "*reachable*" in shown


async def test_members_are_refused_and_the_refusal_is_audited(stack):
    await sales_with_mailboxes(stack)
    shown = text_of(await command_answer(stack, f"check ann@{DOMAIN}", MEMBER))  # in the ack: no job
    assert "only Zoom account owners and admins" in shown
    assert not [r for r in stack.slack.requests if r.path.endswith(stack.last_response_url.rsplit("/", 1)[-1])]
    assert stack.microsoft.calls("/calendar") == []
    refusals = [e for e in await rows(stack, AuditEvent) if e.action == "refused"]
    assert [(e.slack_user_id, e.detail) for e in refusals] == [(MEMBER, "check a user")]


async def test_a_missing_or_bad_address_gets_the_usage_and_calls_nobody(stack):
    usage = "Usage: `/zoomcal check &lt;email&gt;`"
    assert usage in text_of(await command_answer(stack, "check"))
    assert f"“ann” is not an email address.\n{usage}" in text_of(await command_answer(stack, "check ann"))
    assert "“&lt;script&gt;@x” is not an email address" in text_of(await command_answer(stack, "check <script>@x"))
    assert stack.zoom.calls("/v2/users") == [], "a usage answer needs no role"
    assert stack.microsoft.requests == []


async def test_help_lists_check_for_admins_only(stack):
    assert "/zoomcal check &lt;email&gt;" in text_of(await command_answer(stack, "help"))
    assert "check" not in text_of(await command_answer(stack, "help", MEMBER))


async def test_the_sandbox_people_answer_each_word(stack):
    """bot.sandbox.people (for the console): what it lists is what `check` answers."""
    from bot.sandbox.people import add_people, people

    add_people(stack.zoom, stack.microsoft, stack.tenant_id, DOMAIN, "Sales")
    await activate(stack, "enable group Sales")
    listed = {p.email: p for p in people(stack.zoom, stack.microsoft, stack.tenant_id)}
    assert listed["admin@example.com"].groups == () and listed["admin@example.com"].role == "Admin"
    assert {p.email for p in listed.values() if p.groups == ("Sales",)} == {
        f"ada@{DOMAIN}", f"ben@{DOMAIN}", f"cleo@{DOMAIN}", "dev@fabrikam.com", "eli@fabrikam.com"
    }
    for email in (f"ada@{DOMAIN}", f"ben@{DOMAIN}", f"cleo@{DOMAIN}", "dev@fabrikam.com"):
        assert f"*{listed[email].calendar}*" in await checked(stack, email), email
