"""Key rotation (`zoomcal keys rotate`) and the start-up check for rows no configured key opens.

Every stored secret is re-encrypted under the first key of ZOOMCAL_ENCRYPTION_KEY, row by
row: Microsoft credentials, the Slack tokens of multi-workspace installs, and queued jobs'
payloads (re-sealed bound to their row, ``job_context``). Each row is replaced only if it
still holds what was read, so a replica writing it meanwhile wins; its value is sealed under
its own first key, which the rotation steps make the new key before rotating. A row no
configured key opens is left as it is and counted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.crypto import DecryptionError, Vault, job_context
from storage.sealed_rows import (
    CREDENTIALS,
    JOBS,
    SEALED_TABLES,
    SealedRow,
    SealedRows,
    SealedTable,
)

log = logging.getLogger(__name__)


@dataclass
class Tally:
    """One kind of row after a rotation."""

    rotated: int = 0
    unopenable: int = 0  # no configured key opens it: left as it is
    changed: int = 0  # written by a replica between our read and our write: its value stands

    def describe(self, kind: str) -> str:
        parts = [f"{self.rotated} re-encrypted"]
        if self.unopenable:
            parts.append(f"{self.unopenable} left as they are: no configured key opens them")
        if self.changed:
            parts.append(f"{self.changed} changed meanwhile by a running replica (its value kept)")
        return f"{kind}: {', '.join(parts)}"


async def rotate(engine: AsyncEngine, vault: Vault) -> dict[str, Tally]:
    """Re-encrypts every sealed row under the vault's first key; a tally per kind (table)."""
    rows = SealedRows(engine)
    tallies: dict[str, Tally] = {}
    for sealed in SEALED_TABLES:
        tally = tallies[sealed.kind] = Tally()
        async for batch in rows.batches(sealed):
            for row in batch:
                try:
                    values = _resealed(sealed, row, vault)
                except DecryptionError:
                    tally.unopenable += 1
                    continue
                if await rows.replace(sealed, row, values):
                    tally.rotated += 1
                else:
                    tally.changed += 1
    return tallies


async def unopenable(engine: AsyncEngine, vault: Vault) -> dict[str, int]:
    """How many stored rows of each kind no configured key opens (kinds with none are left out)."""
    rows = SealedRows(engine)
    counts: dict[str, int] = {}
    for sealed in SEALED_TABLES:
        async for batch in rows.batches(sealed):
            for row in batch:
                try:
                    _resealed(sealed, row, vault)
                except DecryptionError:
                    counts[sealed.kind] = counts.get(sealed.kind, 0) + 1
    return counts


async def warn_unopenable(engine: AsyncEngine, vault: Vault) -> None:
    """At start: one warning line per kind of row no configured key opens, with its count."""
    try:
        counts = await unopenable(engine, vault)
    except Exception as error:  # a check, not a precondition: serving goes on
        log.warning("could not check stored rows against the encryption keys: %s", type(error).__name__)
        return
    for kind, count in counts.items():
        log.warning(
            "%s stored %s row(s) open with no key in ZOOMCAL_ENCRYPTION_KEY; add the key that sealed them",
            count, kind,
        )


def _resealed(sealed: SealedTable, row: SealedRow, vault: Vault) -> dict[str, Any]:
    """The row's sealed values re-encrypted under the first key (DecryptionError if any cannot be opened)."""
    if sealed is JOBS:
        context = job_context(str(row.label), row.id)
        return {"payload": vault.seal_transient(vault.open_transient(row.values["payload"], context), context)}
    reseal: Callable[[Any], Any] = (
        (lambda token: vault.rotate(token)) if sealed is CREDENTIALS
        else (lambda text: vault.rotate(text.encode()).decode())  # Slack tokens are text columns
    )
    return {name: None if value is None else reseal(value) for name, value in row.values.items()}
