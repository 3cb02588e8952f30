"""slack_sdk's SQLAlchemy installation and OAuth state stores, made safe for our database.

The tables are created by our migrations (0006, 0007), never by the stores. Token and webhook
columns are sealed with Fernet on the way in and opened on the way out, so no Slack token
is ever readable in the database. OAuth states are signed, so issuing one stores nothing; a
used state is kept only as a SHA-256 hash, until it expires.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Protocol

from slack_sdk.oauth.installation_store.sqlalchemy import (
    AsyncSQLAlchemyInstallationStore,
)
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import String, Text, TypeDecorator
from sqlalchemy.exc import IntegrityError
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


class SignedOAuthStateStore(AsyncSQLAlchemyOAuthStateStore):
    """OAuth states that cost no row to issue, so a flood of GET /slack/install stores nothing.

    A state is ``{expiry}.{nonce}.{mac}``, an HMAC-SHA256 under a key derived from one of ours.
    Consuming one checks the MAC and the expiry, then records the state's hash until it expires:
    the unique index lets each state be used once, even by two replicas at the same moment.
    Maintenance purges the expired records.
    """

    _INFO = b"zoomcal slack oauth state v1"

    def __init__(self, expiration_seconds: int, engine: AsyncEngine, secrets_: Sequence[str]):
        super().__init__(expiration_seconds, engine)
        self.oauth_states.c.state.type = _Hashed()
        # The first secret signs, all verify (as with ZOOMCAL_ENCRYPTION_KEY's rotation).
        self._keys = [hmac.new(s.encode(), self._INFO, hashlib.sha256).digest() for s in secrets_]

    async def create_tables(self):
        raise NotImplementedError("zoomcal's migrations create these tables (zoomcal db upgrade)")

    async def async_issue(self, *args, **kwargs) -> str:
        body = f"{int(time.time()) + self.expiration_seconds}.{secrets.token_urlsafe(24)}"
        return f"{body}.{_mac(self._keys[0], body)}"

    async def async_consume(self, state: str) -> bool:
        expires = self._verified(state)
        if expires is None:
            return False
        expire_at = datetime.fromtimestamp(expires, tz=timezone.utc).replace(tzinfo=None)  # naive UTC, as slack_sdk's
        try:
            async with self.engine.begin() as conn:
                await conn.execute(self.oauth_states.insert(), {"state": state, "expire_at": expire_at})
        except IntegrityError:
            return False  # used before
        return True

    def _verified(self, state: object) -> int | None:
        """The state's expiry when we signed it and it has not expired, else None."""
        if not isinstance(state, str) or len(state) > 200 or state.count(".") != 2:
            return None
        expires, nonce, mac = state.split(".")
        body = f"{expires}.{nonce}"
        if not any(hmac.compare_digest(mac, _mac(key, body)) for key in self._keys):
            return None
        now = time.time()
        return int(expires) if now < int(expires) <= now + self.expiration_seconds + 60 else None


def _mac(key: bytes, body: str) -> str:
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()
