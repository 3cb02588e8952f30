"""What `serve` must find at start, each failure as one line naming the setting to fix.

The order keeps the disk clean: the port and Slack are checked before the database is opened (a
SQLite file is created by opening it), and a SQLite file a failed start created is removed again.
"""

from __future__ import annotations

import errno
import os
import socket

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.config import SettingsError
from storage import migrate
from storage.db import Database

PORT_SETTING = "--port or ZOOMCAL_PORT"
HOST_SETTING = "--host or ZOOMCAL_HOST"


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to (host, port) but not yet listening: the port is ours from here on, while
    connections are refused (not left waiting) until the server is ready and starts listening."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise SettingsError([f"{HOST_SETTING}: cannot listen on {host!r} ({exc.strerror})"]) from None
    sock = socket.socket(family, kind, proto)
    try:
        # As asyncio's own servers do: a restart may bind while the last run's connections linger.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6 and hasattr(socket, "IPV6_V6ONLY"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            problem = f"port {port} on {host} is already in use: stop what uses it or choose another ({PORT_SETTING})"
        elif exc.errno == errno.EACCES:
            problem = f"port {port} on {host} needs privileges this process lacks: choose another ({PORT_SETTING})"
        elif exc.errno == errno.EADDRNOTAVAIL:
            problem = f"{HOST_SETTING}: {host} is not an address of this machine"
        else:
            problem = f"cannot listen on {host} port {port} ({exc.strerror}): check {HOST_SETTING} and {PORT_SETTING}"
        raise SettingsError([problem]) from None
    sock.setblocking(False)
    return sock


def sqlite_path(url: str) -> str | None:
    """The file of a SQLite database URL (None for other databases and in-memory ones)."""
    parts = make_url(url)
    if parts.get_backend_name() != "sqlite" or not parts.database or parts.database == ":memory:":
        return None
    if parts.query.get("uri"):
        return None  # a file: URI is SQLite's to read
    return parts.database


def check_database_location(url: str) -> None:
    """A SQLite file's folder must exist: SQLite creates the file but not the folder."""
    path = sqlite_path(url)
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SettingsError([f"ZOOMCAL_DATABASE_URL: the folder {folder} does not exist (create it first)"])


async def open_database(url: str, *, migrate_db: bool) -> Database:
    """The database, migrated (or, with --no-migrate, answering). A database that cannot be reached or
    opened is one line naming ZOOMCAL_DATABASE_URL; a SQLite file this attempt created is removed."""
    check_database_location(url)
    path = sqlite_path(url)
    files = [path + suffix for suffix in ("", "-wal", "-shm", "-journal")] if path else []
    existed = {file for file in files if os.path.exists(file)}
    db = Database(url)
    try:
        if migrate_db:
            await migrate.upgrade(db.engine)
        else:
            async with db.engine.connect():
                pass
    except (OSError, TimeoutError, SQLAlchemyError) as exc:
        await db.close()
        for file in files:
            if file not in existed and os.path.exists(file):
                os.remove(file)
        raise SettingsError([f"ZOOMCAL_DATABASE_URL: {_where(url)} {_why(exc)}"]) from None
    except BaseException:
        await db.close()
        raise
    return db


def _where(url: str) -> str:
    parts = make_url(url)  # never the password
    if parts.get_backend_name() == "sqlite":
        return f"could not open the SQLite database {parts.database}"
    name = f" {parts.database}" if parts.database else ""
    return f"could not connect to the database{name} at {parts.host or 'localhost'}:{parts.port or 5432}"


def _why(exc: BaseException) -> str:
    """The driver's own words: SQLAlchemy's wrapper, then the adapter's, hide them."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if cause.__cause__ is not None and not isinstance(cause, OSError):
        cause = cause.__cause__  # asyncpg's error (InvalidCatalogNameError …) behind the DB-API adapter's
    detail = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    return f"({type(cause).__name__}: {detail})" if detail else f"({type(cause).__name__})"
