"""A shape check before Bolt sees a payload: Bolt's own routing indexes fields unguarded."""

from __future__ import annotations

from typing import Any


def _has(value: Any, *keys: str) -> bool:
    return isinstance(value, dict) and all(isinstance(value.get(k), str) for k in keys)


def well_formed(body: Any) -> bool:
    """False for a payload that would crash Bolt's routing; unknown kinds pass (Bolt 404s them)."""
    if not isinstance(body, dict):
        return False
    if "command" in body:
        return _has(body, "command")
    kind = body.get("type")
    if kind is None:
        return True
    if not isinstance(kind, str):
        return False
    if kind in ("view_submission", "view_closed"):
        return _has(body.get("view"), "type", "callback_id", "id") and _has(body.get("user"), "id")
    if kind in ("block_actions", "block_suggestion", "interactive_message"):
        actions = body.get("actions", [])
        return _has(body.get("user"), "id") and isinstance(actions, list) and all(isinstance(a, dict) for a in actions)
    if kind == "event_callback":
        return _has(body.get("event"), "type")
    return True
