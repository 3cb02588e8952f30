"""How the bot's messages in Slack read in the terminal: who sees them, where, and their blocks."""

from __future__ import annotations

from bot.console.blocks import INDENT, Buttons, render_blocks, render_message
from bot.console.sandbox import AUDIT_CHANNEL
from bot.console.slack_user import CHANNEL
from bot.console.timeline import Post

VIEW_KINDS = ("opened", "pushed", "updated", "refused")  # the modal; shown once, in its final state
_ONE_LINE = 110


def render_post(post: Post, users: dict[str, str], shown: Buttons) -> list[str]:
    body = post.body
    if post.kind in ("answer", "ephemeral"):
        replacing = ", replacing the message" if body.get("replace_original") in (True, "true") else ""
        return render_reply(f"zoomcal (only visible to you{replacing}):", body, users, shown, CHANNEL)
    if post.kind == "dm":
        return render_reply("zoomcal → direct message:", body, users, shown, post.where)
    if post.kind == "channel":
        name = "#zoomcal-audit" if post.where == AUDIT_CHANNEL else f"#{post.where}"
        return render_reply(f"zoomcal in {name}:", body, users, shown, post.where)
    if post.kind == "edit":
        return render_reply("zoomcal edited its message:", body, users, shown, post.where)
    if post.kind == "home":
        lines = render_blocks(body.get("blocks") or [], users, shown, {"view": body})
        return ["App Home tab (zoomcal):", *(INDENT + line for line in lines)]
    return []


def render_reply(heading: str, payload: dict, users: dict[str, str], shown: Buttons, channel: str) -> list[str]:
    """A message under its heading; a one-liner stays on the heading's line."""
    origin = {"message": {"channel": channel, "ts": payload.get("ts"), "text": payload.get("text", "")}}
    lines = render_message(payload, users, shown, origin)
    if len(lines) == 1 and len(heading) + len(lines[0]) < _ONE_LINE:
        return [f"{heading} {lines[0]}"]
    return [heading, *(INDENT + line for line in lines)]
