"""Who is a Zoom admin, over real HTTP: an active user whose role id is Owner (0) or Admin (1)."""

from __future__ import annotations

from tests.flows import (
    activate,
    click,
    command_answer,
    disable_button,
    response_at,
    text_of,
)
from tests.harness import ADMIN, OWNER, Stack

REFUSED = "only Zoom account owners and admins"


async def test_a_deactivated_zoom_admin_is_refused(stack: Stack):
    assert REFUSED not in text_of(await command_answer(stack, "status account", OWNER))
    stack.zoom.deactivate("admin@example.com")
    assert REFUSED in text_of(await command_answer(stack, "status account", ADMIN))


async def test_a_change_finds_an_admin_deactivated_since_their_last_read(stack: Stack):
    await activate(stack, "enable account")
    button = await disable_button(stack, "disable account", ADMIN)
    stack.zoom.deactivate("admin@example.com")
    answer = await response_at(stack, await click(stack, button["action_id"], button["value"], ADMIN))
    assert REFUSED in text_of(answer), "a change asks Zoom again"


async def test_a_custom_role_named_admin_is_not_an_admin(stack: Stack):
    stack.zoom.add_user("admin@example.com", role_name="Admin", role_id="3f9c2a")  # a custom role, renamed "Admin"
    assert REFUSED in text_of(await command_answer(stack, "disable account", ADMIN))
    stack.zoom.add_user("owner@example.com", role_name="Zoom Administrators", role_id="1")  # the built-in, renamed
    assert REFUSED not in text_of(await command_answer(stack, "disable account", OWNER))
