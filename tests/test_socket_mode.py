"""`zoomcal serve --socket-mode`: Slack's requests over a WebSocket, the other routes over HTTP."""

from __future__ import annotations

import aiohttp

from storage.models import Integration
from tests.harness import ADMIN, TEAM, Replica, Stack


async def test_socket_mode_serves_commands_and_modals_without_the_events_route(tmp_path, database_url):
    async with Stack(tmp_path, database_url) as stack:
        env = {k: v for k, v in stack.env.items() if k != "SLACK_SIGNING_SECRET"}  # not needed over a socket
        replica = await Replica(env | {"SLACK_APP_TOKEN": stack.slack.app_token}).start("--socket-mode")
        try:
            await stack.slack.wait_until(lambda: stack.slack.sockets, timeout=10, what="a Socket Mode connection")
            command = {
                "team_id": TEAM, "user_id": ADMIN, "command": "/zoomcal", "text": "status account",
                "response_url": stack.slack.new_response_url(), "trigger_id": stack.slack.new_trigger_id(),
                "api_app_id": "A0ZOOMCAL",
            }
            envelope = await stack.slack.send_envelope("slash_commands", command)
            ack = await stack.slack.socket_ack(envelope)
            assert ack["envelope_id"] == envelope
            assert "not configured" in ack["payload"]["text"], "a read's answer rides in the ack"

            # A malformed interaction (Bolt's matcher would index its empty actions) is refused at the edge.
            broken = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM},
                      "actions": [], "api_app_id": "A0ZOOMCAL"}
            await stack.slack.socket_ack(await stack.slack.send_envelope("interactive", broken))

            trigger = stack.slack.new_trigger_id()
            await stack.slack.send_envelope("slash_commands", command | {"text": "enable group Sales", "trigger_id": trigger})
            view = await stack.slack.form_opened_by(trigger, timeout=10)
            submission = {
                "type": "view_submission", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM},
                "api_app_id": "A0ZOOMCAL",
                "view": {"id": view["id"], "type": "modal", "callback_id": view["callback_id"],
                         "private_metadata": view["private_metadata"], "state": {"values": _initial(view)}},
            }
            ack = await stack.slack.socket_ack(await stack.slack.send_envelope("interactive", submission))
            assert ack["payload"]["response_action"] == "update"
            await stack.slack.wait_for(lambda r: "chat.postMessage" in r.path and b"adminconsent" in r.body, timeout=10)
            async with stack.runtime.db.engine.connect() as conn:  # the replica wrote to the shared database
                status = (await conn.execute(Integration.__table__.select())).mappings().one()["status"]
            assert status == "pending"

            async with aiohttp.ClientSession() as http:
                async with http.post(f"{replica.url}/slack/events", data=b"x") as response:
                    assert response.status == 404
                async with http.get(f"{replica.url}/healthz") as response:
                    assert response.status == 200
        finally:
            assert await replica.stop() == 0, replica.stderr
        assert "Traceback" not in replica.stderr and "IndexError" not in replica.stderr
        assert "malformed Slack request" in replica.stderr


def _initial(view: dict) -> dict:
    from tests.harness import initial_values

    return initial_values(view)
