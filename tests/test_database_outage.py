"""PostgreSQL stopped and started again under a running bot: reads answer from memory, changes say
the database is unavailable and that nothing was changed, never a 5xx; the gauge shows it; the
same process works again once the server is back, and nothing committed is lost.

A throwaway server of the test's own (the shared one cannot be stopped), from PostgreSQL's
initdb and pg_ctl; the test skips where they are not installed.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest

from bot.domain import Scope
from handlers.blocks import ids
from handlers.blocks.common import encode_scope
from storage.models import AuditEvent, Integration
from tests import databases
from tests.flows import (
    activate,
    ack_answer,
    click,
    disable_button,
    holding,
    install,
    open_enable_modal,
    response_at,
    rows,
    text_of,
)
from tests.harness import ADMIN, MULTI_WORKSPACE, OWNER, Stack, TEAM

UNAVAILABLE = "zoomcal's database: `unavailable right now"


@pytest.fixture
def server():
    server = databases.TemporaryServer()
    try:
        url = server.start()
    except databases.Unavailable as why:
        pytest.skip(f"no throwaway PostgreSQL server here: {why}")
    server.url = url
    yield server
    server.stop()


@pytest.fixture
def stopped(server):
    """Stops the server for the test's outage; starts it again if the test ended before doing so."""
    down = []

    def pause():
        server.pause()
        down.append(True)

    def resume():
        server.resume()
        down.clear()

    yield pause, resume
    if down:
        server.resume()  # the fresh database is dropped afterwards


async def database_up(stack: Stack) -> str:
    status, page = await stack.get("/metrics")
    assert status == 200
    return re.search(r"^zoomcal_database_up (\S+)$", page, re.M)[1]


async def gauge_reads(stack: Stack, value: str) -> None:
    for _ in range(100):  # the check a scrape makes is shared for a second
        if await database_up(stack) == value:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"zoomcal_database_up never read {value}")


def says_unavailable(payload: dict) -> bool:
    shown = text_of(payload)
    return UNAVAILABLE in shown and "Nothing was changed" in shown


async def test_a_postgresql_restart_under_the_bot(server, stopped, tmp_path):
    pause, resume = stopped
    async with databases.fresh_postgres(server.url) as url, Stack(tmp_path, url) as stack:
        await activate(stack)  # Sales active: committed before the outage
        button = await disable_button(stack)  # a Disable button shown before the outage
        for text in ("status", "groups", "status group Support"):  # what memory holds
            await stack.command(text)
        audited = len(await rows(stack, AuditEvent))
        assert await database_up(stack) == "1.0"

        pause()
        statuses: list[int] = []

        async def command_as(text: str, user: str) -> dict:
            status, body, _ = await stack.command(text, user)
            statuses.append(status)
            return json.loads(body) if body else {}

        async def command(text: str) -> dict:
            return await command_as(text, ADMIN)

        # Reads answer from memory.
        assert "Sales*: active" in text_of(await command("status"))
        assert re.search(r"Sales\*?: active", text_of(await command("status group Sales")))
        assert "Sales EMEA" in text_of(await command("groups"))
        assert "You may run" in text_of(await command("help"))
        assert "There is no Zoom group named `Nope`" in text_of(await command("status group Nope"))
        # A read too slow for the ack (the owner's role is not known yet, and Zoom is slow) has no
        # job row to write: this replica answers it through response_url all the same.
        stack.zoom.latency = 2.0
        assert holding(text_of(await command_as("status group Sales", OWNER)))
        assert re.search(r"Sales\*?: active", text_of(await response_at(stack, stack.last_response_url, timeout=15)))
        stack.zoom.latency = 0.0

        # Changes say the database is unavailable and that nothing was changed: in the ack…
        assert says_unavailable(await command("verify group Sales"))
        assert says_unavailable(await command("disable group Sales"))
        # …over a submitted dialog (which stays beneath, to submit again later)…
        view = await open_enable_modal(stack, "enable group Support")  # opened from memory
        status, body = await stack.submit_view(view)
        statuses.append(status)
        pushed = json.loads(body)
        assert pushed["response_action"] == "push" and UNAVAILABLE in json.dumps(pushed["view"])
        # …beside a message's button, and on the Home tab.
        response_url = await click(stack, button["action_id"], button["value"])
        assert says_unavailable(await response_at(stack, response_url))
        await click(stack, ids.HOME_DISABLE_ACTION, encode_scope(Scope.group("x", "Sales"), 1), container="view")
        await stack.slack.wait_until(lambda: UNAVAILABLE in json.dumps(stack.slack.published.get(ADMIN)),
                                     what="the Home tab saying so")

        assert statuses and all(status == 200 for status in statuses), statuses
        await gauge_reads(stack, "0.0")
        assert await stack.get("/readyz") == (200, "ready"), "every replica shares the database: readiness stays"

        resume()
        await gauge_reads(stack, "1.0")

        # The same process works again, and nothing committed was lost or changed meanwhile.
        status, body, _ = await stack.command("verify group Sales")  # a job: its row is written again
        assert (status, body) == (200, "")
        assert "Graph answered" in text_of(await response_at(stack, stack.last_response_url))
        assert re.search(r"Sales\*?: active", text_of(ack_answer((await stack.command("status group Sales"))[1])))
        assert "Support: inherits account" in text_of(ack_answer((await stack.command("status group Support"))[1]))
        [integration] = await rows(stack, Integration)
        assert integration.status == "active"
        assert len(await rows(stack, AuditEvent)) >= audited
        response_url = await click(stack, button["action_id"], button["value"])
        assert "disabled" in text_of(await response_at(stack, response_url)).lower()
        assert (await rows(stack, Integration))[0].status == "disabled"


async def test_multi_workspace_tokens_outlive_their_cache_during_an_outage(server, stopped, tmp_path):
    pause, resume = stopped
    env = dict(MULTI_WORKSPACE)
    async with databases.fresh_postgres(server.url) as url, Stack(tmp_path, url, **env) as stack:
        stack.slack.team_tokens.clear()
        assert (await install(stack, TEAM, ADMIN))[0] == 200
        assert "status" in text_of(ack_answer((await stack.command("status"))[1]))
        pause()
        workspaces = stack.runtime.services.deps.workspaces
        workspaces._clock = lambda: time.monotonic() + 3600  # the workspace's token is an hour old here

        status, body, _ = await stack.command("status")  # its token is read again: from memory, meanwhile
        assert status == 200 and "Zoom calendar integration status" in text_of(ack_answer(body))
        status, body, _ = await stack.command("verify account")
        assert status == 200 and says_unavailable(ack_answer(body))

        resume()
        await gauge_reads(stack, "1.0")
        status, body, _ = await stack.command("verify account")
        assert (status, body) == (200, "")
