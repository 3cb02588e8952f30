"""What reaches /slack/events: signatures, sizes, malformed payloads; and the health routes."""

from __future__ import annotations

import asyncio
import json
import time
from urllib.parse import urlencode

from storage.models import AuditEvent, Integration, Job
from tests.flows import command_answer, holding, response_at, text_of
from tests.harness import ADMIN, TEAM, sign
from tests.test_enable_flow import rows

FORM = "application/x-www-form-urlencoded"


def command_body(stack, text="enable account", user=ADMIN, **extra) -> bytes:
    form = {
        "team_id": TEAM, "user_id": user, "command": "/zoomcal", "text": text,
        "response_url": stack.slack.new_response_url(), "trigger_id": stack.slack.new_trigger_id(),
    } | extra
    return urlencode({k: v for k, v in form.items() if v is not None}).encode()


async def assert_nothing_happened(stack):
    await asyncio.sleep(0.3)  # let any wrongly started background work show itself
    assert not stack.slack.calls("views.open") and not stack.slack.responses
    assert not stack.zoom.requests
    assert await rows(stack, Integration) == [] and await rows(stack, AuditEvent) == []


async def test_bad_signature_is_401_with_no_side_effect(stack):
    body = command_body(stack)
    headers = sign(body, secret="not-the-secret")
    status, _ = await stack.post_slack(body, headers, content_type=FORM)
    assert status == 401
    await assert_nothing_happened(stack)


async def test_missing_signature_is_401(stack):
    async with stack.http.post(f"{stack.url}/slack/events", data=command_body(stack), headers={"Content-Type": FORM}) as r:
        assert r.status == 401
    await assert_nothing_happened(stack)


async def test_stale_signature_is_401(stack):
    body = command_body(stack)
    status, _ = await stack.post_slack(body, sign(body, timestamp=int(time.time()) - 6 * 60), content_type=FORM)
    assert status == 401
    await assert_nothing_happened(stack)


async def test_oversized_body_is_413(stack):
    body = command_body(stack, text="x" * (1024 * 1024 + 10))
    status, _ = await stack.post_slack(body, content_type=FORM)
    assert status == 413
    await assert_nothing_happened(stack)


async def test_signed_but_broken_json_payload_is_400(stack):
    status, text = await stack.post_slack(b"payload=%7Bnot-json", content_type=FORM)
    assert status == 400 and "Traceback" not in text


async def test_command_without_user_is_400(stack):
    status, _ = await stack.post_slack(command_body(stack, user=None), content_type=FORM)
    assert status == 400
    await assert_nothing_happened(stack)


async def test_unknown_callback_id_is_4xx(stack):
    payload = {
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": ADMIN},
        "view": {"id": "V1", "type": "modal", "callback_id": "something_else", "state": {"values": {}}, "private_metadata": ""},
    }
    status, _ = await stack.interact(payload)
    assert 400 <= status < 500


async def test_view_submission_with_forged_metadata_is_400(stack):
    payload = {
        "type": "view_submission", "team": {"id": TEAM}, "user": {"id": ADMIN},
        "view": {"id": "V1", "type": "modal", "callback_id": "zoomcal_enable", "state": {"values": {}}, "private_metadata": "{]"},
    }
    status, _ = await stack.interact(payload)
    assert status == 400
    assert await rows(stack, Integration) == []


async def test_help_is_for_everyone_and_differs_by_role(stack):
    from tests.harness import MEMBER
    from tests.test_enable_flow import last_response

    await stack.command("help", MEMBER)
    member_help = await last_response(stack)
    await stack.command("HELP", ADMIN)
    admin_help = await last_response(stack, 2)
    assert "/zoomcal help" in member_help and "/zoomcal enable" not in member_help
    assert "/zoomcal enable account" in admin_help and "/zoomcal status" in admin_help


async def test_garbage_gets_help(stack):
    from tests.test_enable_flow import last_response

    await stack.command("make me a sandwich <!channel>")
    answer = await last_response(stack)
    assert "/zoomcal help" in answer and "make" in answer
    assert "<!channel>" not in answer


async def test_view_submission_without_view_type_is_400(stack):
    payload = {"type": "view_submission", "user": {"id": ADMIN}, "view": {"id": "V1", "callback_id": "zoomcal_enable"}}
    assert (await stack.interact(payload))[0] == 400
    assert (await stack.interact({"type": "block_actions", "user": "U1", "actions": "x"}))[0] == 400
    assert (await stack.post_slack(b"payload=%5B1%2C2%5D", content_type=FORM))[0] == 400


async def test_health_and_readiness(stack):
    assert await stack.get("/healthz") == (200, "ok")
    assert (await stack.get("/readyz"))[0] == 200


async def test_a_read_needing_a_slow_zoom_is_held_in_the_ack_and_answered_by_a_job(stack):
    stack.zoom.latency = 2.0  # a cold role lookup: Zoom's token and the user, 4 s in all
    started = time.monotonic()
    status, body, _ = await stack.command("status")
    acked_after = time.monotonic() - started
    assert status == 200 and holding(body), "the ack says the answer follows"
    assert acked_after < 3.0, "within Slack's 3 seconds"
    answer = await response_at(stack, stack.last_response_url, timeout=15)
    assert "Account" in json.dumps(answer) and answer["replace_original"] is True
    assert [j.kind for j in await rows(stack, Job)] == ["command"], "the promise was written down"


async def test_with_its_role_known_a_read_answers_in_the_ack_however_slow_zoom_is(stack):
    await command_answer(stack, "status")  # learns the role
    lookups = len(stack.zoom.calls("/v2/users/")), len(stack.slack.calls("users.info"))
    stack.zoom.latency = stack.microsoft.latency = 2.5
    answer = await command_answer(stack, "status group Sales")
    assert "inherits account" in text_of(answer)
    assert (len(stack.zoom.calls("/v2/users/")), len(stack.slack.calls("users.info"))) == lookups, "no outbound call"


async def test_metrics_in_prometheus_format(stack):
    from prometheus_client.parser import text_string_to_metric_families

    from tests.flows import activate

    await activate(stack, "enable account")
    body = b"x=1"
    await stack.post_slack(body, sign(body, secret="wrong"), content_type=FORM)
    async with stack.http.get(f"{stack.url}/metrics") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families.values() for s in f.samples}
    assert samples[("zoomcal_slack_requests_total", (("kind", "command"), ("status", "200")))] >= 1
    assert samples[("zoomcal_slack_requests_total", (("kind", "unsigned"), ("status", "401")))] >= 1
    assert samples[("zoomcal_slack_ack_seconds_count", (("kind", "view_submission"),))] >= 1
    assert samples[("zoomcal_flows_total", (("action", "consent granted"), ("outcome", "active")))] >= 1
    assert samples[("zoomcal_outbound_requests_total", (("service", "Zoom"), ("status", "200")))] >= 1
    assert samples[("zoomcal_outbound_requests_total", (("service", "Microsoft Graph"), ("status", "200")))] >= 1
    assert samples[("zoomcal_jobs_total", (("kind", "modal.enable"), ("result", "done")))] >= 1
    assert stack.settings.slack_bot_token not in text
