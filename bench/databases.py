"""The databases a benchmark runs on: SQLite in a temp dir, and a fresh PostgreSQL database.

A fresh PostgreSQL database per run (dropped afterwards), so no run measures the rows an
earlier run or test left behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.databases import fresh_postgres


@asynccontextmanager
async def bench_databases(tmp: str, name: str, postgres_server: str | None) -> AsyncIterator[dict[str, str]]:
    """{"sqlite": url[, "postgresql": url]}; ``postgres_server`` names any database on the server."""
    urls = {"sqlite": f"sqlite+aiosqlite:///{tmp}/{name}.db"}
    if not postgres_server:
        yield urls
        return
    async with fresh_postgres(postgres_server, prefix=f"zoomcal_bench_{name}") as url:
        yield urls | {"postgresql": url}
