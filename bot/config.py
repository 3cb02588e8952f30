"""Settings: read once from the environment into one typed, immutable object.

Nothing else in zoomcal reads ``os.environ``; the CLI hands the environment here.
Every problem is collected so an operator sees them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography.fernet import Fernet

from bot.clients import credentials as creds
from bot.clients.credentials import CredentialFileError, MicrosoftCredential


class Purpose(Enum):
    """What the settings are for: each needs a different set of variables."""

    SERVE = "serve"
    SOCKET_MODE = "socket-mode"
    DATABASE = "database"
    KEYS = "keys"  # `keys rotate`: the database and the encryption keys, nothing else


class SettingsError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


MICROSOFT_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    }
)

_SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_SLACK_TEAM_ID = re.compile(r"^T[A-Z0-9]{2,}$")
_SLACK_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$")


@dataclass(frozen=True)
class Settings:
    slack_signing_secret: str = field(repr=False)
    slack_bot_token: str | None = field(repr=False)
    slack_client_id: str | None
    slack_client_secret: str | None = field(repr=False)
    slack_app_token: str | None = field(repr=False)
    slack_api_url: str
    public_url: str
    database_url: str = field(repr=False)  # may embed a password
    encryption_keys: tuple[str, ...] = field(repr=False)
    admins: frozenset[str]
    slack_teams: tuple[str, ...]  # in order: the first is the home team (multi-workspace mode)
    audit_channel: str | None
    consent_ttl: int
    ca_bundle: Path | None
    zoom_account_id: str
    zoom_client_id: str
    zoom_client_secret: str = field(repr=False)
    zoom_api_url: str
    zoom_oauth_url: str
    ms_client_id: str
    ms_client_secret: str = field(repr=False)  # "" unless the credential is a client secret
    ms_tenant: str
    ms_authority_host: str
    ms_graph_url: str
    host: str = "127.0.0.1"
    port: int = 3000
    log_format: str = "json"  # json | text
    health_interval: int = 21600  # seconds between health checks of each scope; 0: off
    ms_credential: MicrosoftCredential | None = field(default=None, repr=False)  # exactly one of three kinds
    group_admins: bool = False  # ZOOMCAL_GROUP_ADMINS: a Zoom group's own group admins may manage that group

    @property
    def multi_workspace(self) -> bool:
        """Slack OAuth installs into many workspaces, instead of one SLACK_BOT_TOKEN."""
        return bool(self.slack_client_id and self.slack_client_secret and not self.slack_bot_token)

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/microsoft/callback"

    @property
    def authority_is_microsoft(self) -> bool:
        return (urlsplit(self.ms_authority_host).hostname or "") in MICROSOFT_AUTHORITY_HOSTS

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, so logging can redact them."""
        values = (
            self.slack_signing_secret,
            self.slack_bot_token,
            self.slack_client_secret,
            self.slack_app_token,
            self.zoom_client_secret,
            self.ms_client_secret,
            *(self.ms_credential.secrets if self.ms_credential else ()),
            *self.encryption_keys,
            *_password(self.database_url),
        )
        return tuple(v for v in values if v)


def _password(url: str) -> tuple[str, ...]:
    """The database password, as written in the URL and percent-decoded (a driver may log either)."""
    try:
        password = urlsplit(url).password
    except ValueError:  # an unparsable URL: load_settings reports the variable
        return ()
    return (password, unquote(password)) if password else ()


class _Reader:
    """Reads and validates variables, collecting one problem line per variable."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = (self.env.get(name) or "").strip()
        if value:
            return value
        if required:
            self.problems.append(f"{name}: required but not set")
        return default

    def url(self, name: str, default: str, *, https_only: bool = False) -> str:
        value = (self.text(name) or default).rstrip("/")
        parts = urlsplit(value)
        schemes = ("https",) if https_only else ("http", "https")
        if parts.scheme not in schemes or not parts.hostname:
            want = "an https URL" if https_only else "an http or https URL"
            self.problems.append(f"{name}: must be {want}, got {value!r}")
        return value

    def integer(self, name: str, default: int, *, low: int, high: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"{name}: must be a whole number, got {raw!r}")
            return default
        if not low <= value <= high:
            self.problems.append(f"{name}: must be between {low} and {high}, got {value}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in ("true", "1", "yes", "on"):
            return True
        if raw.lower() in ("false", "0", "no", "off"):
            return False
        self.problems.append(f"{name}: must be true or false, got {raw!r}")
        return default

    def id_list(self, name: str, pattern: re.Pattern[str], what: str) -> frozenset[str]:
        return frozenset(self.ids(name, pattern, what))

    def ids(self, name: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        """The comma-separated IDs in their given order, each once."""
        items = [i.strip() for i in (self.text(name) or "").split(",") if i.strip()]
        bad = [i for i in items if not pattern.match(i)]
        if bad:
            self.problems.append(f"{name}: not {what}: {', '.join(bad)}")
        return tuple(dict.fromkeys(i for i in items if pattern.match(i)))

    def fernet_keys(self, name: str, *, required: bool) -> tuple[str, ...]:
        raw = self.text(name, required=required) or ""
        keys = tuple(k.strip() for k in raw.split(",") if k.strip())
        for index, key in enumerate(keys, start=1):
            try:
                Fernet(key)
            except (ValueError, TypeError):
                # Never echo the key itself: it is a secret.
                self.problems.append(
                    f"{name}: key {index} is not a valid Fernet key "
                    "(generate one with `zoomcal keys generate`)"
                )
        return keys


def load_settings(env: Mapping[str, str], purpose: Purpose = Purpose.SERVE) -> Settings:
    """Build Settings from ``env`` or raise SettingsError listing every problem."""
    r = _Reader(env)
    serving = purpose not in (Purpose.DATABASE, Purpose.KEYS)
    socket_mode = purpose is Purpose.SOCKET_MODE

    signing_secret = r.text("SLACK_SIGNING_SECRET", required=serving and not socket_mode)
    bot_token = r.text("SLACK_BOT_TOKEN")
    client_id = r.text("SLACK_CLIENT_ID")
    client_secret = r.text("SLACK_CLIENT_SECRET")
    app_token = r.text("SLACK_APP_TOKEN", required=socket_mode)
    if (client_id is None) != (client_secret is None):
        r.problems.append("SLACK_CLIENT_ID, SLACK_CLIENT_SECRET: set both (multi-workspace install) or neither")
    if socket_mode and not bot_token:
        # Socket Mode apps serve no /slack/* routes, so no OAuth install: one workspace, one token.
        r.problems.append("SLACK_BOT_TOKEN: required in Socket Mode")
    elif serving and bot_token and client_id:
        r.problems.append(
            "SLACK_BOT_TOKEN: set it (one workspace) or SLACK_CLIENT_ID/SLACK_CLIENT_SECRET (multi-workspace), "
            "not both"
        )
    elif serving and not bot_token and not client_id:
        r.problems.append(
            "SLACK_BOT_TOKEN: required (one workspace), "
            "or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (multi-workspace)"
        )
    slack_teams = r.ids("ZOOMCAL_SLACK_TEAMS", _SLACK_TEAM_ID, "Slack team IDs (like T012ABCDEF)")
    multi = purpose is Purpose.SERVE and bool(client_id and client_secret) and not bot_token
    named_bad = any(p.startswith("ZOOMCAL_SLACK_TEAMS:") for p in r.problems)  # one line per variable
    if multi and not slack_teams and not named_bad:
        # Without it, any workspace could install zoomcal and manage the Zoom account.
        r.problems.append(
            "ZOOMCAL_SLACK_TEAMS: required in multi-workspace mode: the Slack team IDs allowed to install "
            "and use zoomcal, comma-separated (like T012ABCDEF)"
        )
    if app_token and not app_token.startswith("xapp-"):
        r.problems.append("SLACK_APP_TOKEN: must be an app-level token starting with xapp-")

    database_url = r.text("ZOOMCAL_DATABASE_URL", "sqlite+aiosqlite:///zoomcal.db")
    if not re.match(r"^(sqlite\+aiosqlite|postgresql\+asyncpg)://", database_url or ""):
        r.problems.append(
            "ZOOMCAL_DATABASE_URL: must start with sqlite+aiosqlite:// or postgresql+asyncpg://"
        )

    ca_bundle_raw = r.text("ZOOMCAL_CA_BUNDLE")
    ca_bundle = Path(ca_bundle_raw) if ca_bundle_raw else None
    if ca_bundle is not None and not ca_bundle.is_file():
        r.problems.append(f"ZOOMCAL_CA_BUNDLE: no such file: {ca_bundle}")

    ms_tenant = r.text("MS_TENANT", "organizations") or "organizations"
    if not _TENANT.match(ms_tenant):
        r.problems.append(f"MS_TENANT: must be a tenant id, domain or 'organizations', got {ms_tenant!r}")

    ms_credential = _ms_credential(r) if serving else None

    settings = Settings(
        slack_signing_secret=signing_secret or "",
        slack_bot_token=bot_token,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_app_token=app_token,
        slack_api_url=r.url("SLACK_API_URL", "https://slack.com/api/"),
        public_url=r.url("ZOOMCAL_PUBLIC_URL", "http://localhost:3000"),
        database_url=database_url or "",
        encryption_keys=r.fernet_keys("ZOOMCAL_ENCRYPTION_KEY", required=serving or purpose is Purpose.KEYS),
        admins=r.id_list("ZOOMCAL_ADMINS", _SLACK_USER_ID, "Slack user IDs (like U012ABCDEF)"),
        slack_teams=slack_teams,
        audit_channel=_one_channel(r),
        consent_ttl=r.integer("ZOOMCAL_CONSENT_TTL", 3600, low=60, high=30 * 24 * 3600),
        ca_bundle=ca_bundle,
        zoom_account_id=r.text("ZOOM_ACCOUNT_ID", "", required=serving) or "",
        zoom_client_id=r.text("ZOOM_CLIENT_ID", "", required=serving) or "",
        zoom_client_secret=r.text("ZOOM_CLIENT_SECRET", "", required=serving) or "",
        zoom_api_url=r.url("ZOOM_API_URL", "https://api.zoom.us/v2"),
        zoom_oauth_url=r.url("ZOOM_OAUTH_URL", "https://zoom.us/oauth/token"),
        ms_client_id=r.text("MS_CLIENT_ID", "", required=serving) or "",
        ms_client_secret=ms_credential.secret or "" if ms_credential else "",
        ms_credential=ms_credential,
        ms_tenant=ms_tenant,
        ms_authority_host=r.url(
            "MS_AUTHORITY_HOST", "https://login.microsoftonline.com", https_only=True
        ),
        ms_graph_url=r.url("MS_GRAPH_URL", "https://graph.microsoft.com/v1.0"),
        host=r.text("ZOOMCAL_HOST", "127.0.0.1") or "127.0.0.1",
        port=r.integer("ZOOMCAL_PORT", 3000, low=0, high=65535),
        log_format=_log_format(r),
        health_interval=_health_interval(r),
        group_admins=r.flag("ZOOMCAL_GROUP_ADMINS", False),
    )
    if r.problems:
        raise SettingsError(r.problems)
    return settings


def _ms_credential(r: _Reader) -> MicrosoftCredential | None:
    """Exactly one of MS_CLIENT_SECRET, MS_CLIENT_CERTIFICATE, MS_CLIENT_ASSERTION_FILE; with none,
    AZURE_FEDERATED_TOKEN_FILE (AKS workload identity) serves as MS_CLIENT_ASSERTION_FILE."""
    given = [name for name in creds.VARIABLES if r.text(name)]
    if len(given) > 1:
        r.problems.append(f"{', '.join(given)}: set exactly one Microsoft credential, not {len(given)}")
        return None
    if not given:
        aks = r.text(creds.AKS_TOKEN_FILE)
        if aks is None:
            r.problems.append(
                f"{creds.SECRET}: required but not set; or set {creds.CERTIFICATE} (a certificate PEM file) or "
                f"{creds.ASSERTION_FILE} (a federated token file) instead: exactly one"
            )
            return None
        return _credential_file(r, creds.AKS_TOKEN_FILE, aks, MicrosoftCredential.from_assertion_file)
    name = given[0]
    value = r.text(name) or ""
    if name == creds.SECRET:
        return MicrosoftCredential.from_secret(value)
    if name == creds.CERTIFICATE:
        return _credential_file(r, name, value, lambda path, _name: MicrosoftCredential.from_certificate(path))
    return _credential_file(r, name, value, MicrosoftCredential.from_assertion_file)


def _credential_file(r: _Reader, name: str, value: str, load) -> MicrosoftCredential | None:
    try:
        return load(Path(value), name)
    except CredentialFileError as why:  # says what is wrong, never what the file holds
        r.problems.append(f"{name}: {value} {why}")
        return None


def _log_format(r: _Reader) -> str:
    value = (r.text("ZOOMCAL_LOG_FORMAT", "json") or "json").lower()
    if value not in ("json", "text"):
        r.problems.append(f"ZOOMCAL_LOG_FORMAT: must be json or text, got {value!r}")
    return value


def _health_interval(r: _Reader) -> int:
    """0 turns health checks off; otherwise at least 10 seconds (each check asks Microsoft twice)."""
    raw = r.text("ZOOMCAL_HEALTH_INTERVAL")
    if raw is None:
        return 21600
    if not re.fullmatch(r"\d{1,7}", raw) or not (raw == "0" or 10 <= int(raw) <= 7 * 24 * 3600):
        r.problems.append(f"ZOOMCAL_HEALTH_INTERVAL: must be 0 (off) or seconds from 10 to 604800, got {raw!r}")
        return 21600
    return int(raw)


def _one_channel(r: _Reader) -> str | None:
    channels = r.id_list("ZOOMCAL_AUDIT_CHANNEL", _SLACK_CHANNEL_ID, "a Slack channel ID (like C012ABCDEF)")
    if len(channels) > 1:
        r.problems.append("ZOOMCAL_AUDIT_CHANNEL: give one channel ID")
    return next(iter(channels), None)
