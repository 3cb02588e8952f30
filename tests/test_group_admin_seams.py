"""Group admins (ZOOMCAL_GROUP_ADMINS) across the seams of issues 20 and 21, over real HTTP."""

from __future__ import annotations

from storage.models import ConsentRequest, Credential, Integration
from tests.flows import activate, click, command_answer, disable_button, enable, response_at, rows, text_of
from tests.harness import Stack
from tests.test_configure_and_home import open_configure, submit, with_choice
from tests.test_zoom_role_model import GROUP_EDITOR, REFUSED, SALES_LEAD, group_id, roles, with_group_admins  # noqa: F401


async def scope_row(stack: Stack, name: str) -> Integration | None:
    return next((i for i in await rows(stack, Integration) if i.scope_name == name), None)


async def test_health_messages_reach_a_group_admin_who_enabled_their_group(with_group_admins):
    stack = with_group_admins
    await activate(stack, "enable group Sales", SALES_LEAD)
    stack.microsoft.revoke_consent(stack.tenant_id)
    [check] = await stack.runtime.services.health.check_now()
    assert (check.result, check.changed) == ("failed", True)
    assert [m for m in stack.slack.dms(SALES_LEAD) if "health check" in m["text"].lower()]


async def test_a_refusal_for_one_group_keeps_the_links_for_the_groups_they_administer(with_group_admins):
    stack = with_group_admins
    stack.zoom.add_group_admin(group_id(stack, "Support"), "lead@example.com")
    await activate(stack, "enable group Engineering")
    _, sales_link = await enable(stack, "enable group Sales", SALES_LEAD)
    _, support_link = await enable(stack, "enable group Support", SALES_LEAD)
    button = await disable_button(stack, "disable group Engineering")  # another admin's message
    url = await click(stack, button["action_id"], button["value"], SALES_LEAD)
    assert REFUSED in text_of(await response_at(stack, url))
    assert {r.scope_name: r.cancelled_at for r in await rows(stack, ConsentRequest) if r.slack_user_id == SALES_LEAD} == {"Sales": None, "Support": None}
    assert (await scope_row(stack, "Sales")).status == "pending"


async def test_a_group_admin_verifies_their_group(with_group_admins):
    stack = with_group_admins
    await activate(stack, "enable group Sales", SALES_LEAD)
    status, body, _ = await stack.command("verify group Sales", SALES_LEAD)
    assert status == 200 and REFUSED not in body, body
    answer = await response_at(stack, stack.last_response_url, timeout=15)
    assert REFUSED not in text_of(answer) and "Contoso" in text_of(answer), text_of(answer)
    assert REFUSED in text_of(await command_answer(stack, "verify group Support", SALES_LEAD))
    assert REFUSED in text_of(await command_answer(stack, "check x@example.com", SALES_LEAD))


async def test_the_configure_dialog_judges_each_submission_for_its_scope(roles):
    """A Group:Edit role may open the dialog (it manages groups); what it submits is judged afresh
    for the scope it names: a group is changed, the account is not."""
    stack = roles
    await activate(stack, "enable account")
    view = await open_configure(stack, GROUP_EDITOR)
    answer = await submit(stack, view, with_choice(view, setup_by="user_oauth"), GROUP_EDITOR)
    confirm = answer["view"]
    confirm["id"] = "VCONFIRM1"
    stack.slack.views["VCONFIRM1"] = confirm
    await submit(stack, confirm, {}, GROUP_EDITOR)
    await stack.slack.wait_until(
        lambda: any(REFUSED in str(r.args().get("view")) for r in stack.slack.calls("views.update")), what="refusal"
    )
    assert (await scope_row(stack, "Account")).status == "active" and len(await rows(stack, Credential)) == 1

    view = await open_configure(stack, GROUP_EDITOR)
    sales = group_id(stack, "Sales")
    await submit(stack, view, with_choice(view, scope=(f"group:{sales}", "Sales")), GROUP_EDITOR)
    await stack.slack.wait_until(lambda: stack.slack.dms(GROUP_EDITOR), what="the consent link")
    assert (await scope_row(stack, "Sales")).status == "pending"


async def test_the_consent_granted_audit_records_the_basis_judged_at_the_callback(with_group_admins):
    """The callback is a change judged afresh: its audit event says on what basis, as enable's does."""
    from storage.models import AuditEvent

    stack = with_group_admins
    await activate(stack, "enable group Sales", SALES_LEAD)
    [granted] = [e for e in await rows(stack, AuditEvent) if e.action == "consent granted"]
    assert "as group admin of Sales" in granted.detail and "Contoso" in granted.detail
