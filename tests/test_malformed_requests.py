"""Property-based: correctly signed but mutated Slack requests never get a 5xx and change nothing.

Valid examples of every kind zoomcal handles (commands, clicks of each button, submissions of each
dialog, type-ahead, Home and other events, url_verification) are mutated structurally (keys deleted
at any depth, values swapped for other types, lists emptied or items repeated, nulls, huge strings,
2,000 levels of nesting, bytes that are not UTF-8, truncated bodies) and sent, signed, to the running
bot over HTTP. One bot serves every example; each example's requests are ordinary HTTP requests, so
the Hypothesis test itself stays synchronous and runs them on a loop it owns.
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import logging
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import logs
from bot.domain import Scope
from handlers.blocks import ids, modals
from handlers.blocks.common import encode_scope
from storage.models import AuditEvent, ConsentRequest, Credential, Integration
from tests.flows import activate, enable, open_enable_modal
from tests.harness import ADMIN, TEAM, Stack, initial_values

EXAMPLES = 300
FORM, JSON_BODY = "application/x-www-form-urlencoded", "application/json"
DEEP = "\x00deep\x00"  # stands for 2,000 levels of nesting, written into the JSON text after dumps()
DEEP_TEXT = "[" * 2000 + "]" * 2000
SWAPS = [None, True, False, 0, -1, 2**70, 1.5, "", "x", "A" * 10_000, [], {}, DEEP, "https://", "U" * 40, "[" * 1999]
FORM_SWAPS = ["", "x", "A" * 10_000, "0", "https://", "U" * 40, "u1", "%FF", "\x00", "{}", "[" * 1999, DEEP_TEXT]
TABLES = (Integration, Credential, ConsentRequest, AuditEvent)
NO_LISTENER = {"close enable", "a message event"}  # well-formed, and answered 404 as before


def test_mutated_requests_never_get_a_5xx_and_change_nothing(tmp_path):
    loop = asyncio.new_event_loop()
    stack = Stack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}")
    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    loop.run_until_complete(stack.__aenter__())
    try:
        logs.configure(stack.settings.secrets, logging.WARNING, stream=stream)
        loop.run_until_complete(activate(stack, "enable group Engineering"))  # rows a mutant must not touch
        loop.run_until_complete(enable(stack, "enable group Support"))  # a pending consent
        bases = loop.run_until_complete(valid_examples(stack))
        for base in bases:  # each is answered as zoomcal answers valid requests
            expected = 404 if base[0] in NO_LISTENER else 200
            assert loop.run_until_complete(send(stack, base, base[2]))[0] == expected, base[0]
        loop.run_until_complete(stack.runtime.jobs.drain(30))
        before = loop.run_until_complete(snapshot(stack))

        @given(st.data())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def mutants(data):
            name, kind, payload = data.draw(st.sampled_from(bases), label="base")
            mutated = copy.deepcopy(payload)
            for _ in range(data.draw(st.integers(1, 3), label="mutations")):
                mutated = mutate(data, mutated, form=(kind == "command"))
            status, text = loop.run_until_complete(send(stack, (name, kind, payload), mutated, data))
            assert status < 500, (name, status, text[:200])
            assert "Traceback" not in text

        mutants()
        assert loop.run_until_complete(stack.runtime.jobs.drain(60)), "every job finished"
        after = loop.run_until_complete(snapshot(stack))
        # A mutant can still be well formed with another user's id ("0", "A"): that user is refused,
        # and the refusal is audited. That is the one row a mutant may add.
        refusals = [row for row in set(after["audit_events"]) - set(before["audit_events"]) if refused(row)]
        after["audit_events"] = sorted(set(after["audit_events"]) - set(refusals))
        changed = {table: (sorted(set(before[table]) - set(rows)), sorted(set(rows) - set(before[table])))
                   for table, rows in after.items() if rows != before[table]}
        assert not changed, f"a mutated request changed the database (gone, new): {changed}"
        assert loop.run_until_complete(stack.get("/healthz")) == (200, "ok")
        status, ack, _ = loop.run_until_complete(stack.command("help"))
        assert status == 200
        if "/zoomcal help" not in ack:  # answered through response_url rather than in the ack
            loop.run_until_complete(stack.slack.wait_for(lambda r: stack.slack.is_response(r) and b"/zoomcal help" in r.body))
        errors = [line for line in stream.getvalue().splitlines() if '"level": "error"' in line]
        assert not errors, errors[:5]
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        loop.run_until_complete(stack.__aexit__(None, None, None))
        loop.close()


async def valid_examples(stack: Stack) -> list[tuple[str, str, dict]]:
    """(name, kind, payload) of each request kind zoomcal handles, as Slack sends them, for an admin:
    whatever a mutant still valid does, nothing in the four tables changes (reads, dialogs, refusals
    of choices, disabling what was never enabled)."""
    slack = stack.slack
    sales = Scope.group(stack.zoom.groups[0]["id"], stack.zoom.groups[0]["name"])
    user = {"id": ADMIN, "team_id": TEAM, "name": "alice", "username": "alice"}
    team = {"id": TEAM, "domain": "example"}
    examples = []
    for text in ("help", "status", "status group Sales", "groups Sa", "audit 5", "enable account", "disable account", ""):
        examples.append((f"/zoomcal {text}", "command", {
            "token": "legacy", "team_id": TEAM, "team_domain": "example", "channel_id": "C0GENERAL",
            "channel_name": "general", "user_id": ADMIN, "user_name": "alice", "command": "/zoomcal", "text": text,
            "api_app_id": "A0ZOOMCAL", "is_enterprise_install": "false",
            "response_url": slack.new_response_url(), "trigger_id": slack.new_trigger_id(),
        }))

    def click(action_id: str, value: str, *, home: bool = False) -> dict:
        payload = {
            "type": "block_actions", "user": user, "api_app_id": "A0ZOOMCAL", "token": "legacy", "team": team,
            "trigger_id": slack.new_trigger_id(), "enterprise": None, "is_enterprise_install": False,
            "actions": [{"action_id": action_id, "block_id": "b1", "type": "button", "value": value,
                         "text": {"type": "plain_text", "text": "Go", "emoji": True}, "action_ts": "1700000000.1"}],
        }
        if home:
            return payload | {"container": {"type": "view", "view_id": "VHOME0001"},
                              "view": {"id": "VHOME0001", "type": "home", "team_id": TEAM, "callback_id": "",
                                       "private_metadata": "", "hash": "1.a", "state": {"values": {}}}}
        return payload | {
            "container": {"type": "message", "message_ts": "1700000000.2", "channel_id": "C0GENERAL"},
            "channel": {"id": "C0GENERAL", "name": "general"}, "message": {"ts": "1700000000.2", "type": "message"},
            "response_url": slack.new_response_url("actions"), "state": {"values": {}},
        }

    page = json.dumps({"listing": "status", "query": "", "page": 2})
    examples += [
        ("open consent link", "interaction", click(ids.CONSENT_LINK_ACTION, "")),
        ("disable account", "interaction", click(ids.DISABLE_ACTION, encode_scope(Scope.account()))),
        ("disable Sales", "interaction", click(ids.DISABLE_ACTION, encode_scope(sales))),
        ("next page", "interaction", click(ids.PAGE_NEXT_ACTION, page)),
        ("previous page", "interaction", click(ids.PAGE_PREVIOUS_ACTION, page)),
        ("Home: next page", "interaction", click(ids.HOME_PAGE_NEXT_ACTION, page, home=True)),
        ("Home: previous page", "interaction", click(ids.HOME_PAGE_PREVIOUS_ACTION, page, home=True)),
        ("Home: enable Sales", "interaction", click(ids.HOME_ENABLE_ACTION, encode_scope(sales), home=True)),
        ("Home: disable account", "interaction", click(ids.HOME_DISABLE_ACTION, encode_scope(Scope.account()), home=True)),
    ]

    enable_view = await open_enable_modal(stack, "enable group Sales")
    await stack.command("")
    configure_view = (await slack.wait_view(lambda v: v.get("callback_id") == ids.CONFIGURE_VIEW)) | {}
    confirm_view = modals.confirm_disable_modal(Scope.account()) | {"id": "VCONFIRM01"}
    refused_choices = initial_values(enable_view)
    refused_choices[ids.THIRD_PARTY_BLOCK][ids.THIRD_PARTY_ACTION]["selected_options"] = []  # "turn this on"
    account = {"text": {"type": "plain_text", "text": "Account", "emoji": True}, "value": "account"}
    configured = initial_values(configure_view) | {
        ids.SCOPE_BLOCK: {ids.SCOPE_ACTION: {"type": "external_select", "selected_option": account}},
    }
    configured[ids.THIRD_PARTY_BLOCK][ids.THIRD_PARTY_ACTION]["selected_options"] = []  # nothing to disable

    def submission(view: dict, values: dict, kind: str = "view_submission") -> dict:
        return {
            "type": kind, "team": team, "user": user, "api_app_id": "A0ZOOMCAL", "token": "legacy",
            "trigger_id": slack.new_trigger_id(), "enterprise": None, "is_enterprise_install": False,
            "view": {"id": view.get("id") or "VVIEW00001", "team_id": TEAM, "type": "modal",
                     "callback_id": view["callback_id"], "private_metadata": view.get("private_metadata", ""),
                     "hash": "1700000000.abc", "external_id": "", "root_view_id": view.get("id") or "VVIEW00001",
                     "previous_view_id": None, "app_installed_team_id": TEAM, "state": {"values": values}},
            "response_urls": [],
        }

    examples += [
        ("submit enable, third party off", "interaction", submission(enable_view, refused_choices)),
        ("submit configure, nothing to disable", "interaction", submission(configure_view, configured)),
        ("confirm disable account", "interaction", submission(confirm_view, {})),
        ("close enable", "interaction", submission(enable_view, refused_choices, "view_closed") | {"is_cleared": False}),
        ("type-ahead", "interaction", {
            "type": "block_suggestion", "user": user, "team": team, "api_app_id": "A0ZOOMCAL", "token": "legacy",
            "action_id": ids.SCOPE_ACTION, "block_id": ids.SCOPE_BLOCK, "value": "Sa",
            "container": {"type": "view", "view_id": "VVIEW00001"},
            "view": {"id": "VVIEW00001", "type": "modal", "callback_id": ids.CONFIGURE_VIEW, "private_metadata": "",
                     "state": {"values": {}}, "hash": "1.a", "team_id": TEAM},
        }),
    ]

    def event(body: dict) -> dict:
        return {
            "token": "legacy", "team_id": TEAM, "api_app_id": "A0ZOOMCAL", "type": "event_callback",
            "event_id": "Ev0EXAMPLE1", "event_time": 1700000000, "event": body, "is_ext_shared_channel": False,
            "authorizations": [{"enterprise_id": None, "team_id": TEAM, "user_id": "UBOT",
                                "is_bot": True, "is_enterprise_install": False}],
        }

    examples += [
        ("Home opened", "event", event({"type": "app_home_opened", "user": ADMIN, "channel": "D0ADMIN01",
                                        "tab": "home", "event_ts": "1700000000.3"})),
        ("user tokens revoked", "event", event({"type": "tokens_revoked", "tokens": {"oauth": ["UADMIN01"]},
                                                "event_ts": "1700000000.4"})),
        ("a message event", "event", event({"type": "message", "user": ADMIN, "text": "hi", "channel": "C0GENERAL",
                                            "ts": "1700000000.5", "event_ts": "1700000000.5"})),
        ("url_verification", "event", {"token": "legacy", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
                                       "type": "url_verification"}),
    ]
    return examples


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def mutate(data, root, *, form: bool):
    """One structural change at a path drawn from the whole tree (the top level included)."""
    paths = [p for p in _paths(root) if p]
    if not paths:
        return data.draw(st.sampled_from(SWAPS), label="new root")
    path = data.draw(st.sampled_from(paths), label="path")
    parent = root
    for step in path[:-1]:
        parent = parent[step]
    key, value = path[-1], parent[path[-1]]
    operation = data.draw(st.sampled_from(["delete", "swap", "text", "empty", "repeat"]), label="operation")
    if operation == "delete":
        del parent[key]
    elif operation == "swap":
        parent[key] = data.draw(st.sampled_from(FORM_SWAPS if form else SWAPS), label="value")
    elif operation == "text":
        parent[key] = data.draw(st.text(max_size=40), label="text")
    elif operation == "empty":
        parent[key] = "" if form else (type(value)() if isinstance(value, (dict, list, str)) else None)
    elif isinstance(value, list) and value:
        value.append(copy.deepcopy(value[data.draw(st.integers(0, len(value) - 1), label="item")]))
    else:
        parent[key] = value if form else [value, copy.deepcopy(value)]
    return root


def encode(kind: str, payload) -> tuple[bytes, str]:
    if kind == "command":
        if not isinstance(payload, dict):
            return str(payload).encode(), FORM
        return urlencode({k: str(v) for k, v in payload.items()}).encode(), FORM
    text = json.dumps(payload).replace(json.dumps(DEEP), DEEP_TEXT)
    if kind == "event":
        return text.encode(), JSON_BODY
    return urlencode({"payload": text}).encode(), FORM


async def send(stack: Stack, base: tuple, payload, data=None) -> tuple[int, str]:
    name, kind, _ = base
    body, content_type = encode(kind, payload)
    if data is not None:
        damage = data.draw(st.sampled_from([None] * 6 + ["not UTF-8", "cut", "repeat a field"]), label="bytes")
        at = data.draw(st.integers(0, len(body)), label="at")
        if damage == "not UTF-8":
            body = body[:at] + data.draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88"])) + body[at:]
        elif damage == "cut":
            body = body[:at]
        elif damage == "repeat a field" and content_type == FORM:
            body += b"&" + body.split(b"&")[0]
    return await stack.post_slack(body, content_type=content_type)


async def snapshot(stack: Stack) -> dict[str, list[tuple]]:
    """Every row of the tables a malformed request must not touch."""
    found = {}
    async with stack.runtime.db.transaction() as repo:
        for model in TABLES:
            rows = (await repo.session.execute(select(model.__table__))).all()
            found[model.__tablename__] = sorted(map(tuple, rows), key=repr)
    return found


def refused(row: tuple) -> bool:
    """An audit row refusing someone other than the admin every example is sent as."""
    event = dict(zip(AuditEvent.__table__.columns.keys(), row))
    return event["outcome"] == "refused" and event["slack_user_id"] != ADMIN
