"""Starting the sandbox, the read-eval-print loop, and shutting everything down."""

from __future__ import annotations

import aiohttp

from bot.clients.http import client_session
from bot.console.browser import Browser
from bot.console.sandbox import (
    GROUPS,
    ORGANIZATION,
    USER,
    USER_EMAIL,
    USER_NAME,
    Sandbox,
)
from bot.console.session import Session
from bot.console.slack_user import SlackUser
from bot.console.terminal import Terminal

BANNER = f"""\
zoomcal console: the real bot, with a sandbox Slack, Zoom and Microsoft (nothing leaves this machine).
You are @{USER_NAME} ({USER_EMAIL}), Owner of the sandbox Zoom account. Zoom groups: {", ".join(GROUPS)}.
Microsoft 365 organization: {ORGANIZATION}. Try:
  /zoomcal help
  /zoomcal enable group Sales     then `submit`, `open 1` (the consent link) and `accept`
  people                          the Zoom users to try `/zoomcal check <email>` on
  as gus@contoso.com              act as Sales' group admin (`as cara@contoso.com`: a custom role; `as you`)
  revoke, health, restore, health Contoso deletes the app: Sales fails its health check, then recovers
  /zoomcal status group Sales
  /zoomcal disable group Sales    then `click 1` and `yes`
Type `help` for the console's own commands, `quit` to leave."""


async def run_console(terminal: Terminal | None = None, *, credential: str = "secret") -> int:
    terminal = terminal or Terminal()
    sandbox = await Sandbox(credential).start()
    try:
        # The console's browser trusts the sandbox CA, as an admin's browser trusts Microsoft's.
        async with client_session(sandbox.ca_path) as browser_http, aiohttp.ClientSession() as slack_http:
            user = SlackUser(slack_http, sandbox.url, sandbox.signing_secret, sandbox.slack, USER)
            session = Session(sandbox, user, Browser(browser_http), terminal)
            await session.timeline.settle(timeout=2.0)
            session.timeline.skip()
            terminal.say(BANNER, f"(the bot logs to {sandbox.log_path})")
            terminal.start()
            while (line := await terminal.read()) is not None:
                if not await session.handle(line):
                    break
    finally:
        terminal.close()  # first: the terminal is the user's again even if stopping the sandbox is slow
        await sandbox.close()
    return 0
