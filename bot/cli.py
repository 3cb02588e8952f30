"""`zoomcal serve | db upgrade | keys generate | keys rotate | console`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

from bot.config import Purpose, Settings, SettingsError, load_settings
from bot.crypto import generate_key

EXIT_CONFIG = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoomcal", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", help="address to listen on (ZOOMCAL_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (ZOOMCAL_PORT, default 3000)")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations at start")
    serve.add_argument(
        "--socket-mode", action="store_true",
        help="receive Slack's requests over Socket Mode (SLACK_APP_TOKEN); /slack/* is not served",
    )

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply the schema migrations")

    keys = commands.add_parser("keys", help="encryption keys")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    keys_commands.add_parser("generate", help="print a new encryption key")
    keys_commands.add_parser(
        "rotate", help="re-encrypt every stored secret under the first key of ZOOMCAL_ENCRYPTION_KEY"
    )

    console = commands.add_parser(
        "console", help="try the bot in a terminal against a built-in sandbox Slack, Zoom and Microsoft"
    )
    console.add_argument(
        "--credential", choices=("secret", "certificate", "federated"), default="secret",
        help="zoomcal's own Microsoft credential in the sandbox (MS_CLIENT_SECRET, MS_CLIENT_CERTIFICATE or "
        "MS_CLIENT_ASSERTION_FILE)",
    )
    return parser


def _settings(purpose: Purpose) -> Settings:
    try:
        return load_settings(os.environ, purpose)
    except SettingsError as exc:
        for problem in exc.problems:
            print(f"zoomcal: {problem}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "console":
        # The sandbox needs no environment: it makes its own.
        from bot.console import main as console

        return console(args.credential)
    if args.command == "keys":
        if args.keys_command == "rotate":
            settings = _settings(Purpose.KEYS)
            _configure_logging(settings)
            return asyncio.run(_rotate(settings))
        print(generate_key())
        return 0
    if args.command == "db":
        settings = _settings(Purpose.DATABASE)
        _configure_logging(settings)
        return asyncio.run(_upgrade(settings))
    settings = _settings(Purpose.SOCKET_MODE if args.socket_mode else Purpose.SERVE)
    _configure_logging(settings)
    return _serve(
        settings,
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        migrate_db=not args.no_migrate,
        socket_mode=args.socket_mode,
    )


def _configure_logging(settings: Settings) -> None:
    from bot import logs

    logs.configure(settings.secrets, json_lines=settings.log_format == "json")


async def _upgrade(settings: Settings) -> int:
    from bot.startup import open_database
    from storage import migrate

    try:  # a database that cannot be reached or opened: one line naming ZOOMCAL_DATABASE_URL
        db = await open_database(settings.database_url, migrate_db=True)
    except SettingsError as exc:
        return _settings_problems(exc)
    try:
        print(f"database at revision {await migrate.current(db.engine)}")
    finally:
        await db.close()
    return 0


async def _rotate(settings: Settings) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bot import keys
    from bot.crypto import Vault
    from storage import migrate
    from storage.db import Database

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not os.path.exists(url.database or ""):
        print(f"zoomcal: no database file at {url.database}", file=sys.stderr)
        return 1
    db = Database(settings.database_url)
    try:
        if await migrate.current(db.engine) != migrate.head():
            print("zoomcal: the database schema is not current (run `zoomcal db upgrade` first)", file=sys.stderr)
            return 1
        tallies = await keys.rotate(db.engine, Vault(settings.encryption_keys))
    except (SQLAlchemyError, OSError) as error:
        print(f"zoomcal: the database failed during the rotation ({type(error).__name__}); "
              "run it again: rows done so far stay done", file=sys.stderr)
        return 1
    finally:
        await db.close()
    for kind, tally in tallies.items():
        print(tally.describe(kind))
    left = sum(tally.unopenable for tally in tallies.values())
    if left:
        print(f"zoomcal: {left} stored row(s) open with no configured key and were left as they are", file=sys.stderr)
        return 1
    return 0


def _serve(settings: Settings, *, host: str, port: int, migrate_db: bool, socket_mode: bool) -> int:
    from aiohttp import web

    from bot import startup
    from bot.app import create_web_app
    from bot.logs import AccessLogger

    try:  # the event loop in C (libuv): each ack costs less CPU than on asyncio's own loop
        import uvloop
    except ImportError:  # not built for this platform (Windows): asyncio's loop serves too
        pass
    else:
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        startup.check_database_location(settings.database_url)
        sock = startup.reserve_port(host, port)  # bound now, listening once the server is ready
    except SettingsError as exc:
        return _settings_problems(exc)
    app = create_web_app(settings, migrate_db=migrate_db, socket_mode=socket_mode)
    app.on_startup.append(_warn_unopenable)  # these run after the runtime is built
    app.on_startup.append(_freeze_startup_objects)

    def listening(_banner: str) -> None:  # aiohttp calls it once the server listens
        bound = sock.getsockname()[1]  # the port given, or the one the system chose for --port 0
        logging.getLogger(__name__).info("zoomcal listening on http://%s:%s", host, bound)

    # aiohttp stops on SIGTERM/SIGINT after finishing in-flight requests (shutdown_timeout).
    try:
        web.run_app(app, sock=sock, access_log_class=AccessLogger, print=listening, shutdown_timeout=30)
    except SettingsError as exc:  # found at start: Slack's auth.test, the database
        return _settings_problems(exc)
    finally:
        sock.close()
    return 0


def _settings_problems(exc: SettingsError) -> int:
    for problem in exc.problems:
        print(f"zoomcal: {problem}", file=sys.stderr)
    return EXIT_CONFIG


async def _warn_unopenable(app) -> None:
    """Stored rows the configured keys cannot open (a key left out of the list) are named at start."""
    from bot.app import RUNTIME
    from bot.keys import warn_unopenable

    runtime = app[RUNTIME]
    await warn_unopenable(runtime.db.engine, runtime.services.deps.vault)


async def _freeze_startup_objects(_app) -> None:
    """What start-up allocated (modules, Bolt, SQLAlchemy) lives as long as the process: keep the
    garbage collector from walking it again and again, which showed up as pauses in ack latency."""
    import gc

    gc.freeze()


if __name__ == "__main__":
    sys.exit(main())
