"""Steps of the flows that many tests take, over real HTTP against the fakes."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import aiohttp
from sqlalchemy import select

from tests.fakes import FakeSlack
from tests.harness import ADMIN, TEAM, Stack


async def open_enable_modal(stack: Stack, text: str, user: str = ADMIN) -> dict:
    status, body, trigger_id = await stack.command(text, user)
    assert status == 200, body
    return await stack.slack.form_opened_by(trigger_id)


def _is_consent_dm(user: str):
    return lambda r: (
        "chat.postMessage" in r.path and r.args().get("channel") == user and "adminconsent" in str(r.args().get("blocks"))
    )


async def consent_link(stack: Stack, user: str = ADMIN, count: int = 1) -> str:
    """The URL of the ``count``-th consent link DMed to ``user`` (waiting for it).

    The link travels in the button only: never in the notification text, nor shown as text.
    """
    message = (await stack.slack.wait_for(_is_consent_dm(user), count=count))[count - 1]
    args = message.args()
    blocks = args["blocks"] if isinstance(args["blocks"], list) else json.loads(args["blocks"])
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    url = buttons[0]["url"]
    assert "adminconsent" not in args["text"] and state_of(url) not in args["text"], "no link in the notification text"
    assert json.dumps(blocks).count(state_of(url)) == 1, "the link is in the button alone"
    return url


async def enable(stack: Stack, text: str, user: str = ADMIN) -> tuple[dict, str]:
    sent = len([r for r in stack.slack.requests if _is_consent_dm(user)(r)])
    view = await open_enable_modal(stack, text, user)
    status, body = await stack.submit_view(view, user)
    assert status == 200, body
    return view, await consent_link(stack, user, sent + 1)


async def rows(stack: Stack, model):
    async with stack.runtime.db.transaction() as repo:
        return list((await repo.session.execute(select(model))).scalars())


async def last_response(stack: Stack, count: int = 1, timeout: float = 5.0) -> str:
    """The ``count``-th answer the bot gave, as text: in a command's ack, or posted to a response_url."""
    return text_of(await answer(stack, count, timeout))


async def answer(stack: Stack, count: int = 1, timeout: float = 5.0) -> dict:
    """The ``count``-th answer (ack bodies and response_url posts, in the order they came)."""

    def found():
        posts = [(r.at, r.json()) for r in stack.slack.requests if final_answer(r)]
        answers = sorted(stack.acked + posts, key=lambda pair: pair[0])
        return answers if len(answers) >= count else None

    payload = (await stack.slack.wait_until(found, timeout, f"{count} answer(s)"))[count - 1][1]
    assert payload.get("response_type", "ephemeral") == "ephemeral"
    return payload


async def command_answer(stack: Stack, text: str, user: str = ADMIN, *, base: str | None = None) -> dict:
    """Sends a read (status, help, disable's confirmation…) and returns its answer, which rides in the ack."""
    status, body, _ = await stack.command(text, user, base=base)
    assert status == 200, body
    return ack_answer(body)


async def answer_to(stack: Stack, body: str, timeout: float = 15.0) -> dict:
    """The answer to the command just sent: in its ack, or (when Zoom was slow) posted by its job."""
    if holding(body):
        return await response_at(stack, stack.last_response_url, timeout=timeout)
    return ack_answer(body)


async def disable_button(stack: Stack, text: str = "disable group Sales", user: str = ADMIN) -> dict:
    """The *Disable and Delete* button of `/zoomcal disable …`'s answer."""
    [button] = buttons((await command_answer(stack, text, user))["blocks"])
    return button


def ack_answer(body: str) -> dict:
    """The answer inside a command's ack (a read answers there)."""
    payload = json.loads(body)
    assert payload.get("response_type") == "ephemeral", payload
    return payload


def block_texts(blocks: list[dict]) -> list[str]:
    texts = [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)]
    texts += [e["text"] for b in blocks if b.get("type") == "context" for e in b["elements"] if "text" in e]
    return texts


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


async def activate(stack: Stack, text: str = "enable group Sales", user: str = ADMIN, tenant: str | None = None) -> str:
    """Enable a scope all the way to active (``tenant``'s consent: the stack's by default); returns
    the consent URL used once the admin has been told (the page comes first, the DM beside it)."""
    _, url = await enable(stack, text, user)
    told = len(consent_outcomes(stack, user))
    status, page, _ = await stack.callback(stack.microsoft.callback_query(tenant or stack.tenant_id, state_of(url)))
    assert status == 200, page
    await stack.slack.wait_until(lambda: len(consent_outcomes(stack, user)) > told, what="the admin's DM")
    return url


def consent_outcomes(stack: Stack, user: str) -> list[dict]:
    return [m for m in stack.slack.dms(user) if "is active, using" in m["text"] or "was not enabled" in m["text"]]


async def click(
    stack: Stack, action_id: str, value: str, user: str = ADMIN, *, container: str = "message", base: str | None = None,
    expect: int = 200, trigger_id: str | None = None,
) -> str:
    """Clicks a button (``expect``: the HTTP status it must get); returns the response_url the bot may answer on.
    ``trigger_id``: the click's (one the fake Slack issued), to find the dialog it opens."""
    response_url = stack.slack.new_response_url("actions")
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "example"},
        "user": {"id": user, "team_id": TEAM, "name": user.lower()},
        "api_app_id": "A0ZOOMCAL",
        "trigger_id": trigger_id or stack.slack.new_trigger_id(),
        "container": {"type": container},
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value,
                     "action_ts": "1.2"}],
    }
    if container == "message":
        payload |= {"response_url": response_url, "channel": {"id": "C0GENERAL"}, "message": {"ts": "1.1"}}
    status, body = await stack.interact(payload, base=base)
    assert status == expect, body
    return response_url


async def response_at(stack: Stack, response_url: str, timeout: float = 5.0) -> dict:
    [found] = (await stack.slack.wait_for(lambda r: response_url.endswith(r.path), timeout=timeout))[:1]
    return found.json()


def final_answer(request) -> bool:
    """A response_url post that is an answer, not the holding note sent while Zoom is slow."""
    return FakeSlack.is_response(request) and b"answer follows" not in request.body


def holding(body: str) -> bool:
    """An ack that says the answer follows (Zoom or Microsoft were slow)."""
    return "answer follows" in body


def buttons(blocks: list[dict]) -> list[dict]:
    found = []
    for block in blocks:
        found += [e for e in block.get("elements", []) if e.get("type") == "button"]
        if (block.get("accessory") or {}).get("type") == "button":
            found.append(block["accessory"])
    return found


def text_of(payload: dict) -> str:
    return "\n".join([payload.get("text") or "", *block_texts(payload.get("blocks") or [])])


def new_id() -> str:
    return uuid.uuid4().hex[:8]


async def install(stack: Stack, team: str, user: str, *, base: str | None = None) -> tuple[int, str]:
    """Add to Slack: the install page, Slack's consent (approved by ``user``), the redirect back."""
    stack.slack.install_as = (team, user)
    async with aiohttp.ClientSession() as browser:
        async with browser.get(f"{base or stack.url}/slack/install") as page:
            assert page.status == 200
            authorize_url = html.unescape(re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', await page.text())[1])
            # The state cookie is Secure: a browser sends it back over the https public URL.
            cookie = page.headers["Set-Cookie"].split(";")[0]
        assert authorize_url.startswith(stack.slack.url), "the sandbox's consent screen, as configured"
        async with browser.get(authorize_url, allow_redirects=False) as approved:
            redirect = urlsplit(approved.headers["Location"])
        assert redirect.path == "/slack/oauth_redirect"
        async with browser.get(f"{base or stack.url}{redirect.path}?{redirect.query}", headers={"Cookie": cookie}) as done:
            return done.status, await done.text()


async def event(stack: Stack, team: str, body: dict) -> int:
    """Slack's Events API delivering ``body`` (an event) from ``team``; returns the HTTP status."""
    envelope = {
        "token": "legacy", "team_id": team, "api_app_id": "A0ZOOMCAL", "type": "event_callback",
        "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()), "event": body,
    }
    status, _ = await stack.post_slack(json.dumps(envelope).encode(), content_type="application/json")
    return status
