"""Authority judged where a change takes effect (issue 20): verify, the consent callback, who hears
about a scope, refusals at the door, and GET alone running the single-use redirects."""

from __future__ import annotations

import asyncio

from storage.models import AuditEvent, ConsentRequest, Credential, Integration, Job
from tests.flows import (
    activate,
    click,
    command_answer,
    consent_outcomes,
    disable_button,
    enable,
    final_answer,
    response_at,
    rows,
    state_of,
    text_of,
)
from tests.harness import ADMIN, MEMBER, OWNER, Stack

CHANGED = "changed while it was being verified"
REFUSED = "only Zoom account owners and admins"


async def scope_row(stack: Stack, name: str) -> Integration:
    return next(i for i in await rows(stack, Integration) if i.scope_name == name)


async def start_verify(stack: Stack, text: str = "verify group Sales", user: str = ADMIN, base: str | None = None) -> str:
    """Sends verify (its job answers); returns the response_url its answer goes to."""
    status, body, _ = await stack.command(text, user, base=base)
    assert status == 200 and body == "", body
    return stack.last_response_url


async def verify_answer(stack: Stack, url: str) -> str:
    posts = await stack.slack.wait_for(lambda r: url.endswith(r.path) and final_answer(r), timeout=30)
    return text_of(posts[-1].json())


def tenant_of(stack: Stack, credential: Credential) -> str:
    return stack.runtime.services.deps.vault.decrypt_json(credential.ciphertext)["tenant_id"]


def demote(stack: Stack, email: str) -> None:
    stack.zoom.users[email]["role_id"] = "2"
    stack.zoom.users[email]["role_name"] = "Member"


# 1. verify is a change: a compare-and-set, judged afresh ---------------------------------------------


async def test_verify_racing_a_disable_and_delete_brings_no_credentials_back(stack):
    await activate(stack, "enable group Sales")
    stack.microsoft.latency = 1.5  # Microsoft answering slowly, as in the report
    organizations = len(stack.microsoft.calls("/organization"))
    release = stack.microsoft.hold("/organization")  # and verify's Graph call certainly outlasts the disable
    url = await start_verify(stack)
    await stack.microsoft.wait_for("/organization", count=organizations + 1, timeout=15)

    button = await disable_button(stack, user=OWNER)  # a second admin confirms Disable and Delete meanwhile
    disabled = await response_at(stack, await click(stack, button["action_id"], button["value"], user=OWNER), timeout=15)
    assert "already disabled" not in text_of(disabled)
    assert await rows(stack, Credential) == []
    release.set()

    assert CHANGED in await verify_answer(stack, url)
    assert await rows(stack, Credential) == [], "the deleted credentials stay deleted"
    sales = await scope_row(stack, "Sales")
    assert sales.status == "disabled" and sales.last_verified_at is None
    stack.microsoft.latency = 0
    again = await verify_answer(stack, await start_verify(stack))
    assert "holds no Microsoft credentials" in again


async def test_verify_racing_a_new_consent_keeps_the_new_tenants_credentials(stack):
    await activate(stack, "enable group Sales")
    [before] = await rows(stack, Credential)
    assert tenant_of(stack, before) == stack.tenant_id
    fabrikam = stack.microsoft.add_tenant(display_name="Fabrikam Inc", domains=("fabrikam.onmicrosoft.com",))
    organizations = len(stack.microsoft.calls("/organization"))
    release = stack.microsoft.hold("/organization")
    url = await start_verify(stack)
    await stack.microsoft.wait_for("/organization", count=organizations + 1, timeout=15)

    _, link = await enable(stack, "enable group Sales", OWNER)  # re-enabled, and Fabrikam consents meanwhile
    status, page, _ = await stack.callback(stack.microsoft.callback_query(fabrikam, state_of(link)))
    assert status == 200 and "Fabrikam Inc" in page
    release.set()

    assert CHANGED in await verify_answer(stack, url)
    [after] = await rows(stack, Credential)
    assert tenant_of(stack, after) == fabrikam, "the audit's 'consent granted: Fabrikam' is what is stored"
    assert (await scope_row(stack, "Sales")).status == "active"


async def test_a_demoted_admin_inside_the_role_cache_cannot_verify_and_loses_their_links(stack):
    await activate(stack, "enable group Sales")
    [credential] = await rows(stack, Credential)
    _, support_link = await enable(stack, "enable group Support")  # an open link of the same admin
    tokens = stack.microsoft.tokens_issued
    demote(stack, "admin@example.com")  # Zoom says Member now; the bot learned "admin" seconds ago

    shown = await verify_answer(stack, await start_verify(stack))
    assert REFUSED in shown
    assert stack.microsoft.tokens_issued == tokens, "no token was asked for"
    [unchanged] = await rows(stack, Credential)
    assert unchanged.ciphertext == credential.ciphertext
    assert (await scope_row(stack, "Sales")).last_verified_at is None

    # That definite "no" cancelled their open link; the scope it made pending says why.
    support = await scope_row(stack, "Support")
    assert support.status == "failed" and "may no longer change this scope" in support.detail
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(support_link)))
    assert status == 400 and "cancelled" in page
    events = await rows(stack, AuditEvent)
    assert [(e.action, e.outcome) for e in events if e.scope_name == "Support"][-1] == ("consent failed", "cancelled")


# 4. refusals of verify and check come in the ack and leave nothing behind -------------------------------


async def test_verify_and_check_refusals_come_in_the_ack_with_no_job(stack):
    for text in ("verify account", "check ann@example.com", "verify group Sales", "check bob@example.com"):
        assert REFUSED in text_of(await command_answer(stack, text, MEMBER))
    await asyncio.sleep(0.3)  # anything queued would have been stored and posted by now
    assert await rows(stack, Job) == []
    assert [r for r in stack.slack.requests if stack.slack.is_response(r)] == []
    refusals = [e for e in await rows(stack, AuditEvent) if e.action == "refused"]
    assert [e.slack_user_id for e in refusals] == [MEMBER] * 4, "each refusal is audited"
    assert sorted(e.detail for e in refusals) == ["check a user", "check a user", "verify account", "verify group Sales"]


async def test_verify_refusals_are_rate_limited_like_the_others(stack):
    for _ in range(15):
        assert REFUSED in text_of(await command_answer(stack, "verify account", MEMBER))
    assert await rows(stack, Job) == []
    assert len([e for e in await rows(stack, AuditEvent) if e.action == "refused"]) == 10  # refusals.LIMIT
    assert len(stack.zoom.calls("/v2/users/member@example.com")) == 1, "one lookup: the rest from the cache"


async def test_a_refusal_learned_after_the_ack_is_answered_and_audited_once(stack):
    stack.zoom.latency = 2.0  # the member's role is not known within the ack's budget
    url = await start_verify(stack, "verify account", MEMBER)
    assert REFUSED in await verify_answer(stack, url)
    await asyncio.sleep(0.3)
    refusals = [e for e in await rows(stack, AuditEvent) if e.action == "refused"]
    assert [(e.slack_user_id, e.detail) for e in refusals] == [(MEMBER, "verify account")]
    assert len(stack.zoom.calls("/v2/users/member@example.com")) == 1, "the job used the door's answer"
    assert stack.microsoft.requests == []


# 2. the callback judges the person who asked for the link afresh ----------------------------------------


async def test_a_link_outlives_its_requesters_role_and_stores_nothing(stack):
    _, link = await enable(stack, "enable group Sales", OWNER)
    demote(stack, "owner@example.com")
    stack.zoom.deactivate("owner@example.com")

    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(link)))
    assert "Integration active" not in page and "may no longer change this scope" in page
    assert await rows(stack, Credential) == []
    sales = await scope_row(stack, "Sales")
    assert sales.status == "failed" and "may no longer change this scope" in sales.detail
    [failed] = [e for e in await rows(stack, AuditEvent) if e.action == "consent failed"]
    assert failed.slack_user_id == OWNER and "may no longer change this scope" in failed.detail
    assert stack.microsoft.tokens_issued == 0, "nothing was asked of Microsoft on their behalf"
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(link)))
    assert status == 400 and "already used" in page
    await asyncio.sleep(0.3)
    assert consent_outcomes(stack, OWNER) == [], "who may no longer act hears nothing about the scope"


async def test_zoom_not_answering_at_the_callback_stores_nothing_and_uses_up_the_link(stack):
    _, link = await enable(stack, "enable group Sales")
    stack.zoom.fail_next("/v2/users/admin@example.com", 503, {"code": 503, "message": "unavailable"}, times=50)
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(link)))
    assert "Integration active" not in page and "Zoom could not confirm" in page
    assert await rows(stack, Credential) == []
    sales = await scope_row(stack, "Sales")
    assert sales.status == "failed" and sales.detail.startswith("Zoom could not confirm")
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(link)))
    assert status == 400 and "already used" in page


async def test_a_refusal_at_the_callback_cancels_the_requesters_other_links(stack):
    _, sales_link = await enable(stack, "enable group Sales")
    _, support_link = await enable(stack, "enable group Support")
    stack.zoom.deactivate("admin@example.com")
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(sales_link)))
    assert "may no longer change this scope" in page
    support = await scope_row(stack, "Support")
    assert support.status == "failed" and "consent link was cancelled" in support.detail
    [request] = [r for r in await rows(stack, ConsentRequest) if r.scope_name == "Support"]
    assert request.cancelled_at is not None
    status, _, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(support_link)))
    assert status == 400


# 3. who hears about a scope -------------------------------------------------------------------------------


async def test_health_messages_go_to_the_enabler_only_while_they_may_act(stack):
    await activate(stack, "enable group Sales")
    stack.zoom.deactivate("admin@example.com")  # the admin who enabled Sales left
    stack.microsoft.revoke_consent(stack.tenant_id)
    [check] = await stack.runtime.services.health.check_now()
    assert (check.result, check.changed) == ("failed", True)
    assert [m for m in stack.slack.dms(ADMIN) if "health check" in m["text"]] == []
    assert "health check failed" in [e.action for e in await rows(stack, AuditEvent)]


async def test_health_messages_still_reach_an_enabler_who_may_act(stack):
    await activate(stack, "enable group Sales")
    stack.microsoft.revoke_consent(stack.tenant_id)
    await stack.runtime.services.health.check_now()
    assert [m for m in stack.slack.dms(ADMIN) if "health check" in m["text"]]


# 5. only GET runs the single-use redirects -------------------------------------------------------------------


async def test_head_and_other_methods_get_405_and_consume_no_state(stack):
    _, link = await enable(stack, "enable group Sales")
    query = stack.microsoft.callback_query(stack.tenant_id, state_of(link))
    for method in ("HEAD", "POST", "PUT", "DELETE"):
        async with stack.http.request(method, f"{stack.url}/microsoft/callback", params=query) as response:
            assert response.status == 405, method
    assert (await scope_row(stack, "Sales")).status == "pending"
    status, page, _ = await stack.callback(query)
    assert status == 200 and "Integration active" in page


# Multi-workspace: a team removed from ZOOMCAL_SLACK_TEAMS, and the OAuth redirect ------------------------

from tests.flows import install  # noqa: E402
from tests.harness import TEAM, Replica  # noqa: E402
from tests.test_multi_workspace import OTHER_ADMIN, OTHER_TEAM, multi  # noqa: E402, F401


async def test_a_team_removed_from_the_allow_list_completes_no_link_and_gets_no_message(multi):
    assert (await install(multi, TEAM, ADMIN))[0] == 200
    assert (await install(multi, OTHER_TEAM, OTHER_ADMIN))[0] == 200
    _, link = await enable(multi, "enable group Sales")  # asked for from TEAM
    # The operator removes TEAM from ZOOMCAL_SLACK_TEAMS; its rows (token, link) remain.
    replica = await Replica(multi.env | {"ZOOMCAL_SLACK_TEAMS": OTHER_TEAM}).start()
    try:
        posted = multi.slack.api_calls.count(("chat.postMessage", TEAM))
        calls = len([c for c in multi.slack.api_calls if c[1] == TEAM])
        status, page, _ = await multi.callback(
            multi.microsoft.callback_query(multi.tenant_id, state_of(link)), base=replica.url
        )
        assert "Integration active" not in page and "no longer allowed" in page
        assert await rows(multi, Credential) == []
        assert (await scope_row(multi, "Sales")).status == "failed"
        status, _, _ = await multi.command("status", ADMIN, base=replica.url)
        assert status == 200
        await asyncio.sleep(0.5)  # what the callback's tasks would post, they have posted by now
        assert multi.slack.api_calls.count(("chat.postMessage", TEAM)) == posted, "no message with TEAM's token"
        assert len([c for c in multi.slack.api_calls if c[1] == TEAM]) == calls, "TEAM's token is not used at all"
    finally:
        await replica.stop()
    assert "Traceback" not in replica.stderr


async def test_only_get_runs_the_slack_oauth_redirect(multi):
    for method in ("HEAD", "POST"):
        async with multi.http.request(method, f"{multi.url}/slack/oauth_redirect?code=c&state=s") as response:
            assert response.status == 405, method
    assert (await install(multi, TEAM, ADMIN))[0] == 200


# 7. a failed Slack OAuth exchange does not log its code ------------------------------------------------------


async def test_a_failed_oauth_exchange_does_not_log_the_code(multi, captured):
    import logging

    from bot import logs

    logs.configure(multi.settings.secrets, logging.INFO, stream=captured)
    multi.slack.fail_next("oauth.v2.access", 200, {"ok": False, "error": "internal_error"})  # transient
    status, _ = await install(multi, TEAM, ADMIN)
    assert status != 200
    [code] = multi.slack.codes  # not exchanged: still valid at Slack
    text = captured.getvalue()
    assert "Failed to fetch oauth.v2.access result with code: [redacted]" in text
    assert code not in text


# 1 on two replicas: lanes are per process, so one admin races themself -------------------------------------


async def test_verify_on_one_replica_racing_a_disable_on_the_other(tmp_path, postgres_url):
    from tests.flows import buttons, consent_link
    from tests.test_replicas import open_modal_on

    async with Stack(tmp_path, postgres_url) as stack:
        a = await Replica(stack.env).start()
        b = await Replica(stack.env).start()
        try:
            view = await open_modal_on(stack, a.url, "enable group Sales")
            assert (await stack.submit_view(view, base=b.url))[0] == 200
            query = stack.microsoft.callback_query(stack.tenant_id, state_of(await consent_link(stack)))
            assert (await stack.callback(query, base=a.url))[0] == 200

            stack.microsoft.latency = 1.5
            organizations = len(stack.microsoft.calls("/organization"))
            release = stack.microsoft.hold("/organization")
            url = await start_verify(stack, base=a.url)
            await stack.microsoft.wait_for("/organization", count=organizations + 1, timeout=20)
            [button] = buttons((await command_answer(stack, "disable group Sales", base=b.url))["blocks"])
            done = await response_at(stack, await click(stack, button["action_id"], button["value"], base=b.url), timeout=20)
            assert "already disabled" not in text_of(done)
            release.set()

            assert CHANGED in await verify_answer(stack, url)
            assert await rows(stack, Credential) == []
            assert (await scope_row(stack, "Sales")).status == "disabled"
        finally:
            for replica in (a, b):
                await replica.stop()
                assert "Traceback" not in replica.stderr


async def test_the_domain_preflight_goes_to_the_audit_channel_when_the_enabler_may_no_longer_act(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL="CAUDIT01") as stack:
        sales = next(g["id"] for g in stack.zoom.groups if g["name"] == "Sales")
        stack.zoom.add_members(sales, ["rep@contoso.onmicrosoft.com", "rep@fabrikam.com"])
        release = stack.zoom.hold(f"/groups/{sales}/members")  # the preflight counts Sales' members…
        await activate(stack, "enable group Sales")
        await stack.zoom.wait_for(f"/groups/{sales}/members")
        stack.zoom.deactivate("admin@example.com")  # …while the admin who consented leaves
        release.set()

        def preflight_in(channel: str) -> list[dict]:
            return [m for m in stack.slack.messages if m.get("channel") == channel and "fabrikam.com" in m["text"]]

        [posted] = await stack.slack.wait_until(lambda: preflight_in("CAUDIT01"), timeout=10, what="the audit post")
        assert "has not verified" in posted["text"]
        assert [m for m in stack.slack.dms(ADMIN) if "fabrikam.com" in m["text"]] == []


async def test_a_consent_judges_its_requester_once_for_the_page_and_the_message(stack):
    """The callback's fresh judgement of the admin who asked also clears its own outcome message:
    one users.info and one Zoom lookup per consent, not one more for the DM (Slack allows users.info
    about 100 times a minute, and a burst of consents would spend it twice as fast)."""
    _, url = await enable(stack, "enable group Sales")
    users_info = len(stack.slack.calls("users.info"))
    lookups = len(stack.zoom.calls("/users/admin@example.com"))
    told = len(consent_outcomes(stack, ADMIN))
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert status == 200, page
    await stack.slack.wait_until(lambda: len(consent_outcomes(stack, ADMIN)) > told, what="the admin's DM")
    assert len(stack.slack.calls("users.info")) - users_info == 1
    assert len(stack.zoom.calls("/users/admin@example.com")) - lookups == 1
