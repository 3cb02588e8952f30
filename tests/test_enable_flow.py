"""The enable flow end to end over HTTP: command → modal → consent link → callback → active."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from storage.models import AuditEvent, ConsentRequest, Credential, Integration
from tests.flows import activate, consent_link, enable, last_response, open_enable_modal, rows, state_of
from tests.harness import ADMIN, BOOTSTRAP, MEMBER, OWNER, Stack

# The modal ----------------------------------------------------------------------


async def test_enable_group_opens_a_modal_preset_to_the_portal_choices(stack):
    view = await open_enable_modal(stack, 'enable group "sales emea"')
    assert view["submit"]["text"] == "Authorize and Save"
    rendered = json.dumps(view)
    assert "Sales EMEA" in rendered
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    toggle = next(e for e in inputs.values() if e["type"] == "checkboxes")
    assert [o["text"]["text"] for o in toggle["initial_options"]] == ["Integrate third-party mail and calendar services"]
    chosen = {
        " ".join([e["initial_option"]["text"]["text"], e["initial_option"].get("description", {}).get("text", "")]).strip()
        for e in inputs.values()
        if e["type"] == "radio_buttons"
    }
    assert chosen == {
        "Office 365",
        "Graph API",
        "Office 365 admin can set up the integration by using Application Permissions",
    }
    assert json.loads(view["private_metadata"])["name"] == "Sales EMEA"


async def test_enable_on_an_active_or_pending_scope_says_so_and_what_a_new_consent_replaces(stack):
    fresh = json.dumps((await open_enable_modal(stack, "enable group Sales"))["blocks"])
    assert "already" not in fresh and "pending" not in fresh
    await activate(stack, "enable group Sales")
    shown = json.dumps((await open_enable_modal(stack, "enable group Sales"))["blocks"])
    assert "*Sales* is already `active`, with the Microsoft organization `Contoso Ltd`" in shown
    assert "the credentials of that new consent replace the stored ones" in shown
    await enable(stack, "enable group Sales")  # a new consent asked for: pending until it is granted
    shown = json.dumps((await open_enable_modal(stack, "enable group Sales"))["blocks"])
    assert "*Sales* is `pending`: a consent link was already sent" in shown
    assert "the older link stops working" in shown


async def test_enable_account_modal_names_the_account(stack):
    view = await open_enable_modal(stack, "ENABLE ACCOUNT", OWNER)
    assert "Account" in json.dumps(view["blocks"][0])
    assert json.loads(view["private_metadata"])["kind"] == "account"


async def test_unknown_group_names_the_closest_groups(stack):
    status, _, _ = await stack.command("enable group Sale")
    assert status == 200
    answer = await last_response(stack)
    assert "Sale" in answer and "Sales" in answer and "Sales EMEA" in answer
    assert not stack.slack.calls("views.open")
    assert await rows(stack, Integration) == []


async def test_non_admin_is_refused_and_nothing_changes(stack):
    await stack.command("enable group Sales", MEMBER)
    answer = await last_response(stack)
    assert "only Zoom account owners and admins" in answer
    assert not stack.slack.calls("views.open")
    assert await rows(stack, Integration) == []
    [event] = await rows(stack, AuditEvent)
    assert (event.slack_user_id, event.action) == (MEMBER, "refused")


async def test_unknown_slack_user_is_refused(stack):
    await stack.command("enable account", "UNOBODY1")
    assert "only Zoom account owners and admins" in await last_response(stack)


async def test_bootstrap_admin_needs_no_zoom_user(stack):
    view = await open_enable_modal(stack, "enable account", BOOTSTRAP)
    assert view["callback_id"]


async def test_submit_with_oauth_chosen_answers_errors_on_that_block(stack):
    view = await open_enable_modal(stack, "enable group Sales")
    from tests.harness import initial_values

    values = initial_values(view)
    setup_block = next(b["block_id"] for b in view["blocks"] if "setup" in b.get("block_id", ""))
    [state] = values[setup_block].values()
    state["selected_option"] = {"value": "user_oauth"}
    status, body = await stack.submit_view(view, values=values)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors" and setup_block in answer["errors"]
    assert await rows(stack, Integration) == []


async def test_a_member_submitting_an_admins_modal_is_refused(stack):
    view = await open_enable_modal(stack, "enable group Sales")
    status, _ = await stack.submit_view(view, MEMBER)
    assert status == 200
    update = (await stack.slack.wait_for("views.update"))[-1].args()
    assert "only Zoom account owners and admins" in json.dumps(update)
    assert await rows(stack, Integration) == []
    assert not [m for m in stack.slack.calls("chat.postMessage") if m.args()["channel"] == MEMBER]


# Submit → pending → consent link -------------------------------------------------------


async def test_submit_makes_the_scope_pending_and_dms_a_consent_link(stack):
    _, url = await enable(stack, "enable group Sales")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == stack.microsoft.url
    assert parts.path == "/organizations/v2.0/adminconsent"
    query = parse_qs(parts.query)
    assert query["client_id"] == [stack.microsoft.client_id]
    assert query["scope"] == [f"{stack.microsoft.url}/.default"], "the origin of MS_GRAPH_URL"
    assert query["redirect_uri"] == ["http://127.0.0.1:3000/microsoft/callback"]
    state = query["state"][0]
    assert len(state) >= 22  # 128 bits in URL-safe base64

    [integration] = await rows(stack, Integration)
    assert (integration.scope_kind, integration.scope_name, integration.status) == ("group", "Sales", "pending")
    [request] = await rows(stack, ConsentRequest)
    assert request.state_hash == hashlib.sha256(state.encode()).hexdigest()
    assert request.slack_user_id == ADMIN and request.group_id == integration.group_id
    lifetime = (request.expires_at - request.created_at).total_seconds()
    assert lifetime == pytest.approx(3600, abs=2)

    status, _, _ = await stack.command("status group sales")
    answer = await last_response(stack)
    assert "pending" in answer
    assert not re.search(r"\b(active|failed|disabled|inherits account|not configured)\b", answer)


# The callback ------------------------------------------------------------------------------


async def test_whole_flow_for_a_group(stack):
    _, url = await enable(stack, "enable group Sales")
    status, page, headers = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "Sales" in page and "Contoso Ltd" in page
    assert headers["Referrer-Policy"] == "no-referrer"

    await stack.slack.wait_for(  # beside the page, within moments
        lambda r: "chat.postMessage" in r.path and r.args()["channel"] == ADMIN
        and "active" in r.args()["text"] and "Contoso Ltd" in r.args()["text"]
    )

    [integration] = await rows(stack, Integration)
    assert integration.status == "active" and integration.enabled_by == ADMIN
    [credential] = await rows(stack, Credential)
    secret = stack.runtime.services.deps.vault.decrypt_json(credential.ciphertext)
    assert secret["tenant_id"] == stack.tenant_id
    assert secret["organization"] == "Contoso Ltd"
    assert "Calendars.ReadWrite" in secret["roles"]
    assert secret["token_cache"]
    await assert_no_plaintext(stack, [stack.tenant_id, "Contoso Ltd", "contoso.onmicrosoft.com", "Calendars.ReadWrite", *stack.microsoft.issued_tokens])

    actions = [e.action for e in sorted(await rows(stack, AuditEvent), key=lambda e: e.id)]
    assert actions == ["enable requested", "consent granted"]

    await stack.command("status group Sales")
    answer = await last_response(stack)
    assert "active" in answer and "Contoso Ltd" in answer
    await stack.command("status")
    listing = await last_response(stack, 2)
    assert re.search(r"Account\*?: not configured", listing)
    assert re.search(r"Sales\*?: active", listing)
    assert re.search(r"Engineering\*?: inherits account", listing)


async def test_whole_flow_for_the_account(stack):
    _, url = await enable(stack, "enable account")
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert status == 200 and "Contoso Ltd" in page and "Account" in page
    await stack.command("status")
    listing = await last_response(stack)
    assert re.search(r"Account\*?: active", listing)
    assert re.search(r"Sales\*?: inherits account \(active\)", listing)


async def test_state_is_single_use(stack):
    _, url = await enable(stack, "enable account")
    query = stack.microsoft.callback_query(stack.tenant_id, state_of(url))
    assert (await stack.callback(query))[0] == 200
    status, page, _ = await stack.callback(query)
    assert status == 400 and "already used" in page
    assert len(await rows(stack, Credential)) == 1
    assert len(await rows(stack, AuditEvent)) == 2


async def test_concurrent_callbacks_with_one_state_exactly_one_wins(stack):
    _, url = await enable(stack, "enable account")
    query = stack.microsoft.callback_query(stack.tenant_id, state_of(url))
    results = await asyncio.gather(*(stack.callback(query) for _ in range(5)))
    assert sorted(r[0] for r in results) == [200, 400, 400, 400, 400]
    assert [e.action for e in await rows(stack, AuditEvent)].count("consent granted") == 1


@pytest.mark.parametrize("state", ["", "forged-state-value", "x" * 5000])
async def test_unknown_state_is_a_400_and_changes_nothing(stack, state):
    await enable(stack, "enable account")
    status, page, _ = await stack.callback({"admin_consent": "True", "tenant": stack.tenant_id, "state": state})
    assert status == 400 and "Traceback" not in page
    [integration] = await rows(stack, Integration)
    assert integration.status == "pending"
    assert await rows(stack, Credential) == []


async def test_expired_state_is_a_400_with_advice(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_CONSENT_TTL="60") as stack:
        _, url = await enable(stack, "enable account")
        async with stack.runtime.db.transaction() as repo:
            await repo.session.execute(text("UPDATE consent_requests SET expires_at = created_at"))
        status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
        assert status == 400 and "expired" in page and "/zoomcal enable" in page
        assert (await rows(stack, Integration))[0].status == "pending"


async def test_microsoft_error_marks_failed_and_tells_the_admin(stack):
    _, url = await enable(stack, "enable group Sales")
    status, page, _ = await stack.callback(
        {
            "admin_consent": "True",
            "error": "access_denied",
            "error_description": "AADSTS65004: User declined to consent <script>alert(1)</script>.",
            "state": state_of(url),
        }
    )
    assert status == 200
    assert "access_denied" in page and "AADSTS65004" in page
    assert "<script>" not in page
    assert ".." not in page, "Microsoft's own full stop is not doubled"
    [integration] = await rows(stack, Integration)
    assert integration.status == "failed"
    assert await rows(stack, Credential) == []
    dm = [m.args() for m in stack.slack.calls("chat.postMessage") if m.args()["channel"] == ADMIN][-1]
    assert "access_denied" in dm["text"] and "AADSTS65004" in dm["text"]
    assert "<script>" not in dm["text"]
    assert not stack.microsoft.calls("/oauth2/v2.0/token"), "no token is asked for after an error"


async def test_consent_without_roles_fails_and_stores_nothing(stack):
    tenant = stack.microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.onmicrosoft.com",), roles=())
    _, url = await enable(stack, "enable account")
    status, page, _ = await stack.callback(stack.microsoft.callback_query(tenant, state_of(url)))
    assert "consent is incomplete" in page
    assert (await rows(stack, Integration))[0].status == "failed"
    assert await rows(stack, Credential) == []
    dm = [m.args() for m in stack.slack.calls("chat.postMessage") if m.args()["channel"] == ADMIN][-1]
    assert "incomplete" in dm["text"]


async def test_graph_failure_fails_cleanly(stack):
    _, url = await enable(stack, "enable account")
    stack.microsoft.fail_next("/v1.0/organization", 403, {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}})
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert "Microsoft Graph" in page and "Authorization_RequestDenied" in page
    assert (await rows(stack, Integration))[0].status == "failed"
    assert await rows(stack, Credential) == []


async def test_tenant_stored_is_the_one_in_the_token(stack):
    _, url = await enable(stack, "enable account")
    query = stack.microsoft.callback_query(stack.tenant_id, state_of(url)) | {"tenant": "contoso.onmicrosoft.com"}
    status, _, _ = await stack.callback(query)
    assert status == 200
    [credential] = await rows(stack, Credential)
    assert stack.runtime.services.deps.vault.decrypt_json(credential.ciphertext)["tenant_id"] == stack.tenant_id


@pytest.mark.parametrize("tenant", ["../../evil", "a b", "", "x" * 300])
async def test_a_malformed_tenant_fails_without_asking_microsoft(stack, tenant):
    _, url = await enable(stack, "enable account")
    status, page, _ = await stack.callback({"admin_consent": "True", "tenant": tenant, "state": state_of(url)})
    assert "no valid tenant" in page
    assert not stack.microsoft.calls("/oauth2/v2.0/token")


# helpers ------------------------------------------------------------------------------------


async def assert_no_plaintext(stack: Stack, needles: list[str]) -> None:
    """No secret appears in any table, read back as text (and, on SQLite, in the file)."""
    async with stack.runtime.db.engine.connect() as conn:
        dump = []
        for table in ("integrations", "credentials", "consent_requests", "audit_events"):
            for row in (await conn.execute(text(f"SELECT * FROM {table}"))).all():
                dump.append(repr(tuple(row)))
    everything = "\n".join(dump)
    for needle in needles:
        if needle in ("Contoso Ltd",):
            # The organisation's name is shown in audit details on purpose; only credentials must hide it.
            continue
        assert needle not in everything, f"{needle[:12]}… readable in the database"


async def test_slow_zoom_still_opens_the_modal_in_time(stack):
    stack.zoom.latency = 0.8  # token + role + groups ≈ 2.4 s: past the placeholder threshold
    status, _, trigger_id = await stack.command("enable group Sales")
    assert status == 200
    [opened] = await stack.slack.wait_for("views.open")
    assert opened.args()["trigger_id"] == trigger_id
    assert stack.slack.opened_views, "the placeholder opened while the trigger was still valid"
    [update] = await stack.slack.wait_for("views.update", timeout=10)
    view = update.args()["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert view["submit"]["text"] == "Authorize and Save"
    assert update.args()["view_id"] == stack.slack.opened_views[0]["id"]

    # The filled-in placeholder is the form the admin submits.
    form = await stack.slack.form_opened_by(trigger_id)
    assert form["id"] == stack.slack.opened_views[0]["id"]
    stack.zoom.latency = 0
    status, _ = await stack.submit_view(form)
    assert status == 200
    assert "adminconsent" in await consent_link(stack)


async def test_slow_zoom_and_a_member_gets_the_refusal_in_the_modal(stack):
    stack.zoom.latency = 0.8
    await stack.command("enable account", MEMBER)
    [update] = await stack.slack.wait_for("views.update", timeout=10)
    assert "only Zoom account owners and admins" in json.dumps(update.args())


async def test_when_the_dm_fails_the_modal_still_shows_the_link(stack):
    view = await open_enable_modal(stack, "enable account")
    stack.slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "cannot_dm_bot"})
    await stack.submit_view(view)
    # The outcome's update, not a placeholder's (a dialog whose checks were slow under load opens as one).
    [update] = await stack.slack.wait_for(
        lambda r: "views.update" in r.path and "pending" in json.dumps(r.args().get("view"))
    )
    shown = json.dumps(update.args()["view"])
    request = (await rows(stack, ConsentRequest))[0]
    links = re.findall(r'"url": "([^"]+)"', shown)
    assert links and hashlib.sha256(state_of(links[0]).encode()).hexdigest() == request.state_hash
    assert "pending" in shown
