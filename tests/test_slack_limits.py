"""Slack's Web API answering 429 (with Retry-After) or 5xx: retried within what the user waits for."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackApiError

from bot.clients.http import client_session
from bot.clients.slack import MAX_WAIT, web_client
from bot.domain import Scope
from handlers.blocks import ids
from handlers.blocks.common import encode_scope
from tests.fakes import FakeSlack
from tests.flows import click, enable, text_of
from tests.harness import ADMIN


def dialog_problem(response: dict) -> bool:
    return "dialog" in text_of(response)


async def test_views_open_rate_limited_once_is_retried_after_retry_after_and_the_dialog_opens(stack):
    stack.slack.rate_limit("views.open", retry_after=1)

    status, body, trigger_id = await stack.command("enable group Support")

    assert status == 200 and body == ""
    view = await stack.slack.form_opened_by(trigger_id, timeout=10)
    assert "Support" in json.dumps(view)
    assert len(stack.slack.calls("/api/views.open")) == 2, "one 429, then the retry that opened it"
    assert not [r for r in stack.slack.responses if dialog_problem(r)]


async def test_views_open_rate_limited_past_the_trigger_s_life_tells_the_user_through_response_url(stack):
    stack.slack.rate_limit("views.open", retry_after=1, times=20)

    status, _, trigger_id = await stack.command("enable group Support")

    assert status == 200
    told = await stack.slack.wait_response(dialog_problem, timeout=10)
    assert told["_response_url"] == stack.last_response_url
    assert "limiting" in told["text"] and "try again" in told["text"]
    assert trigger_id not in stack.slack.opened_by
    # Retried while a retry could still reach Slack within the trigger's 3 s, never after.
    assert len(stack.slack.calls("/api/views.open")) <= 2


async def test_a_home_tab_enable_that_slack_keeps_refusing_is_told_on_the_home_tab(stack):
    stack.slack.rate_limit("views.open", retry_after=1, times=20)

    await click(stack, ids.HOME_ENABLE_ACTION, encode_scope(Scope.group("g-sales", "Sales")), container="view")

    home = await stack.slack.wait_until(
        lambda: (view := stack.slack.published.get(ADMIN)) and "limiting" in json.dumps(view) and view,
        timeout=10, what="the Home tab telling the admin",
    )
    assert "try again" in json.dumps(home)
    assert not stack.slack.opened_views


async def test_chat_post_message_answered_500_once_is_retried(stack):
    stack.slack.server_error("chat.postMessage")

    await enable(stack, "enable group Sales")  # the consent link's DM (the fake records the failed post too)

    posts = await stack.slack.wait_for("/api/chat.postMessage", count=2)  # the 500, then the retry
    await stack.slack.wait_until(lambda: stack.slack.dms(ADMIN), what="the DM delivered")
    assert posts[0].body == posts[1].body
    assert len(stack.slack.dms(ADMIN)) == 1, "delivered once"


async def test_a_retry_after_longer_than_anyone_waits_is_not_waited_for():
    async with FakeSlack(bot_token="xoxb-test") as slack, client_session(None) as session:
        client = web_client("xoxb-test", base_url=f"{slack.url}/api/", session=session, ssl=None)
        slack.rate_limit("chat.postMessage", retry_after=int(MAX_WAIT) + 30)
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel="C0AUDIT", text="hello")
        assert raised.value.response.status_code == 429
        assert len(slack.calls("/api/chat.postMessage")) == 1, "given up at once, not after a minute's wait"
