"""Paths other features added, during a database outage: a picked group's verify and Microsoft's
consent callback say the database is unavailable (never silence, never a 5xx), and work again once
the server is back. The throwaway server and its pause: tests/test_database_outage.py."""

from __future__ import annotations

import asyncio
import json

from bot.domain import Actor, Scope
from bot.services import authority
from handlers.blocks import ids
from storage.models import Integration
from tests import databases
from tests.flows import (
    activate, ack_answer, buttons, click, command_answer, consent_outcomes, enable, install, response_at, rows,
    state_of, text_of,
)
from tests.harness import ADMIN, MULTI_WORKSPACE, OWNER, Stack, TEAM
from tests.test_database_outage import gauge_reads, says_unavailable, server, stopped  # noqa: F401 (fixtures)


async def test_a_picked_group_and_the_consent_callback_during_an_outage(server, stopped, tmp_path):
    pause, resume = stopped
    async with databases.fresh_postgres(server.url) as url, Stack(tmp_path, url) as stack:
        stack.zoom.add_group("Straße", id="g1-eszett")
        stack.zoom.add_group("Strasse", id="g2-ss")
        await stack.runtime.services.deps.directory.refresh()
        _, link = await enable(stack, "enable group Support")
        [eszett, _] = sorted(buttons((await command_answer(stack, "verify group STRASSE"))["blocks"]) or
                             buttons((await response_at(stack, stack.last_response_url))["blocks"]),
                             key=lambda b: json.loads(b["value"])["group_id"])
        pause()
        # verify (a change) for a picked group: its job row cannot be written; the user is told so
        picked = await response_at(stack, await click(stack, ids.GROUP_PICKED_ACTION, eszett["value"]))
        assert says_unavailable(picked), text_of(picked)
        # Microsoft's redirect: a page saying so, and the link is not used up
        status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(link)))
        assert status < 500 and "database is unavailable" in page, (status, page[:300])

        resume()
        await gauge_reads(stack, "1.0")
        told = len(consent_outcomes(stack, ADMIN))
        status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(link)))
        assert status == 200 and "Support" in page, page[:300]
        await stack.slack.wait_until(lambda: len(consent_outcomes(stack, ADMIN)) > told, what="the admin's DM")
        assert [row.status for row in await rows(stack, Integration)] == ["active"]



async def test_a_slack_install_during_an_outage_is_a_page_not_a_500(server, stopped, tmp_path):
    pause, resume = stopped
    env = dict(MULTI_WORKSPACE)
    async with databases.fresh_postgres(server.url) as url, Stack(tmp_path, url, **env) as stack:
        stack.slack.team_tokens.clear()
        pause()
        status, page = await install(stack, TEAM, ADMIN)
        assert status < 500 and "database is unavailable" in page, (status, page[:300])
        resume()
        await gauge_reads(stack, "1.0")
        assert (await install(stack, TEAM, ADMIN))[0] == 200
        assert "status" in text_of(ack_answer((await stack.command("status"))[1]))


async def test_a_slow_verify_refused_for_the_outage_is_not_run_anyway(server, stopped, tmp_path):
    """verify's door waits on a cold Zoom lookup; the job row then cannot be written, so the ack
    says nothing was changed: the verify itself must not go on (a fresh Zoom lookup, a write once
    the database is back) behind that answer."""
    pause, resume = stopped
    async with databases.fresh_postgres(server.url) as url, Stack(tmp_path, url) as stack:
        await activate(stack)
        pause()
        stack.zoom.latency = 2.0  # the owner's role is not known yet: the door waits past the ack's budget
        status, body, _ = await stack.command("verify group Sales", OWNER)
        assert status == 200 and says_unavailable(ack_answer(body)), body
        lookups = lambda: [r for r in stack.zoom.requests if "owner@example.com" in r.path]  # noqa: E731
        await asyncio.sleep(6)  # long enough for the door's lookup and a verify's fresh one to arrive
        assert len(lookups()) <= 1, [r.path for r in lookups()]
        resume()


async def test_a_fresh_no_during_an_outage_is_still_a_no(server, stopped, tmp_path):
    """Withdrawing the open links of a user a fresh lookup refused needs the database; while it is out
    of reach the refusal still stands (a DM about a scope then goes to the audit channel alone)
    instead of failing the caller."""
    pause, resume = stopped
    async with databases.fresh_postgres(server.url) as url, Stack(tmp_path, url) as stack:
        await enable(stack, "enable group Support")  # ADMIN now has an open link
        stack.zoom.users["admin@example.com"]["role_id"] = "2"  # demoted in Zoom
        stack.zoom.users["admin@example.com"]["role_name"] = "Member"
        pause()
        services = stack.runtime.services
        assert await authority.judge(services.enable, Actor(TEAM, ADMIN), Scope.account()) is None
        resume()
        await gauge_reads(stack, "1.0")
        assert await authority.judge(services.enable, Actor(TEAM, ADMIN), Scope.account()) is None
        assert [row.status for row in await rows(stack, Integration)] == ["failed"], "withdrawn once it could be"
