"""Block Kit as terminal text. Buttons get numbers so the user can type `click N`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_EMOJI = {"white_check_mark": "✅", "x": "❌", "warning": "⚠️", "hourglass": "⏳", "no_entry": "⛔"}
INDENT = "  "


@dataclass(frozen=True)
class Button:
    element: dict
    origin: dict  # {"view": view} or {"message": {...}}: where Slack says the click came from

    @property
    def label(self) -> str:
        return str((self.element.get("text") or {}).get("text") or "button")

    @property
    def url(self) -> str | None:
        return self.element.get("url")

    @property
    def confirm(self) -> dict | None:
        return self.element.get("confirm")


@dataclass
class Buttons:
    """The buttons and links shown by one answer, numbered from 1 in reading order."""

    items: list[Button] = field(default_factory=list)
    closed: set[int] = field(default_factory=set)  # numbers of buttons in dialogs closed since

    def add(self, element: dict, origin: dict) -> int:
        self.items.append(Button(element, origin))
        return len(self.items)

    def get(self, number: int) -> Button | None:
        if number in self.closed:
            return None
        return self.items[number - 1] if 1 <= number <= len(self.items) else None

    def close_views(self, view_ids: list[str]) -> None:
        """A dialog closed: its buttons are gone (the messages' buttons keep their numbers)."""
        for number, button in enumerate(self.items, 1):
            if str((button.origin.get("view") or {}).get("id") or "") in view_ids:
                self.closed.add(number)

    def missing(self, number: int) -> str:
        """Why there is no [number]: what the latest answer showed instead."""
        if number in self.closed:
            return f"[{number}] was in a dialog that is closed now."
        shown = [(n, b) for n, b in enumerate(self.items, 1) if n not in self.closed]
        if not shown:
            return f"There is no button or link [{number}]: the latest answer showed none."
        listed = ", ".join(f"[{n}] {b.label} ({'link' if b.url else 'button'})" for n, b in shown[:6])
        more = f" and {len(shown) - 6} more" if len(shown) > 6 else ""
        return f"There is no button or link [{number}] in the latest answer: it showed {listed}{more}."


def plain(text: str, users: dict[str, str]) -> str:
    """mrkdwn as a terminal shows it: names for mentions, dates' fallbacks, labels for links."""
    text = re.sub(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", lambda m: "@" + users.get(m[1], m[1]), text)
    text = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", text)
    text = re.sub(r"<([^|<>]+)\|([^<>]+)>", r"\2 (\1)", text)
    text = re.sub(r"<(https?://[^<>]+)>", r"\1", text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    text = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"\1", text)
    text = re.sub(r":([a-z0-9_+-]+):", lambda m: _EMOJI.get(m[1], m[0]), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_of(obj: dict | None, users: dict[str, str]) -> str:
    """A text object's words (plain_text or mrkdwn)."""
    if not isinstance(obj, dict):
        return ""
    words = str(obj.get("text") or "")
    return plain(words, users) if obj.get("type") == "mrkdwn" else words


def button_line(element: dict, number: int) -> str:
    label = str((element.get("text") or {}).get("text") or "button")
    if element.get("url"):
        return f"[{number}] {label}  (a link: type `open {number}`)"
    notes = [f"type `click {number}`"]
    if element.get("confirm"):
        notes.append("asks to confirm")
    return f"[{number}] {label}  ({', '.join(notes)})"


def render_blocks(
    blocks: list[dict],
    users: dict[str, str],
    buttons: Buttons,
    origin: dict,
    input_lines: Callable[[dict], list[str]] | None = None,
) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {text_of(block.get('text'), users)} ==")
        elif kind == "section":
            if block.get("text"):
                lines += text_of(block["text"], users).splitlines()
            lines += [text_of(f, users) for f in block.get("fields") or []]
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                lines.append(INDENT + button_line(accessory, buttons.add(_tagged(accessory, block), origin)))
        elif kind == "context":
            words = [text_of(e, users) for e in block.get("elements") or [] if e.get("type") != "image"]
            lines.append(INDENT + " · ".join(w for w in words if w))
        elif kind == "actions":
            for element in block.get("elements") or []:
                if element.get("type") == "button":
                    lines.append(INDENT + button_line(element, buttons.add(_tagged(element, block), origin)))
                else:
                    lines.append(INDENT + f"({element.get('type')}: not supported in the console)")
        elif kind == "divider":
            lines.append("----")
        elif kind == "input" and input_lines is not None:
            lines += input_lines(block)
        else:
            lines.append(f"({kind} block)")
    return lines


def render_message(payload: dict, users: dict[str, str], buttons: Buttons, origin: dict) -> list[str]:
    """Slack shows the blocks when there are any; ``text`` is only the notification's fallback."""
    blocks = payload.get("blocks")
    if isinstance(blocks, list) and blocks:
        return render_blocks(blocks, users, buttons, origin)
    return plain(str(payload.get("text") or ""), users).splitlines()


def _tagged(element: dict, block: dict) -> dict:
    # Slack tells the bot which block a clicked button was in.
    return element | {"_block_id": block.get("block_id", "")}
