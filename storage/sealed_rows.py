"""SQL of the rows that hold sealed secrets, for key rotation and the start-up key check.

Rows are read in short batches by id and each is replaced on its own, only while it still
holds what was read: a replica that writes the row in between wins, and no transaction
outlives one statement.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, Text, column, func, or_, select, table, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.expression import TableClause

from storage.models import Credential, Job
from storage.slack_installations import SEALED_BOT_COLUMNS, SEALED_INSTALLATION_COLUMNS

BATCH = 200


def _slack_table(name: str, sealed: tuple[str, ...]) -> TableClause:
    # slack_sdk's tables, seen raw: the store's own Table objects would open the columns.
    return table(name, column("id", Integer), *(column(c, Text) for c in sealed))


@dataclass(frozen=True)
class SealedTable:
    """A table and its sealed columns; ``kind`` is the table's name, as the operator reads it."""

    kind: str
    table: TableClause
    columns: tuple[str, ...]
    label: str | None = None  # a column read along (jobs.kind: the payload's context names it)


CREDENTIALS = SealedTable("credentials", Credential.__table__, ("ciphertext",))
SLACK_BOTS = SealedTable("slack_bots", _slack_table("slack_bots", SEALED_BOT_COLUMNS), SEALED_BOT_COLUMNS)
SLACK_INSTALLATIONS = SealedTable(
    "slack_installations", _slack_table("slack_installations", SEALED_INSTALLATION_COLUMNS), SEALED_INSTALLATION_COLUMNS
)
JOBS = SealedTable("jobs", Job.__table__, ("payload",), label="kind")
SEALED_TABLES = (CREDENTIALS, SLACK_BOTS, SLACK_INSTALLATIONS, JOBS)


@dataclass(frozen=True)
class SealedRow:
    id: int
    values: dict[str, Any] = field(repr=False)  # column -> stored ciphertext (bytes, text or None)
    label: str | None = None


class SealedRows:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def batches(self, sealed: SealedTable, size: int = BATCH) -> AsyncIterator[list[SealedRow]]:
        """Every row holding a sealed value, ``size`` at a time in id order, each batch one short read."""
        t = sealed.table
        columns = [t.c.id, *(t.c[name] for name in sealed.columns)]
        if sealed.label:
            columns.append(t.c[sealed.label])
        # Finished jobs keep an empty payload; Slack rows may hold no token at all.
        holding = or_(*(func.coalesce(func.length(t.c[name]), 0) > 0 for name in sealed.columns))
        after = None
        while True:
            query = select(*columns).where(holding).order_by(t.c.id).limit(size)
            if after is not None:
                query = query.where(t.c.id > after)
            async with self._engine.connect() as conn:
                rows = (await conn.execute(query)).all()
            if not rows:
                return
            yield [
                SealedRow(
                    row.id,
                    {name: _raw(row._mapping[name]) for name in sealed.columns},
                    row._mapping[sealed.label] if sealed.label else None,
                )
                for row in rows
            ]
            after = rows[-1].id

    async def replace(self, sealed: SealedTable, row: SealedRow, values: dict[str, Any]) -> bool:
        """Writes ``values`` only if the row still holds what was read; False if it changed or went."""
        t = sealed.table
        unchanged = [t.c[name].is_not_distinct_from(old) for name, old in row.values.items()]
        async with self._engine.begin() as conn:
            result = await conn.execute(update(t).where(t.c.id == row.id, *unchanged).values(**values))
        return result.rowcount == 1


def _raw(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value
