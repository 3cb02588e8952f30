"""Who is a Zoom admin, over real HTTP: an active user whose role id is Owner (0) or Admin (1)."""

from __future__ import annotations

from tests.flows import last_response
from tests.harness import ADMIN, OWNER, Stack

REFUSED = "only Zoom account owners and admins"


async def test_a_deactivated_zoom_admin_is_refused(stack: Stack):
    await stack.command("status account", OWNER)
    assert REFUSED not in await last_response(stack)
    stack.zoom.deactivate("owner@example.com")
    await stack.command("status account", OWNER)
    assert REFUSED in await last_response(stack, 2)


async def test_a_custom_role_named_admin_is_not_an_admin(stack: Stack):
    stack.zoom.add_user("admin@example.com", role_name="Admin", role_id="3f9c2a")  # a custom role, renamed "Admin"
    await stack.command("disable account", ADMIN)
    assert REFUSED in await last_response(stack)
    stack.zoom.add_user("admin@example.com", role_name="Zoom Administrators", role_id="1")  # the built-in, renamed
    await stack.command("disable account", ADMIN)
    assert REFUSED not in await last_response(stack, 2)
