"""The console's verbs: what the user types, turned into what Slack and a browser would do."""

from __future__ import annotations

import shlex
import uuid

from bot.console import sandbox_verbs
from bot.console.blocks import Button, Buttons
from bot.console.browser import Browser
from bot.console.dialogs import Dialogs
from bot.console.posts import VIEW_KINDS, render_post, render_reply
from bot.console.sandbox import ORGANIZATION, Sandbox
from bot.console.slack_user import CHANNEL, Answer, SlackUser
from bot.console.terminal import Terminal
from bot.console.timeline import Post, Timeline

HELP = """\
Console commands:
  /zoomcal [text]     the slash command, as you would type it in Slack (try `/zoomcal help`)
  click N [yes|no]    press button [N]; a button that asks to confirm wants `yes` or `no`
  yes | no            answer the confirmation of the last click
  open N              open link [N] (the consent link) in the console's browser
  accept | decline    press Accept or Cancel on Microsoft's consent page
  set N VALUE         change input <N> of the open dialog (an option number, on/off, or a name)
  submit              submit the open dialog;  cancel: close it
  show                show the open dialog again
  home                open the bot's App Home tab
  people              the sandbox's Zoom users: whom to `/zoomcal check`, and what it answers
  as EMAIL            act as another sandbox user in Slack (`as cara@contoso.com`, `as you` to come back)
  revoke | restore    as Contoso's Entra admin: delete zoomcal's app (its consent), or consent again
  health              run zoomcal's health check of the active scopes now, and show what the bot did
  help                this text;  quit: leave (so do Ctrl-D, the end of input, and Ctrl-C)"""


class Session:
    def __init__(self, sandbox: Sandbox, user: SlackUser, browser: Browser, terminal: Terminal):
        self.sandbox = sandbox
        self.user = user
        self.browser = browser
        self.say = terminal.say
        self.timeline = Timeline(sandbox)
        self.dialogs = Dialogs()
        self.buttons = Buttons()
        self.confirming: Button | None = None

    @property
    def users(self) -> dict[str, str]:
        return {uid: str(u.get("name") or uid) for uid, u in self.sandbox.slack.users.items()}

    async def handle(self, line: str) -> bool:
        """Runs one command line; False when the user wants to leave."""
        if line.startswith("/"):
            command, _, text = line.partition(" ")
            if command != "/zoomcal":
                self.say(f"Only /zoomcal is installed in this sandbox workspace, not {command}.")
                return True
            await self._command(text.strip())
            return True
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        verb, args = words[0].lower(), words[1:]
        if verb in ("quit", "exit"):
            return False
        handler = {
            "help": self._help, "click": self._click, "yes": self._yes, "no": self._no, "open": self._open,
            "accept": self._accept, "decline": self._decline, "set": self._set, "submit": self._submit,
            "cancel": self._cancel, "close": self._cancel, "show": self._show, "home": self._home,
            "people": self._people, "as": self._as, "revoke": self._revoke, "restore": self._restore, "health": self._health,
        }.get(verb)
        if handler is None:
            self.say(f"Unknown command “{words[0]}”. Type `help` for the console's commands, "
                     "or `/zoomcal help` for the bot's.")
            return True
        await handler(args)
        return True

    # Slack ---------------------------------------------------------------------------------------

    async def _command(self, text: str) -> None:
        self.confirming = None
        answer = await self.user.command("/zoomcal", text)
        await self._after(answer)

    async def _click(self, args: list[str]) -> None:
        button = self._button(args, "click")
        if button is None:
            return
        if button.url:
            await self._visit(button)
            return
        decision = args[1].lower() if len(args) > 1 else None
        if button.confirm and decision not in ("yes", "no"):
            self.confirming = button
            self._ask(button.confirm)
            return
        if decision == "no":
            self.say("Cancelled: nothing was sent to the bot.")
            return
        await self._press(button)

    def _ask(self, confirm: dict) -> None:
        """Slack's confirm dialog, before the click reaches the bot."""

        def words(key: str, default: str) -> str:
            return str((confirm.get(key) or {}).get("text") or default)

        self.say(f"+-- Slack asks: {words('title', 'Are you sure?')}", f"| {words('text', '')}",
                 f"+-- `yes` = {words('confirm', 'Yes')} · `no` = {words('deny', 'Cancel')}")

    async def _yes(self, _args: list[str]) -> None:
        button, self.confirming = self.confirming, None
        if button is None:
            self.say("Nothing is waiting for a confirmation.")
            return
        await self._press(button)

    async def _no(self, _args: list[str]) -> None:
        if self.confirming is None:
            self.say("Nothing is waiting for a confirmation.")
            return
        self.confirming = None
        self.say("Cancelled: nothing was sent to the bot.")

    async def _press(self, button: Button) -> None:
        self.confirming = None
        origin = button.origin
        answer = await self.user.click(button.element, view=origin.get("view"), message=origin.get("message"))
        await self._after(answer)

    async def _home(self, _args: list[str]) -> None:
        await self._after(await self.user.open_home())

    # dialogs -------------------------------------------------------------------------------------

    async def _submit(self, _args: list[str]) -> None:
        dialog = self.dialogs.top
        if dialog is None:
            self.say("No dialog is open.")
            return
        if not dialog.can_submit:
            self.say("This dialog has no submit button; type `cancel` to close it.")
            return
        answer = await self.user.submit(dialog.view, dialog.values)
        if answer.status == 200:
            self._respond(answer.json())
        await self._after(answer, dialog_changed=True)

    def _respond(self, body: dict) -> None:
        """What Slack does with a view_submission ack's response_action."""
        views = self.sandbox.slack.views
        top = self.dialogs.top
        action = body.get("response_action")
        if action == "errors":
            top.errors = {str(k): str(v) for k, v in (body.get("errors") or {}).items()}
        elif action == "update" and isinstance(body.get("view"), dict):
            views[top.id] = body["view"] | {"id": top.id}
            self.dialogs.replace(top.id, body["view"])
        elif action == "push" and isinstance(body.get("view"), dict):
            pushed = body["view"] | {"id": f"V{uuid.uuid4().hex[:10].upper()}", "team_id": self.user.team_id}
            views[pushed["id"]] = pushed  # now the bot may views.update it, as in Slack
            self.dialogs.push(pushed)
        else:  # an empty ack closes the view; `clear` closes them all
            closed = self.dialogs.close_all() if action == "clear" else self.dialogs.close_top()
            for view_id in closed:
                views.pop(view_id, None)

    async def _cancel(self, _args: list[str]) -> None:
        if self.dialogs.top is None:
            self.say("No dialog is open.")
            return
        closed = self.dialogs.close_top()
        for view_id in closed:
            self.sandbox.slack.views.pop(view_id, None)  # closed in Slack: the bot can no longer update it
        self.buttons.close_views(closed)
        self._show_dialog(Buttons(), closed_note=True)

    async def _set(self, args: list[str]) -> None:
        dialog = self.dialogs.top
        if dialog is None:
            self.say("No dialog is open.")
            return
        if len(args) < 2 or not args[0].isdigit():
            self.say("Usage: set N VALUE   (N is the <number> of an input in the dialog)")
            return

        async def suggest(block: dict, typed: str) -> list[dict]:
            return await self.user.suggest(dialog.view, block["block_id"], block["element"]["action_id"], typed)

        problem = await dialog.set(int(args[0]), " ".join(args[1:]), suggest)
        self.say(problem or "\n".join(dialog.input_lines(int(args[0]))))

    async def _show(self, _args: list[str]) -> None:
        if self.dialogs.top is None and self.browser.page is None:
            self.say("No dialog is open.")
            return
        if self.dialogs.top is not None:
            self._show_dialog(Buttons())
        else:
            self.say(*self.browser.page.render())

    # the browser ----------------------------------------------------------------------------------

    async def _open(self, args: list[str]) -> None:
        button = self._button(args, "open")
        if button is None:
            return
        if not button.url:
            self.say(f"[{args[0]}] is a button ({button.label}), not a link: type `click {args[0]}`.")
            return
        await self._visit(button)

    async def _visit(self, button: Button) -> None:
        if button.element.get("action_id"):
            # Slack tells the app about a link button's click too (zoomcal just acknowledges it).
            origin = button.origin
            await self.user.click(button.element, view=origin.get("view"), message=origin.get("message"))
        page = await self.browser.open(button.url)
        self.say(*page.render())
        if page.form and page.form.buttons:
            self.say(f"Type `accept` or `decline` to answer as the Microsoft 365 admin of {ORGANIZATION}.")
        await self._after(None, quiet_if_nothing=True)

    async def _accept(self, _args: list[str]) -> None:
        await self._decide("accept")

    async def _decline(self, _args: list[str]) -> None:
        await self._decide("cancel")

    async def _decide(self, label: str) -> None:
        form = self.browser.page.form if self.browser.page else None
        if form is None or label not in form.buttons:
            self.say("No consent page is open: `open N` a consent link first.")
            return
        redirected, page = await self.browser.press(label)
        self.say(f"(you press {label.title()})")
        if redirected:
            self.say(f"Microsoft redirects your browser to {redirected.split('?')[0]}")
        if page is not None:
            self.say(*page.render())
        await self._after(None)

    # the sandbox outside Slack ------------------------------------------------------------------------

    async def _people(self, _args: list[str]) -> None:
        self.say(*sandbox_verbs.people(self.sandbox))

    async def _as(self, args: list[str]) -> None:
        self.say(*sandbox_verbs.act_as(self.sandbox, self.user, args[0] if args else ""))

    async def _revoke(self, _args: list[str]) -> None:
        self.say(*sandbox_verbs.revoke(self.sandbox))

    async def _restore(self, _args: list[str]) -> None:
        self.say(*sandbox_verbs.restore(self.sandbox))

    async def _health(self, _args: list[str]) -> None:
        self.say(*await sandbox_verbs.health(self.sandbox))
        await self._after(None)

    # showing what the bot did ------------------------------------------------------------------------

    async def _after(
        self, answer: Answer | None, *, dialog_changed: bool = False, quiet_if_nothing: bool = False
    ) -> None:
        """Waits for the bot to finish, then shows everything it did in Slack."""
        if answer is not None and answer.status != 200:
            self.say(f"The bot answered Slack with HTTP {answer.status}: {answer.body[:200] or '(empty)'}")
        settled = await self.timeline.settle()
        shown = Buttons()
        lines: list[str] = []
        if answer is not None and answer.json().get("text"):  # an answer inside the ack itself
            lines += render_reply("zoomcal (only visible to you):", answer.json(), self.users, shown, CHANNEL)
        for post in self.timeline.new_posts():
            if post.kind in VIEW_KINDS:
                self._track(post)
                dialog_changed = dialog_changed or post.kind != "refused"
            else:
                lines += render_post(post, self.users, shown)
        if lines:
            self.say(*lines)
        if dialog_changed:
            self._show_dialog(shown, closed_note=self.dialogs.top is None)
        if not settled:
            self.say("(the bot is still working; its answers will show after your next command)")
        elif not lines and not dialog_changed and not quiet_if_nothing:
            self.say("(the bot showed nothing in Slack)")
        if lines or dialog_changed:
            # Numbers name what the latest answer showed: a replaced message's buttons are gone with it.
            self.buttons = shown

    def _track(self, post: Post) -> None:
        """Keeps the modal stack as Slack would after a views.* call (a refused call changes nothing)."""
        if post.kind == "opened":
            self.dialogs.open(post.body)
        elif post.kind == "pushed":
            self.dialogs.push(post.body)
        elif post.kind == "updated":
            self.dialogs.replace(post.where, post.body)

    def _show_dialog(self, shown: Buttons, *, closed_note: bool = False) -> None:
        dialog = self.dialogs.top
        if dialog is None:
            if closed_note:
                self.say("(the dialog is closed)")
            return
        self.say(*dialog.render(self.users, shown))
        if shown.items:
            self.buttons = shown

    def _button(self, args: list[str], verb: str) -> Button | None:
        if not args or not args[0].isdigit():
            self.say(f"Usage: {verb} N   (N is the [number] shown beside a button)")
            return None
        button = self.buttons.get(int(args[0]))
        if button is None:
            self.say(self.buttons.missing(int(args[0])))
        return button

    async def _help(self, _args: list[str]) -> None:
        self.say(HELP)
