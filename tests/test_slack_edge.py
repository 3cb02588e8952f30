"""The edge of /slack/events: bodies that never finish, malformed signatures, malformed payloads."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from urllib.parse import urlencode, urlsplit

import pytest

from bot.app import BODY_SECONDS
from storage.models import AuditEvent, Integration
from tests.flows import click, command_answer, open_enable_modal, rows
from tests.harness import ADMIN, SIGNING_SECRET, TEAM, Stack, sign

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def sqlite_stack(tmp_path):
    async with Stack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}") as running:
        yield running


def command_form(stack: Stack, text: str = "help", **fields) -> dict:
    return {
        "team_id": TEAM, "user_id": ADMIN, "command": "/zoomcal", "text": text, "channel_id": "C0GENERAL",
        "response_url": stack.slack.new_response_url(), "trigger_id": stack.slack.new_trigger_id(),
    } | fields


async def answered_after(stack: Stack, text: str = "help") -> float:
    """Seconds from sending a signed command until its answer came (in the ack, or to its response_url)."""
    form = command_form(stack, text)
    path = urlsplit(form["response_url"]).path
    started = time.perf_counter()
    status, ack = await stack.post_slack(urlencode(form).encode(), content_type=FORM)
    assert status == 200
    if "/zoomcal" not in ack:
        await stack.slack.wait_for(lambda r: r.path == path, timeout=10)
    return time.perf_counter() - started


async def assert_nothing_ran(stack: Stack) -> None:
    await asyncio.sleep(0.3)  # any job wrongly queued would have started
    assert not stack.zoom.requests and not stack.slack.calls("users.info") and not stack.slack.responses
    assert await rows(stack, Integration) == [] and await rows(stack, AuditEvent) == []


# A body that never finishes ------------------------------------------------------------------------


async def test_a_body_that_never_finishes_holds_back_no_answer_and_gets_408(sqlite_stack):
    stack = sqlite_stack
    await answered_after(stack)  # warm up
    alone = statistics.median([await answered_after(stack) for _ in range(3)])

    port = urlsplit(stack.url).port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = urlencode(command_form(stack)).encode()
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + FORM.encode()
        + b"\r\nContent-Length: %d\r\n" % len(body)
        + "".join(f"{k}: {v}\r\n" for k, v in sign(body).items()).encode() + b"\r\n" + body[: len(body) // 2]
    )
    await writer.drain()
    stalled_at = time.monotonic()
    try:
        await asyncio.sleep(0.1)
        beside = statistics.median([await answered_after(stack) for _ in range(3)])
        assert beside / alone < 4, f"answers took {beside / alone:.1f}× as long beside a stalled body"
        status_line = await asyncio.wait_for(reader.readline(), BODY_SECONDS + 5)
        assert status_line.split()[1] == b"408"
        assert time.monotonic() - stalled_at >= BODY_SECONDS * 0.9
    finally:
        writer.close()


# Signatures -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timestamp", ["abc", "", "1e9", "١٧٠٠٠٠٠٠٠٠", "9" * 5000, " 1700000000", "-1", "1_700_000_000", "0x6553f100"]
)
async def test_a_malformed_timestamp_is_401(sqlite_stack, timestamp):
    body = urlencode(command_form(sqlite_stack)).encode()
    headers = {"X-Slack-Request-Timestamp": timestamp}
    headers["X-Slack-Signature"] = sign(body, 0)["X-Slack-Signature"]
    status, text = await sqlite_stack.post_slack(body, headers, content_type=FORM)
    assert status == 401 and "Traceback" not in text
    await assert_nothing_ran(sqlite_stack)


async def test_a_malformed_signature_header_is_401(sqlite_stack):
    body = urlencode(command_form(sqlite_stack)).encode()
    for signature in ["v0=", "v0=" + "A" * 64, "v1=" + "0" * 64, "x" * 5000]:
        status, _ = await sqlite_stack.post_slack(body, {"X-Slack-Signature": signature}, content_type=FORM)
        assert status == 401


# Malformed payloads, correctly signed -----------------------------------------------------------


async def test_dialog_state_values_of_the_wrong_type_are_400(sqlite_stack):
    stack = sqlite_stack
    view = await open_enable_modal(stack, "enable account")
    for wrong in (True, 0, "", "a string", [], None):
        for values in ({"third_party": wrong}, {"third_party": {"third_party_on": wrong}}):
            status, text = await stack.submit_view(view, values=values)
            assert status == 400, (values, text)
    assert await rows(stack, Integration) == []


async def test_a_click_with_no_actions_is_400(sqlite_stack):
    payload = {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM},
        "trigger_id": "1.2.a", "actions": [], "response_url": sqlite_stack.slack.new_response_url("actions"),
    }
    assert (await sqlite_stack.interact(payload))[0] == 400
    await assert_nothing_ran(sqlite_stack)


async def test_a_page_number_past_any_integer_is_400(sqlite_stack):
    for page in ("1e999", "Infinity", "-Infinity", "NaN"):  # JSON that json.loads reads as floats int() refuses
        value = '{"listing": "status", "query": "", "page": %s}' % page
        await click(sqlite_stack, "page_next", value, expect=400)
    await assert_nothing_ran(sqlite_stack)


async def test_runaway_nesting_is_400(sqlite_stack):
    deep = "[" * 2000 + "]" * 2000
    payload = '{"type": "block_actions", "user": {"id": "U1"}, "actions": %s}' % deep
    status, _ = await sqlite_stack.post_slack(urlencode({"payload": payload}).encode(), content_type=FORM)
    assert status == 400
    event = '{"type": "event_callback", "team_id": "T0001", "event": {"type": "app_home_opened", "x": %s}}' % deep
    status, _ = await sqlite_stack.post_slack(event.encode(), content_type="application/json")
    assert status == 400
    await assert_nothing_ran(sqlite_stack)


async def test_a_deeply_nested_button_value_is_400(sqlite_stack):
    """zoomcal parses button values as JSON: nesting there would raise inside the listener."""
    payload = {
        "type": "block_actions", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM}, "trigger_id": "1.2.a",
        "response_url": sqlite_stack.slack.new_response_url("actions"),
        "actions": [{"action_id": "disable_scope", "block_id": "b", "type": "button", "value": "[" * 1999}],
    }
    assert (await sqlite_stack.interact(payload))[0] == 400
    await assert_nothing_ran(sqlite_stack)


async def test_a_signed_body_that_is_not_utf8_is_400(sqlite_stack):
    stack = sqlite_stack
    form = urlencode(command_form(stack)).encode() + b"&text=\xff\xfe"
    assert (await stack.post_slack(form, content_type=FORM))[0] == 400
    assert (await stack.post_slack(b"text=%FF%FE&command=%2Fzoomcal", content_type=FORM))[0] == 400
    event = b'{"type": "event_callback", "team_id": "T0001", "event": {"type": "app_home_opened", "user": "\xc3\x28"}}'
    assert (await stack.post_slack(event, content_type="application/json"))[0] == 400
    await assert_nothing_ran(stack)


@pytest.mark.parametrize("response_url", ["0", '"https://x"', "h" * 10_000, "https://", "ftp://x/y", "https://x y/z",
                                          "http://example.com/commands/T1/2/3", "https://x:99999/y"])
async def test_a_command_whose_response_url_is_not_one_is_400(sqlite_stack, response_url):
    form = command_form(sqlite_stack, "status", response_url=response_url)
    status, text = await sqlite_stack.post_slack(urlencode(form).encode(), content_type=FORM)
    assert status == 400 and "Traceback" not in text
    await assert_nothing_ran(sqlite_stack)


@pytest.mark.parametrize("user_id", ["U" * 10_000, "", "u123", "U1 U2", "<@U1>"])
async def test_a_malformed_user_id_never_reaches_slack(sqlite_stack, user_id):
    form = command_form(sqlite_stack, "status", user_id=user_id)
    assert (await sqlite_stack.post_slack(urlencode(form).encode(), content_type=FORM))[0] == 400
    await assert_nothing_ran(sqlite_stack)


async def test_a_form_field_repeated_or_too_many_is_400(sqlite_stack):
    stack = sqlite_stack
    body = urlencode(command_form(stack)).encode()
    assert (await stack.post_slack(body + b"&user_id=UOTHER1", content_type=FORM))[0] == 400
    assert (await stack.post_slack(body + b"&x=1" * 100, content_type=FORM))[0] == 400
    await assert_nothing_ran(stack)


async def test_a_command_whose_text_says_payload_is_answered(sqlite_stack):
    """Bolt's own parser read any form containing "payload" as an empty body (a 404)."""
    answer = await command_answer(sqlite_stack, "status group payload")
    assert "payload" in answer["text"]


async def test_kinds_zoomcal_does_not_handle_are_404_and_ssl_checks_200(sqlite_stack):
    stack = sqlite_stack
    shortcut = {"type": "shortcut", "callback_id": "x", "user": {"id": ADMIN}, "team": {"id": TEAM}, "actions": []}
    assert (await stack.interact(shortcut))[0] == 404
    assert (await stack.post_slack(b"ssl_check=1&token=x", content_type=FORM))[0] == 200
    assert (await stack.post_slack(b"hello=1", content_type=FORM))[0] == 404
    assert (await stack.interact({"user": {"id": ADMIN}}))[0] == 400, "an interaction names its type"
    await assert_nothing_ran(stack)


async def test_the_reason_of_a_400_names_the_field_not_its_content(sqlite_stack):
    form = command_form(sqlite_stack, user_id="<b>U1</b>")
    status, text = await sqlite_stack.post_slack(urlencode(form).encode(), content_type=FORM)
    assert status == 400 and json.loads(text) == {"error": "malformed request", "reason": "command.user_id: not in the expected format"}


def test_the_signing_secret_of_the_tests_signs_real_requests():
    """A sanity check of the helper the tests above lean on: sign() matches the harness secret."""
    body = b"x=1"
    from handlers.signature import SlackSignature

    headers = sign(body)
    assert SlackSignature(SIGNING_SECRET).valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SlackSignature("other").valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])


def test_the_consoles_home_tab_buttons_pass_the_edge():
    """The console's sandbox sends Home clicks from a view without an id: zoomcal reads none of it."""
    from tests.test_console import answer_to, console

    out = console("home", "click 1", "quit").stdout
    assert "HTTP 4" not in out and "Authorize and Save" in answer_to(out, "click 1"), "the enable dialog opened"
