"""slack_sdk's SQLAlchemy installation and OAuth state stores, made safe for our database.

The tables are created by our migrations (0006), never by the stores. Token and webhook
columns are sealed with Fernet on the way in and opened on the way out, so no Slack token
is ever readable in the database; OAuth states are kept only as SHA-256 hashes.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import String, Text, TypeDecorator
from sqlalchemy.ext.asyncio import AsyncEngine

SEALED_BOT_COLUMNS = ("bot_token", "bot_refresh_token")
SEALED_INSTALLATION_COLUMNS = (*SEALED_BOT_COLUMNS, "user_token", "user_refresh_token", "incoming_webhook_url")


class Sealer(Protocol):
    def seal(self, text: str) -> str: ...

    def open(self, sealed: str) -> str: ...


class _Sealed(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def __init__(self, sealer: Sealer):
        super().__init__()
        self._sealer = sealer

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else self._sealer.seal(value)

    def process_result_value(self, value: str | None, dialect) -> str | None:
        return None if value is None else self._sealer.open(value)


class _Hashed(TypeDecorator[str]):
    """Compared by hash: a query for a state binds its hash too, so lookups still match."""

    impl = String(200)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect) -> str | None:
        return None if value is None else hashlib.sha256(value.encode()).hexdigest()


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    def __init__(self, client_id: str, engine: AsyncEngine, sealer: Sealer):
        super().__init__(client_id, engine)
        sealed = _Sealed(sealer)
        for name in SEALED_INSTALLATION_COLUMNS:
            self.installations.c[name].type = sealed
        for name in SEALED_BOT_COLUMNS:
            self.bots.c[name].type = sealed

    async def create_tables(self):
        raise NotImplementedError("zoomcal's migrations create these tables (zoomcal db upgrade)")


class HashedOAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    def __init__(self, expiration_seconds: int, engine: AsyncEngine):
        super().__init__(expiration_seconds, engine)
        self.oauth_states.c.state.type = _Hashed()

    async def create_tables(self):
        raise NotImplementedError("zoomcal's migrations create these tables (zoomcal db upgrade)")
