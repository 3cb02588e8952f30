"""The shapes of the Slack requests zoomcal accepts, checked at the edge before Bolt sees them.

Bolt and zoomcal's listeners index what Slack sends without guards (Bolt reads ``actions[0]`` of every
click before any listener runs), so a correctly signed request of the wrong shape once raised a 500.
Each kind zoomcal handles is described here: its required fields with their types, ids within
Slack's lengths, response URLs that are URLs. The fields Bolt reads from any payload to build its
context are checked too. Anything else is Malformed (a 400 with a short reason). A listener for a new
kind needs its shape here first (until then the kind is answered 404 without reaching Bolt), and a
listener for a new event the fields it reads in EVENTS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from handlers.parsing import Malformed, too_deep

SSL_CHECK = "ssl_check"  # Slack checking the certificate: answered 200 at once
UNHANDLED = "unhandled"  # a well-formed kind zoomcal has no listener for: 404, as Bolt answers


class Spec:
    """``where`` names the field for the reason: a string, or (parent, name) pairs joined only when
    a check fails (every Slack request is checked; few fail)."""

    def check(self, value: Any, where, edge: Edge) -> None:
        raise NotImplementedError

    def fail(self, where, problem: str) -> None:
        raise Malformed(f"{_path(where)}: {problem}")


def _path(where) -> str:
    """(parent, name) pairs as "parent.name"; names starting with a space or "[" are appended as is."""
    if isinstance(where, tuple):
        parent, name = where
        return f"{_path(parent)}{name if name[:1] in (' ', '[') else '.' + name}"
    return where


class Text(Spec):
    def __init__(self, longest: int, pattern: str | None = None, *, json_inside: bool = False):
        self.longest = longest
        self.pattern = re.compile(pattern) if pattern else None
        self.json_inside = json_inside  # zoomcal parses it (button values, private_metadata)

    def check(self, value, where, edge):
        if not isinstance(value, str):
            self.fail(where, "not a string")
        if len(value) > self.longest:
            self.fail(where, f"longer than {self.longest} characters")
        if self.pattern is not None and not self.pattern.fullmatch(value):
            self.fail(where, "not in the expected format")
        if self.json_inside and too_deep(value):
            self.fail(where, "nested too deep")


class Flag(Spec):
    def check(self, value, where, edge):
        if not isinstance(value, bool):
            self.fail(where, "not true or false")


class Number(Spec):
    def check(self, value, where, edge):
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, "not an integer")


class Anything(Spec):
    def check(self, value, where, edge):
        pass


class ResponseUrl(Spec):
    """https, or under the configured Slack API's origin (the sandbox and tests serve it over http)."""

    FORMAT = re.compile(r"https?://[A-Za-z0-9.-]+(?::([0-9]{1,5}))?/[!-~]*")  # printable ASCII, no spaces

    def check(self, value, where, edge):
        found = self.FORMAT.fullmatch(value) if isinstance(value, str) and len(value) <= 2000 else None
        if found is None or (found[1] is not None and int(found[1]) > 65535):
            self.fail(where, "not a URL")
        if not (value.startswith("https://") or value.startswith(edge.slack_origin_slash)):
            self.fail(where, "not an https URL")


class Obj(Spec):
    """A JSON object with these fields (others may be present and are not read)."""

    def __init__(self, required: Mapping[str, Spec] = {}, optional: Mapping[str, Spec] = {}):
        self.required = dict(required)
        self.optional = dict(optional)

    def check(self, value, where, edge):
        if not isinstance(value, dict):
            self.fail(where, "not an object")
        for name, spec in self.required.items():
            if name not in value:
                self.fail(where, f"{name} is missing")
            spec.check(value[name], (where, name), edge)
        for name, spec in self.optional.items():
            if name in value:
                spec.check(value[name], (where, name), edge)


class Nullable(Spec):
    def __init__(self, spec: Spec):
        self.spec = spec

    def check(self, value, where, edge):
        if value is not None:
            self.spec.check(value, where, edge)


class IfObject(Nullable):
    """Checked only when it is an object (Bolt reads inside it only then)."""

    def check(self, value, where, edge):
        if isinstance(value, dict):
            self.spec.check(value, where, edge)


class Either(Spec):
    """A string of one shape or an object of another (Bolt reads both for team, user, channel)."""

    def __init__(self, text: Spec, obj: Spec):
        self.text, self.obj = text, obj

    def check(self, value, where, edge):
        (self.text if isinstance(value, str) else self.obj).check(value, where, edge)


class ListOf(Spec):
    def __init__(self, item: Spec, shortest: int = 0, longest: int = 100):
        self.item, self.shortest, self.longest = item, shortest, longest

    def check(self, value, where, edge):
        if not isinstance(value, list):
            self.fail(where, "not a list")
        if not self.shortest <= len(value) <= self.longest:
            self.fail(where, f"not {self.shortest} to {self.longest} items")
        for item in value:
            self.item.check(item, (where, "[]"), edge)


class MapOf(Spec):
    """An object whose keys are ids (block ids, action ids) of one shape and values of another."""

    def __init__(self, key: Spec, value: Spec, longest: int = 100):
        self.key, self.value, self.longest = key, value, longest

    def check(self, value, where, edge):
        if not isinstance(value, dict):
            self.fail(where, "not an object")
        if len(value) > self.longest:
            self.fail(where, f"more than {self.longest} entries")
        for key, item in value.items():
            self.key.check(key, (where, " key"), edge)  # the reason never quotes the key itself
            self.value.check(item, (where, "*"), edge)


# Slack's ids are short uppercase letters and digits: users U…/W…, teams T…, enterprises E…,
# channels C…/D…/G…, views V…, apps A…, bots B… (9 to 11 characters today; room for growth).
ID = Text(32, r"[A-Z0-9]+")
SOME_ID = Text(32, r"[A-Z0-9]*")  # where Slack may send an empty string, and Bolt skips it
BLOCK_KIT_ID = Text(255)  # action_id, block_id, callback_id, external_id: Block Kit's limit
TRIGGER_ID = Text(255, r"[0-9A-Za-z._-]+")  # "132456.7890123.abcdef"
TS = Text(64, r"[0-9.]+")
KIND = Text(64)  # a "type" field

OPTION = Obj(
    {"value": Text(150)},  # Block Kit's limits for an option: value 150, text 75
    {"text": Obj(optional={"type": KIND, "text": Text(75)})},
)
ACTION_STATE = Obj(  # one input's state in view.state.values
    {"type": KIND},
    {"selected_option": Nullable(OPTION), "selected_options": ListOf(OPTION), "value": Nullable(Text(3000))},
)
STATE_VALUES = MapOf(BLOCK_KIT_ID, MapOf(BLOCK_KIT_ID, ACTION_STATE))  # block id → action id → state
STATE = Obj({"values": STATE_VALUES})
VIEW_FIELDS = {
    "callback_id": BLOCK_KIT_ID,
    "private_metadata": Text(3000, json_inside=True),
    "external_id": BLOCK_KIT_ID,
    "hash": Text(255),
    "team_id": Nullable(SOME_ID),
    "app_installed_team_id": Nullable(SOME_ID),
    "root_view_id": Nullable(SOME_ID),
    "previous_view_id": Nullable(SOME_ID),
}
# The view a click or type-ahead came from: zoomcal reads nothing of it (its id may be missing).
VIEW = Obj({"type": KIND}, VIEW_FIELDS | {"id": SOME_ID, "state": STATE})
SUBMITTED_VIEW = Obj({"id": ID, "type": KIND, "callback_id": BLOCK_KIT_ID, "state": STATE}, VIEW_FIELDS)
CLOSED_VIEW = Obj({"id": ID, "type": KIND, "callback_id": BLOCK_KIT_ID}, VIEW_FIELDS | {"state": STATE})
USER = Obj({"id": ID}, {"team_id": ID, "name": Text(255), "username": Text(255)})
TEAM = Nullable(Obj({"id": ID}, {"domain": Text(255), "enterprise_id": ID}))  # null in org-wide installs
ACTION = Obj(
    {"action_id": BLOCK_KIT_ID, "type": KIND},
    {
        "block_id": BLOCK_KIT_ID,
        "value": Text(2000, json_inside=True),
        "action_ts": TS,
        "selected_option": Nullable(OPTION),
    },
)
CONTAINER = Obj(optional={"type": KIND})
INTERACTION = {"team": TEAM, "api_app_id": SOME_ID, "container": CONTAINER}

# What Bolt reads from any payload (and, the same way, from its event, message, item and first
# authorization) to build a request's context, in the types it can read them as. Its middleware
# also reads the event of every request (None is not an event).
_IDS = Obj(optional={"id": Nullable(SOME_ID), "team_id": Nullable(SOME_ID)})
_IDS_OF_VIEW = Obj(optional={"team_id": Nullable(SOME_ID), "app_installed_team_id": Nullable(SOME_ID)})
BOLT_CONTEXT = Obj(
    optional={
        "team": Nullable(Either(SOME_ID, _IDS)),
        "user": Nullable(Either(SOME_ID, _IDS)),
        "channel": Nullable(Either(SOME_ID, _IDS)),
        "enterprise": Nullable(Either(SOME_ID, _IDS)),
        "team_id": Nullable(SOME_ID),
        "user_id": Nullable(SOME_ID),
        "channel_id": Nullable(SOME_ID),
        "enterprise_id": Nullable(SOME_ID),
        "thread_ts": Nullable(Text(64)),
        "response_url": ResponseUrl(),
        "response_urls": ListOf(Obj({"response_url": ResponseUrl()})),
        "view": IfObject(_IDS_OF_VIEW),
    }
)
BOLT_CONTEXT.optional["event"] = BOLT_CONTEXT
for _nested in ("message", "previous_message", "item", "assistant_thread"):
    BOLT_CONTEXT.optional[_nested] = IfObject(BOLT_CONTEXT)
BOLT_CONTEXT.optional["authorizations"] = ListOf(BOLT_CONTEXT, longest=10)

# The kinds zoomcal handles. Forms carry only strings, so a slash command's fields need no types.
COMMAND = Obj(
    {
        "command": Text(32, r"/[^\s]+"),
        "team_id": ID,
        "user_id": ID,
        "trigger_id": TRIGGER_ID,
        "response_url": ResponseUrl(),
    },
    {"channel_id": SOME_ID, "enterprise_id": SOME_ID, "api_app_id": SOME_ID},
)
JSON_KINDS: dict[str, Spec] = {
    "block_actions": Obj(
        {"user": USER, "actions": ListOf(ACTION, shortest=1, longest=25), "trigger_id": TRIGGER_ID},
        INTERACTION | {"response_url": ResponseUrl(), "view": VIEW, "state": Obj(optional={"values": STATE_VALUES})},
    ),
    "view_submission": Obj({"user": USER, "view": SUBMITTED_VIEW}, INTERACTION | {"trigger_id": TRIGGER_ID}),
    "view_closed": Obj({"user": USER, "view": CLOSED_VIEW}, INTERACTION | {"is_cleared": Flag()}),
    "block_suggestion": Obj(  # the typed text is the value: 2,000 characters keep the lookup cheap
        {"user": USER, "action_id": BLOCK_KIT_ID},
        INTERACTION | {"block_id": BLOCK_KIT_ID, "value": Text(2000), "view": VIEW},
    ),
    "event_callback": Obj(
        {"team_id": ID, "event": Obj({"type": KIND})},
        {"api_app_id": SOME_ID, "event_id": Text(64), "event_time": Number(), "is_ext_shared_channel": Flag()},
    ),
    "url_verification": Obj({"challenge": Text(255)}, {"token": Text(255)}),
}
EVENTS: dict[str, Spec] = {  # the events zoomcal listens to
    "app_home_opened": Obj({"user": ID}, {"tab": KIND, "channel": ID, "view": VIEW}),
    "tokens_revoked": Obj({"tokens": Obj(optional={"oauth": ListOf(ID, longest=1000), "bot": ListOf(ID)})}),
    "app_uninstalled": Obj(),
}
INTERACTIONS = ("block_actions", "view_submission", "view_closed", "block_suggestion")


class Edge:
    """Checks payloads against the shapes above. ``slack_origin`` (SLACK_API_URL's scheme and host) is
    where a response URL may point over http: the sandbox's and the tests' Slack."""

    def __init__(self, slack_api_url: str):
        parts = urlsplit(slack_api_url)
        self.slack_origin = f"{parts.scheme}://{parts.netloc}"
        self.slack_origin_slash = self.slack_origin + "/"

    def kind(self, payload: dict, *, form: bool) -> str:
        """The payload's kind once its shape is checked (SSL_CHECK, UNHANDLED or one Bolt dispatches).

        Raises Malformed. ``form``: a form's own fields (a slash command), not an interaction's JSON.
        """
        if form:
            if "command" in payload:
                if "type" in payload:  # Bolt would take it for an interaction
                    raise Malformed("a slash command with a type")
                BOLT_CONTEXT.check(payload, "command", self)
                COMMAND.check(payload, "command", self)
                return "command"
            return SSL_CHECK if payload.get("ssl_check") == "1" else UNHANDLED
        kind = payload.get("type")
        if not isinstance(kind, str):
            raise Malformed("type: missing or not a string")
        spec = JSON_KINDS.get(kind)
        if spec is None:
            return UNHANDLED
        if "command" in payload:  # Bolt would take it for a slash command
            raise Malformed(f"{kind}: has a command")
        BOLT_CONTEXT.check(payload, kind, self)
        spec.check(payload, kind, self)
        if kind in INTERACTIONS and not ((payload.get("team") or {}).get("id") or payload["user"].get("team_id")):
            raise Malformed(f"{kind}: no team")
        if kind == "event_callback":
            event = payload["event"]
            EVENTS.get(event["type"], Anything()).check(event, f"event {event['type']}", self)
        return kind
