"""The environment that points the bot at the sandbox servers (for `zoomcal console` and the tests)."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.microsoft import FakeMicrosoft
from bot.sandbox.slack import FakeSlack
from bot.sandbox.zoom import FakeZoom


def sandbox_environment(
    slack: FakeSlack, zoom: FakeZoom, microsoft: FakeMicrosoft, *, signing_secret: str, public_url: str,
    database_url: str, encryption_key: str, ca_path: Path,
) -> dict[str, str]:
    return {
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_API_URL": f"{slack.url}/api/",
        "ZOOMCAL_PUBLIC_URL": public_url,
        "ZOOMCAL_DATABASE_URL": database_url,
        "ZOOMCAL_ENCRYPTION_KEY": encryption_key,
        "ZOOMCAL_CA_BUNDLE": str(ca_path),
        "ZOOM_ACCOUNT_ID": zoom.account_id,
        "ZOOM_CLIENT_ID": zoom.client_id,
        "ZOOM_CLIENT_SECRET": zoom.client_secret,
        "ZOOM_API_URL": f"{zoom.url}/v2",
        "ZOOM_OAUTH_URL": f"{zoom.url}/oauth/token",
        "MS_CLIENT_ID": microsoft.client_id,
        "MS_CLIENT_SECRET": microsoft.client_secret,
        "MS_AUTHORITY_HOST": microsoft.url,
        "MS_GRAPH_URL": f"{microsoft.url}/v1.0",
    }
