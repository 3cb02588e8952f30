"""Modals as Slack keeps them: a stack of views, each with what the user put in its inputs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.console.blocks import INDENT, Buttons, render_blocks, text_of

# Asks the bot which options an external select offers for the typed text.
Suggest = Callable[[dict, str], Awaitable[list[dict]]]
_ON, _OFF = {"on", "yes", "true", "x", "1"}, {"off", "no", "false", "none", "0", ""}


class Dialog:
    def __init__(self, view: dict):
        self.view = view
        self.values = initial_values(view)
        self.errors: dict[str, str] = {}

    @property
    def id(self) -> str:
        return str(self.view.get("id") or "")

    @property
    def inputs(self) -> list[dict]:
        return [b for b in self.view.get("blocks") or [] if b.get("type") == "input"]

    @property
    def can_submit(self) -> bool:
        return bool(self.view.get("submit"))

    def _state(self, block: dict) -> dict:
        element = block["element"]
        return self.values.setdefault(block["block_id"], {}).setdefault(element["action_id"], {"type": element["type"]})

    def render(self, users: dict[str, str], buttons: Buttons) -> list[str]:
        title = text_of(self.view.get("title"), users)
        body = render_blocks(self.view.get("blocks") or [], users, buttons, {"view": self.view}, self._input_lines)
        actions = [f"`submit` = {text_of(self.view['submit'], users)}"] if self.can_submit else []
        actions.append(f"`cancel` = {text_of(self.view.get('close'), users) or 'Cancel'}")
        return [f"+-- dialog: {title}", *("| " + line for line in body), "+-- " + " · ".join(actions)]

    def input_lines(self, number: int) -> list[str]:
        """Input ``number`` as the dialog shows it (after a `set`)."""
        return self._input_lines(self.inputs[number - 1])

    def _input_lines(self, block: dict) -> list[str]:
        number = self.inputs.index(block) + 1
        element, state = block["element"], self._state(block)
        label = text_of(block.get("label"), {}) + (" (optional)" if block.get("optional") else "")
        kind = element["type"]
        if kind in ("radio_buttons", "static_select", "checkboxes"):
            how = "on|off" if kind == "checkboxes" and len(element.get("options") or []) == 1 else "<number>"
            lines = [f"<{number}> {label}   (`set {number} {how}`)"]
            chosen = {o.get("value") for o in state.get("selected_options") or []}
            chosen.add((state.get("selected_option") or {}).get("value"))
            mark = "[x]" if kind == "checkboxes" else "(*)"
            empty = "[ ]" if kind == "checkboxes" else "( )"
            for index, option in enumerate(element.get("options") or [], start=1):
                words = _option_text(option)
                lines.append(f"{INDENT * 3}{mark if option.get('value') in chosen else empty} {index}. {words}")
        elif kind == "external_select":
            current = _option_text(state.get("selected_option") or {}) or "(nothing chosen)"
            lines = [f"<{number}> {label}: {current}   (`set {number} <name>` searches)"]
        elif kind == "plain_text_input":
            lines = [f"<{number}> {label}: {state.get('value') or ''}   (`set {number} <text>`)"]
        else:
            lines = [f"<{number}> {label}: ({kind} is not supported in the console)"]
        if block.get("hint"):
            lines.append(INDENT * 3 + text_of(block["hint"], {}))
        if block["block_id"] in self.errors:
            lines.append(INDENT * 3 + "! " + self.errors[block["block_id"]])
        return lines

    async def set(self, number: int, typed: str, suggest: Suggest) -> str | None:
        """Changes input ``number``; returns a problem to show, or None."""
        inputs = self.inputs
        if not 1 <= number <= len(inputs):
            return f"This dialog has no input {number}." if inputs else "This dialog has no inputs."
        block = inputs[number - 1]
        element, state = block["element"], self._state(block)
        options = element.get("options") or []
        kind = element["type"]
        if kind == "checkboxes":
            if len(options) == 1 and typed.lower() in _ON | _OFF:
                state["selected_options"] = options if typed.lower() in _ON else []
                return None
            picked = [_pick(options, part.strip()) for part in typed.split(",") if part.strip()]
            if None in picked:
                return f"Choose options by number (1 to {len(options)}), separated by commas."
            state["selected_options"] = picked
        elif kind in ("radio_buttons", "static_select"):
            option = _pick(options, typed)
            if option is None:
                return f"Choose one of the options by number (1 to {len(options)}) or by its words."
            state["selected_option"] = option
        elif kind == "external_select":
            found = await suggest(block, typed)
            option = _pick(found, typed) or (found[0] if len(found) == 1 else None)
            if option is None:
                names = ", ".join(_option_text(o) for o in found[:10])
                return f"Several matches: {names}. Type more of the name." if found else f"Nothing matches “{typed}”."
            state["selected_option"] = option
        elif kind == "plain_text_input":
            state["value"] = typed
        else:
            return f"The console cannot fill a {kind}."
        self.errors.pop(block["block_id"], None)
        return None


class Dialogs:
    """The open modal's view stack (top last)."""

    def __init__(self) -> None:
        self.stack: list[Dialog] = []

    @property
    def top(self) -> Dialog | None:
        return self.stack[-1] if self.stack else None

    def open(self, view: dict) -> Dialog:
        self.stack = [Dialog(view)]
        return self.stack[-1]

    def push(self, view: dict) -> Dialog:
        self.stack.append(Dialog(view))
        return self.stack[-1]

    def replace(self, view_id: str, view: dict) -> Dialog | None:
        """A views.update or an `update` response action: same id, new content."""
        for index, dialog in enumerate(self.stack):
            if dialog.id == view_id:
                self.stack[index] = Dialog(view | {"id": view_id})
                return self.stack[index]
        return None

    def close_top(self) -> list[str]:
        """Closes the top view (all of them when it says clear_on_close); returns the closed ids."""
        if not self.stack:
            return []
        closing = self.stack if self.stack[-1].view.get("clear_on_close") else self.stack[-1:]
        self.stack = self.stack[: len(self.stack) - len(closing)]
        return [d.id for d in closing]

    def close_all(self) -> list[str]:
        closed, self.stack = [d.id for d in self.stack], []
        return closed


def initial_values(view: dict) -> dict:
    """The state Slack sends for inputs the user left as the bot set them."""
    values: dict = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = block["element"]
        state: dict = {"type": element["type"]}
        if element["type"] in ("checkboxes", "multi_static_select"):
            state["selected_options"] = element.get("initial_options") or []
        elif element["type"] == "plain_text_input":
            state["value"] = element.get("initial_value")
        else:
            state["selected_option"] = element.get("initial_option")
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def _option_text(option: dict) -> str:
    words = text_of(option.get("text"), {})
    if option.get("description"):
        words += " " + text_of(option["description"], {})
    return words


def _pick(options: list[dict], typed: str) -> dict | None:
    """An option by its number, its value, or (case-insensitively) its words or their start."""
    if typed.isdigit():
        index = int(typed)
        return options[index - 1] if 1 <= index <= len(options) else None
    wanted = typed.casefold()
    for match in (lambda o: _option_text(o).casefold() == wanted or str(o.get("value")).casefold() == wanted,
                  lambda o: _option_text(o).casefold().startswith(wanted)):
        found = [o for o in options if match(o)]
        if len(found) == 1:
            return found[0]
    return None
