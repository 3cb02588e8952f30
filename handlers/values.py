"""What zoomcal put in its buttons, dialogs and options, read back when Slack sends them.

The Block Kit builders (handlers.blocks) write these values; reading them is a listener's
job, so a malformed one becomes a 400 here (MalformedPayload) and the blocks depend on
nothing in handlers but the ids.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot import logs
from bot.command import Target, Verb
from bot.domain import Choices, Scope, ScopeKind
from handlers.blocks import ids
from handlers.errors import MalformedPayload


@dataclass(frozen=True)
class Shown:
    """A scope as a button or dialog showed it, with the scope's version then (None: not recorded)."""

    scope: Scope
    version: int | None


def shown(raw: object) -> Shown:
    """A scope zoomcal put in a button value or private_metadata; continues the flow that put it there."""
    try:
        data = json.loads(raw)  # type: ignore[arg-type]
        kind = ScopeKind(data["kind"])
        group_id, name = str(data["group_id"]), str(data["name"])
        version = data.get("version")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise MalformedPayload("scope") from None
    if version is not None and (type(version) is not int or version < 0):
        raise MalformedPayload("scope")
    logs.follow(data.get("request"))
    if kind is ScopeKind.ACCOUNT:
        return Shown(Scope.account(), version)
    if not group_id or not name:
        raise MalformedPayload("scope")
    return Shown(Scope.group(group_id, name), version)


PICKABLE = (Verb.STATUS, Verb.ENABLE, Verb.DISABLE, Verb.VERIFY)


def picked(raw: object) -> tuple[Verb, Target]:
    """The command and group a "pick one of these groups" button carries (handlers.blocks.messages)."""
    try:
        data = json.loads(raw)  # type: ignore[arg-type]
        verb = Verb(data["verb"])
        group_id, name = str(data["group_id"]), str(data["name"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise MalformedPayload("group") from None
    if verb not in PICKABLE or not group_id or not name:
        raise MalformedPayload("group")
    return verb, Target(name, group_id=group_id)


def choices(values: dict) -> Choices:
    """The portal's choices as a dialog submitted them (blanks where an input is missing)."""

    def picked(block: str, action: str) -> dict:
        entry = values.get(block)
        state = entry.get(action) if isinstance(entry, dict) else None
        return state if isinstance(state, dict) else {}

    def radio(block: str, action: str) -> str:
        selected = picked(block, action).get("selected_option")
        return str(selected.get("value") or "") if isinstance(selected, dict) else ""

    toggled = picked(ids.THIRD_PARTY_BLOCK, ids.THIRD_PARTY_ACTION).get("selected_options")
    return Choices(
        third_party=isinstance(toggled, list)
        and any(isinstance(o, dict) and o.get("value") == ids.THIRD_PARTY_ON for o in toggled),
        service=radio(ids.SERVICE_BLOCK, ids.SERVICE_ACTION),
        authorize_with=radio(ids.AUTHORIZE_BLOCK, ids.AUTHORIZE_ACTION),
        setup_by=radio(ids.SETUP_BLOCK, ids.SETUP_ACTION),
    )


def chosen_scope(values: dict) -> Scope | None:
    """The scope select's option: "account", or "group:<id>" with the group's name as its text."""
    entry = values.get(ids.SCOPE_BLOCK)
    state = entry.get(ids.SCOPE_ACTION) if isinstance(entry, dict) else None
    selected = state.get("selected_option") if isinstance(state, dict) else None
    if not isinstance(selected, dict):
        return None
    value = str(selected.get("value") or "")
    text = selected.get("text")
    name = str(text.get("text") or "") if isinstance(text, dict) else ""
    if value == "account":
        return Scope.account()
    if value.startswith("group:") and len(value) > 6 and name:
        return Scope.group(value[6:], name)
    return None
