"""Disable and Delete over HTTP: the confirm button, re-checked clicks, idempotence, real deletion."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import text

from storage.models import AuditEvent, ConsentRequest, Credential, Integration
from tests.flows import (
    activate,
    buttons,
    click,
    command_answer,
    disable_button,
    enable,
    last_response,
    response_at,
    rows,
    state_of,
    text_of,
)
from tests.harness import MEMBER, OWNER

OAUTH = "Users can set up the integration by using OAuth"


async def test_disable_shows_a_danger_button_with_the_confirm_dialog(stack):
    await activate(stack)
    button = await disable_button(stack)
    assert button["style"] == "danger"
    confirm = button["confirm"]
    assert confirm["confirm"]["text"] == "Disable and Delete"
    assert confirm["deny"]["text"] == "Cancel"
    assert "Sales" in confirm["title"]["text"]
    assert OAUTH in confirm["text"]["text"] and "deleted from the server" in confirm["text"]["text"]
    # Showing the button changes nothing.
    assert (await rows(stack, Integration))[0].status == "active"


async def test_confirmed_click_disables_deletes_and_replaces_the_message(stack):
    await activate(stack)
    button = await disable_button(stack)
    response_url = await click(stack, button["action_id"], button["value"], OWNER)
    answer = await response_at(stack, response_url)
    assert answer["replace_original"] is True
    shown = text_of(answer)
    assert f"<@{OWNER}>" in shown and OAUTH in shown
    assert "entra.microsoft.com" in shown and stack.microsoft.client_id in shown

    [integration] = await rows(stack, Integration)
    assert integration.status == "disabled" and integration.updated_by == OWNER
    assert await rows(stack, Credential) == []
    events = [e for e in await rows(stack, AuditEvent) if e.action == "disabled and credentials deleted"]
    assert len(events) == 1 and events[0].slack_user_id == OWNER

    await stack.command("status group Sales")
    assert re.search(r"Sales\*?: disabled", await last_response(stack, 3))


async def test_second_click_changes_nothing_and_still_answers(stack):
    await activate(stack)
    button = await disable_button(stack)
    await response_at(stack, await click(stack, button["action_id"], button["value"]))
    before = len(await rows(stack, AuditEvent))
    again = await response_at(stack, await click(stack, button["action_id"], button["value"]))
    assert "already disabled" in text_of(again)
    assert len(await rows(stack, AuditEvent)) == before


async def test_twenty_concurrent_clicks_make_one_effect(stack):
    await activate(stack)
    button = await disable_button(stack)
    urls = await asyncio.gather(*(click(stack, button["action_id"], button["value"]) for _ in range(20)))
    answers = [await response_at(stack, url, timeout=15) for url in urls]
    assert sum("already disabled" not in text_of(a) for a in answers) == 1
    assert [e.action for e in await rows(stack, AuditEvent)].count("disabled and credentials deleted") == 1


async def test_a_members_click_on_an_admins_button_is_refused(stack):
    await activate(stack)
    button = await disable_button(stack)
    answer = await response_at(stack, await click(stack, button["action_id"], button["value"], MEMBER))
    assert "only Zoom account owners and admins" in text_of(answer)
    assert (await rows(stack, Integration))[0].status == "active"
    assert len(await rows(stack, Credential)) == 1
    assert [e.action for e in await rows(stack, AuditEvent)][-1] == "refused"


async def test_disable_of_a_scope_never_enabled(stack):
    await stack.command("disable account")
    answer = await last_response(stack)
    assert "never enabled" in answer
    await stack.command("disable group Engineering")
    assert "nothing to disable" in await last_response(stack, 2)
    assert await rows(stack, Integration) == [] and await rows(stack, AuditEvent) == []


async def test_disable_of_an_unknown_group_names_the_closest(stack):
    await stack.command("disable group Engineers")
    assert "Engineering" in await last_response(stack)


async def test_non_admin_cannot_even_see_the_button(stack):
    await activate(stack)
    payload = await command_answer(stack, "disable group Sales", MEMBER)
    assert "only Zoom account owners and admins" in payload["text"]
    assert not buttons(payload.get("blocks") or [])


async def test_disabling_a_pending_scope_cancels_its_consent_link(stack):
    _, url = await enable(stack, "enable account")
    button = await disable_button(stack, "disable account")
    answer = await response_at(stack, await click(stack, button["action_id"], button["value"]))
    assert "1 open consent link(s) were cancelled" in text_of(answer)
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert status == 400 and "cancelled" in page
    assert (await rows(stack, Integration))[0].status == "disabled"
    assert (await rows(stack, ConsentRequest))[0].cancelled_at is not None


async def test_no_credential_bytes_remain_after_disable(stack):
    await activate(stack, "enable account")
    [credential] = await rows(stack, Credential)
    secret = stack.runtime.services.deps.vault.decrypt_json(credential.ciphertext)
    needles = [credential.ciphertext[:40], credential.ciphertext[-40:]]
    button = await disable_button(stack, "disable account")
    await response_at(stack, await click(stack, button["action_id"], button["value"]))

    async with stack.runtime.db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM credentials"))).scalar() == 0
    if stack.database_url.startswith("sqlite"):
        path = Path(stack.database_url.split("///", 1)[1])
        files = [p for p in path.parent.glob(path.name + "*") if p.is_file()]
        raw = b"".join(p.read_bytes() for p in files)
        assert raw, "the database file exists"
        for needle in needles:
            assert needle not in raw, "deleted ciphertext is still in the SQLite files"
        assert secret["token_cache"].encode()[:40] not in raw
