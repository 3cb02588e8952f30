"""Outside text is posted inert, and consent links travel in buttons only. Real HTTP against the fakes."""

from __future__ import annotations

import json
import re

from tests.flows import (
    command_answer,
    enable,
    last_response,
    open_enable_modal,
    state_of,
)
from tests.harness import ADMIN, MEMBER, Stack

AUDIT = "C0AUDIT01"
PHISH = "*URGENT from IT* … re-authorize at https://zoom-sso.evil.example/login … @here <!channel> _now_"
CODE_SPAN = re.compile(r"`[^`\n]*`")


def mrkdwn_objects(node) -> list[dict]:
    """Every mrkdwn text object in a message's blocks, at any depth."""
    if isinstance(node, list):
        return [found for item in node for found in mrkdwn_objects(item)]
    if not isinstance(node, dict):
        return []
    found = [node] if node.get("type") == "mrkdwn" else []
    return found + [f for value in node.values() for f in mrkdwn_objects(value)]


def assert_inert(message: dict) -> None:
    """The outside text shows only inside inline code, in verbatim text objects; it links and mentions nothing."""
    objects = mrkdwn_objects(message.get("blocks") or [])
    assert objects and all(o.get("verbatim") is True for o in objects), objects
    texts = [message.get("text") or "", *(o["text"] for o in objects)]
    assert any("zoom-sso.evil.example" in t for t in texts), "quoted, not dropped"
    for text in texts:
        outside = CODE_SPAN.sub("", text)
        for needle in ("URGENT", "zoom-sso", "https://", "@here", "@channel", "now_"):
            assert needle not in outside, (needle, text)
        assert not re.search(r"<[!#]|<https?:", text), text
    assert message.get("unfurl_links") is False and message.get("unfurl_media") is False


async def audit_posts(stack: Stack, count: int = 1) -> list[dict]:
    await stack.slack.wait_message(lambda m: m.get("channel") == AUDIT)
    return [m for m in stack.slack.messages if m.get("channel") == AUDIT][-count:]


async def test_a_refused_command_reaches_the_audit_channel_inert(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL=AUDIT) as stack:
        await stack.command(f"enable group {PHISH}", MEMBER)
        assert "only Zoom account owners and admins" in await last_response(stack)
        [post] = await audit_posts(stack)
        assert f"<@{MEMBER}>" in post["text"] and "refused" in post["text"]
        assert_inert(post)


async def test_microsofts_error_description_reaches_the_dm_audit_and_status_inert(tmp_path, database_url):
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL=AUDIT) as stack:
        _, url = await enable(stack, "enable account")
        description = f"AADSTS65004: {PHISH} `tick` and a\nnew line"
        status, page, _ = await stack.callback({"error": "access_denied", "error_description": description,
                                                "state": state_of(url)})
        assert status == 200 and "access_denied" in page
        dm = await stack.slack.wait_message(lambda m: m.get("channel") == ADMIN and "not enabled" in m["text"])
        assert_inert(dm)
        assert "tick" in dm["text"] and "a new line" in dm["text"], "backticks and line breaks cannot end the quote"
        [post] = await audit_posts(stack)
        assert_inert(post)

        answer = await command_answer(stack, "status account")
        assert "failed" in answer["text"]
        objects = mrkdwn_objects(answer["blocks"])
        assert objects and all(o.get("verbatim") is True for o in objects)
        for text in (o["text"] for o in objects):
            assert "zoom-sso" not in CODE_SPAN.sub("", text) and "<!channel>" not in text


async def test_the_consent_link_is_only_in_the_button(stack):
    await enable(stack, "enable group Sales")
    [dm] = [m for m in stack.slack.dms(ADMIN) if "adminconsent" in json.dumps(m["blocks"])]
    [button] = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    state = state_of(button["url"])
    assert "adminconsent" not in dm["text"] and state not in dm["text"], "not in the notification text"
    assert json.dumps(dm["blocks"]).count(state) == 1, "not shown as text in any block"


async def test_when_the_dm_fails_the_dialog_shows_the_link_as_a_button_only(stack):
    stack.slack.fail_next("chat.postMessage", 200, {"ok": False, "error": "cannot_dm_bot"})
    view = await open_enable_modal(stack, "enable account")
    status, body = await stack.submit_view(view)
    assert status == 200
    rendered = json.dumps(await stack.slack.wait_view(lambda v: "adminconsent" in json.dumps(v)))
    [url] = re.findall(r'"url": "([^"]*adminconsent[^"]*)"', rendered)
    assert rendered.count(state_of(url)) == 1 and "did not take my direct message" in rendered
