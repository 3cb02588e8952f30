"""The sandbox behind `zoomcal console`: fake Slack, Zoom and Microsoft, and the real bot in-process."""

from __future__ import annotations

import logging
import secrets
import shutil
import socket
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

from aiohttp import web

from bot import logs
from bot.app import RUNTIME, Runtime, create_web_app
from bot.config import Purpose, load_settings
from bot.crypto import generate_key
from bot.sandbox import FakeMicrosoft, FakeSlack, FakeZoom, make_tls
from bot.sandbox.microsoft import Mailbox, make_certificate
from bot.sandbox.people import SandboxPerson, add_deputies, add_people, people
from bot.sandbox.settings import sandbox_environment

TEAM = "T0SANDBOX"
USER = "UCONSOLE1"  # the person at the keyboard
USER_NAME = "you"
USER_EMAIL = "you@contoso.com"
AUDIT_CHANNEL = "C0AUDIT01"
GROUPS = ("Sales", "Engineering", "Support")
PEOPLE_GROUP = "Sales"  # holds the sandbox people (bot.sandbox.people): two of them on a foreign domain
ORGANIZATION = "Contoso"
# The tenant verifies the console user's domain too (as real tenants verify theirs), so the domain
# check after consent flags only the sandbox people's foreign domain (fabrikam.com), not you@contoso.com.
DOMAIN = "contoso.com"
TENANT_DOMAINS = (DOMAIN, "contoso.onmicrosoft.com")


class Sandbox:
    """Everything the console talks to, on 127.0.0.1 free ports, with its files in one temp dir."""

    def __init__(self, credential: str = "secret") -> None:
        """``credential``: zoomcal's own Microsoft credential: a client secret, a certificate (a PEM
        file the sandbox makes and uploads to its Entra app), or a federated token file its issuer writes."""
        if credential not in ("secret", "certificate", "federated"):
            raise ValueError(f"no such credential kind: {credential}")
        self.credential = credential
        self.workdir = Path(tempfile.mkdtemp(prefix="zoomcal-console-"))
        self.log_path = self.workdir / "zoomcal.log"
        self._stack = AsyncExitStack()

    async def start(self) -> Sandbox:
        try:
            await self._start()
        except BaseException:
            await self.close()
            raise
        return self

    async def _start(self) -> None:
        tls = make_tls(self.workdir)
        token = "xoxb-sandbox-" + secrets.token_hex(8)
        self.slack = await self._stack.enter_async_context(FakeSlack(bot_token=token, team_id=TEAM))
        self.zoom = await self._stack.enter_async_context(FakeZoom())
        self.microsoft = await self._stack.enter_async_context(FakeMicrosoft(ssl_context=tls.server_context))
        self.ca_path = tls.ca_path
        self.slack.add_user(USER, USER_EMAIL, USER_NAME)
        self.zoom.add_user(USER_EMAIL, role_name="Owner")
        self.zoom.add_groups(GROUPS)
        self.zoom.add_managed_domain(DOMAIN)  # Zoom's associated domain, which the tenant verified
        self.tenant_id = self.microsoft.add_tenant(display_name=ORGANIZATION, domains=TENANT_DOMAINS)
        self.microsoft.add_user(self.tenant_id, USER_EMAIL, Mailbox.ENABLED)
        add_people(self.zoom, self.microsoft, self.tenant_id, DOMAIN, PEOPLE_GROUP)
        add_deputies(self.zoom, self.slack, DOMAIN, PEOPLE_GROUP)

        # Bind first, so ZOOMCAL_PUBLIC_URL (Microsoft's redirect target) names the port the bot serves on.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        self.signing_secret = secrets.token_hex(16)
        self.settings = load_settings(self._env(), Purpose.SERVE)
        self._log_to_file(self.settings.secrets)
        self.app = create_web_app(self.settings)
        runner = web.AppRunner(self.app, access_log_class=logs.AccessLogger)
        await runner.setup()  # runs the bot's startup: migrations, services, job queue
        self._stack.push_async_callback(runner.cleanup)
        await web.SockSite(runner, listener).start()

    def _env(self) -> dict[str, str]:
        return sandbox_environment(
            self.slack, self.zoom, self.microsoft, signing_secret=self.signing_secret, public_url=self.url,
            database_url=f"sqlite+aiosqlite:///{self.workdir / 'zoomcal.db'}", encryption_key=generate_key(),
            ca_path=self.ca_path,
        ) | {"ZOOMCAL_AUDIT_CHANNEL": AUDIT_CHANNEL, "ZOOMCAL_GROUP_ADMINS": "true"} | self._credential_env()  # `as gus@…`

    def _credential_env(self) -> dict[str, str]:
        if self.credential == "certificate":
            path = self.workdir / "zoomcal-entra-app.pem"
            self.microsoft.add_certificate(make_certificate(path))
            return {"MS_CLIENT_SECRET": "", "MS_CLIENT_CERTIFICATE": str(path)}
        if self.credential == "federated":
            path = self.workdir / "azure-identity-token"
            self.microsoft.write_federated_token(path, lifetime=24 * 3600)
            return {"MS_CLIENT_SECRET": "", "MS_CLIENT_ASSERTION_FILE": str(path)}
        return {}

    def _log_to_file(self, redact: tuple[str, ...]) -> None:
        # The bot logs as in production, but into a file: the terminal is for the conversation.
        self._log_file = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        logs.configure(redact, stream=self._log_file)

    @property
    def runtime(self) -> Runtime:
        return self.app[RUNTIME]

    def people(self) -> list[SandboxPerson]:
        """The sandbox's Zoom users, with what `/zoomcal check` answers for each once their scope is active."""
        return people(self.zoom, self.microsoft, self.tenant_id)

    @property
    def consented(self) -> bool:
        """Whether zoomcal's Entra app is in the sandbox tenant (False after ``revoke_consent``)."""
        return not self.microsoft.tenants[self.tenant_id].removed

    def revoke_consent(self) -> None:
        """The tenant's Entra admin deletes the app's enterprise application: tokens are refused."""
        self.microsoft.revoke_consent(self.tenant_id, remove_app=True)

    def restore_consent(self) -> None:
        """The tenant's Entra admin grants the app's admin consent again."""
        self.microsoft.restore_consent(self.tenant_id)

    def requests_seen(self) -> int:
        """How many requests the fakes have received: any change means the bot is still at work."""
        return len(self.slack.requests) + len(self.zoom.requests) + len(self.microsoft.requests)

    async def close(self) -> None:
        try:
            await self._stack.aclose()
        finally:
            logging.getLogger().handlers.clear()
            if getattr(self, "_log_file", None) is not None:
                self._log_file.close()
            shutil.rmtree(self.workdir, ignore_errors=True)
