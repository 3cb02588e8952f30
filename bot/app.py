"""Assembly: settings → clients, storage, service, the Bolt app and the aiohttp server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import logs, metrics, pages, startup
from bot.clients.http import client_session, ssl_context
from bot.clients.microsoft import MicrosoftClient
from bot.clients.slack import web_client
from bot.clients.zoom import ZoomClient
from bot.config import Settings
from bot.crypto import Vault
from bot.jobs import JobQueue
from bot.services import Services
from bot.services.access import AccessPolicy
from bot.services.base import Deps
from bot.services.directory import GroupDirectory
from bot.services.explain import credential_warning
from bot.services.maintenance import Maintenance
from bot.services.results import CallbackPage
from bot.services.states import ScopeStates
from bot.socket_mode import CheckedSocketModeHandler, check_app_token
from bot.tasks import Tasks
from bot.workspaces import (
    BOT_SCOPES,
    InstalledWorkspaces,
    SingleWorkspace,
    SlackTeams,
    Workspaces,
    slack_teams,
)
from handlers import installs, listeners, parsing, shapes
from handlers.notifier import SlackNotifier
from handlers.parsing import Malformed
from handlers.signature import SlackSignature
from handlers.teams import OwnTeamsOnly
from storage.db import Database, DatabaseUnavailable, background, unreachable
from storage.slack_installations import SealedInstallationStore, SignedOAuthStateStore

log = logging.getLogger(__name__)


class _ClientGiven(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment even when given a client, then warns that the
    client's token wins. Our client carries that same setting's token: the warning says nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


logging.getLogger("slack_bolt").addFilter(_ClientGiven())
MAX_BODY = 1024 * 1024  # Slack requests over 1 MiB get 413
# Slack sends a request's few kilobytes at once and waits 3 s for the answer: a body still arriving
# after that can never be answered in time, so the request is dropped (408) instead of being waited on.
BODY_SECONDS = 3.0
INSTALL_PATH = "/slack/install"
OAUTH_REDIRECT_PATH = "/slack/oauth_redirect"
INSTALL_STATE_SECONDS = 600
DRAIN_SECONDS = 20.0


@dataclass
class Runtime:
    """What one process holds. No flow state lives here: that is in the database."""

    settings: Settings
    db: Database
    http: aiohttp.ClientSession
    bolt: AsyncApp
    services: Services
    signature: SlackSignature | None  # None in Socket Mode: nothing arrives at /slack/events
    jobs: JobQueue
    tasks: Tasks
    edge: shapes.Edge

    async def close(self) -> None:
        # Reads of the replica's memory may have a reload in flight: let it end before the pool does.
        await self.services.deps.states.settle()
        await self.services.deps.directory.settle()
        await self.http.close()
        await self.db.close()


async def build_runtime(settings: Settings, *, migrate_db: bool = True, socket_mode: bool = False) -> Runtime:
    tls = ssl_context(settings.ca_bundle)
    http = client_session(settings.ca_bundle)

    def slack_client(token: str | None, *, retrying: bool = True) -> AsyncWebClient:
        return web_client(token, base_url=settings.slack_api_url + "/", session=http, ssl=tls, retrying=retrying)

    slack = slack_client(settings.slack_bot_token)  # in multi-workspace mode, tokenless: Bolt sets each request's
    try:
        # Slack first: the database (opening a SQLite file creates it) only once the settings hold.
        # One auth.test at start in single-workspace mode, not retried: a failed start says why in one
        # line, and whatever supervises the process starts it again.
        teams = await slack_teams(settings, slack_client(settings.slack_bot_token, retrying=False))
        if socket_mode:
            await check_app_token(settings, slack_client(None, retrying=False))
        db = await startup.open_database(settings.database_url, migrate_db=migrate_db)
    except BaseException:
        await http.close()
        raise
    vault = Vault(settings.encryption_keys)
    store = None
    if settings.multi_workspace:
        store = SealedInstallationStore(settings.slack_client_id, db.engine, vault)
        workspaces: Workspaces = InstalledWorkspaces(
            db, store, slack_client, settings.zoom_account_id, http, teams=teams
        )
    else:
        workspaces = SingleWorkspace(slack)
    zoom = ZoomClient(
        http,
        account_id=settings.zoom_account_id,
        client_id=settings.zoom_client_id,
        client_secret=settings.zoom_client_secret,
        api_url=settings.zoom_api_url,
        oauth_url=settings.zoom_oauth_url,
    )
    microsoft = MicrosoftClient(
        http,
        client_id=settings.ms_client_id,
        credential=settings.ms_credential,
        consent_tenant=settings.ms_tenant,
        authority_host=settings.ms_authority_host,
        graph_url=settings.ms_graph_url,
        redirect_uri=settings.redirect_uri,
        discover_instances=settings.authority_is_microsoft,
    )
    directory = GroupDirectory(db, zoom, settings.zoom_account_id)
    tasks = Tasks()
    services = Services.build(
        Deps(
            db=db,
            vault=vault,
            access=AccessPolicy(workspaces, zoom, settings.admins, teams, group_admins=settings.group_admins),
            directory=directory,
            microsoft=microsoft,
            notifier=SlackNotifier(workspaces, settings.audit_channel, teams.home),
            zoom_account_id=settings.zoom_account_id,
            consent_ttl=timedelta(seconds=settings.consent_ttl),
            workspaces=workspaces,
            states=ScopeStates(db, settings.zoom_account_id),
            tasks=tasks,
            zoom=zoom,
            health_interval=timedelta(seconds=settings.health_interval),
        )
    )
    credential_posts(microsoft, services.deps.notifier, tasks)
    jobs = JobQueue(db, services.deps.vault)
    bolt = AsyncApp(
        signing_secret=settings.slack_signing_secret,
        client=slack,
        logger=logging.getLogger("slack_bolt"),
        # /slack/events checks every signature before anything is parsed (slack_events below), so
        # Bolt need not check it again; Socket Mode requests arrive unsigned over Slack's WebSocket.
        request_verification_enabled=False,
        # Listeners answer from memory, or persist a job, or start a task, and then ack: Bolt may run
        # them before answering. By default Bolt runs listeners as tasks and polls every 10 ms for
        # their ack: 10 ms on every answer, and a wake-up per poll.
        process_before_response=True,
        before_authorize=OwnTeamsOnly(teams),  # requests from other teams stop here, before any lookup
        **(_installs(settings, db, store, workspaces, services, teams) if store is not None else {}),
    )
    edge = shapes.Edge(settings.slack_api_url)
    listeners.register(bolt, services, jobs, tasks, workspaces)
    signature = None if socket_mode else SlackSignature(settings.slack_signing_secret)
    return Runtime(settings, db, http, bolt, services, signature, jobs, tasks, edge)


def _installs(
    settings: Settings, db: Database, store, authorize: InstalledWorkspaces, services: Services, teams: SlackTeams
) -> dict:
    """Bolt's multi-workspace pieces: our authorize, the sealed store, and the OAuth install flow."""
    slack_site = "{0.scheme}://{0.netloc}".format(urlsplit(settings.slack_api_url))
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        installation_store=store,
        installation_store_bot_only=True,
        # Signed states: a GET of the install page stores nothing (a used state is kept until it expires).
        state_store=SignedOAuthStateStore(INSTALL_STATE_SECONDS, db.engine, settings.encryption_keys),
        install_path=INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
        redirect_uri=settings.public_url + OAUTH_REDIRECT_PATH,
        authorization_url=slack_site + "/oauth/v2/authorize",  # slack.com's, or the sandbox's
        callback_options=installs.callback_options(services, teams),
    )
    return {
        "authorize": authorize,
        "installation_store": store,
        # Refuses other teams' installs before Bolt saves anything of them.
        "oauth_flow": installs.InstallFlow(teams, logger=logging.getLogger("slack_bolt"), settings=oauth),
    }


RUNTIME = web.AppKey("runtime", Runtime)


def create_web_app(settings: Settings, *, migrate_db: bool = True, socket_mode: bool = False) -> web.Application:
    """The HTTP server. In Socket Mode Slack's requests come over a WebSocket instead of /slack/events."""
    app = web.Application(client_max_size=MAX_BODY)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        runtime = await build_runtime(settings, migrate_db=migrate_db, socket_mode=socket_mode)
        app[RUNTIME] = runtime
        maintenance = Maintenance(
            runtime.db, runtime.services.deps.directory, runtime.jobs, health=runtime.services.health
        )
        schedule = asyncio.create_task(maintenance.run())
        socket = None
        if socket_mode:
            socket = CheckedSocketModeHandler(
                runtime.bolt, settings.slack_app_token, web_client=runtime.bolt.client, edge=runtime.edge
            )
            await socket.connect_async()
        yield
        if socket is not None:
            await socket.close_async()
        # Stopping (SIGTERM): requests in flight have finished; let running jobs finish too.
        # Any still running at the deadline are resumed by another replica when their lease ends.
        maintenance.stop()
        try:
            await asyncio.wait_for(schedule, DRAIN_SECONDS)
        except asyncio.TimeoutError:
            log.warning("maintenance did not stop in time")
        if not await runtime.tasks.drain(DRAIN_SECONDS):
            log.warning("stopping with dialogs or Home tab updates still under way")
        if not await runtime.jobs.drain(DRAIN_SECONDS):
            log.warning("stopping with jobs still running; another replica will resume them")
        await runtime.close()

    app.cleanup_ctx.append(lifecycle)
    if not socket_mode:
        app.router.add_post("/slack/events", slack_events)  # starts its own request id
        if settings.multi_workspace:
            app.router.add_get(INSTALL_PATH, with_request_id(slack_install))
            # GET alone runs the redirect and the callback: each consumes a single-use state, and link
            # scanners and proxies send HEAD (aiohttp's add_get also answers HEAD unless told not to).
            app.router.add_get(OAUTH_REDIRECT_PATH, with_request_id(slack_install), allow_head=False)
    app.router.add_get("/microsoft/callback", with_request_id(microsoft_callback), allow_head=False)
    app.router.add_get("/healthz", with_request_id(healthz))
    app.router.add_get("/readyz", with_request_id(readyz))
    app.router.add_get("/metrics", with_request_id(metrics_page))
    return app


def with_request_id(handler):
    """Every HTTP request starts a request id; its log lines, jobs and consent links carry it.

    Per route rather than as an aiohttp middleware: a middleware layer costs every Slack ack a few
    microseconds, and /slack/events starts its own.
    """

    async def handle(request: web.Request) -> web.StreamResponse:
        logs.start_request()
        return await handler(request)

    return handle


async def slack_events(request: web.Request) -> web.StreamResponse:
    started = time.perf_counter()
    kind = "unsigned"
    logs.start_request()  # here rather than in a middleware: every Slack request passes, on the hot path
    try:
        response, kind = await _slack_events(request)
    except web.HTTPException as exc:  # 413 and the like: count it, then let aiohttp answer
        metrics.acked(kind, exc.status, time.perf_counter() - started)
        raise
    metrics.acked(kind, response.status, time.perf_counter() - started)
    return response


async def _slack_events(request: web.Request) -> tuple[web.StreamResponse, str]:
    runtime = request.app[RUNTIME]
    # The whole body must arrive (promptly) and be signed before anything else happens to it.
    try:
        if request.content.is_eof():  # the whole body is here already (Slack's fit in a packet or two)
            body = await request.read()  # raises 413 past client_max_size
        else:
            body = await asyncio.wait_for(request.read(), BODY_SECONDS)
    except asyncio.TimeoutError:
        response = web.json_response({"error": "request body timed out"}, status=408)
        response.force_close()
        return response, "unsigned"
    # The signature is checked on the raw bytes before anything is parsed: unsigned is 401 whatever it holds.
    headers = request.headers
    if not runtime.signature.valid(body, headers.get("X-Slack-Request-Timestamp"), headers.get("X-Slack-Signature")):
        return web.json_response({"error": "invalid request"}, status=401), "unsigned"
    return await _ack(runtime, request, body)


async def _ack(runtime: Runtime, request: web.Request, body: bytes) -> tuple[web.StreamResponse, str]:
    try:
        parsed = parsing.read(body, request.content_type)
        kind = runtime.edge.kind(parsed.payload, form=parsed.form)
    except Malformed as problem:
        log.warning("malformed Slack request: %s", problem)
        return web.json_response({"error": "malformed request", "reason": str(problem)}, status=400), "malformed"
    if kind == shapes.SSL_CHECK:
        return web.Response(), "other"
    if kind == shapes.UNHANDLED:
        return web.json_response({"error": "unhandled request"}, status=404), "other"
    response = await runtime.bolt.async_dispatch(_bolt_request(request, parsed))
    return _slack_answer(response), metrics.slack_kind(parsed.payload)


def _slack_answer(answer: BoltResponse) -> web.Response:
    """Bolt's answer to a Slack request as aiohttp's. Bolt's adapter also reads cookies and rewrites
    headers, which answers to Slack never carry; every ack pays for this."""
    headers = answer.headers
    content_type = headers["content-type"][0].partition(";")[0] if "content-type" in headers else "text/plain"
    extra = {name: values[0] for name, values in headers.items() if name not in ("content-type", "set-cookie")}
    return web.Response(status=answer.status, body=answer.body.encode(), content_type=content_type, headers=extra)


def _bolt_request(request: web.Request, parsed: parsing.Body) -> AsyncBoltRequest:
    """Bolt's request for the payload checked above. Given a dict, Bolt does not parse the body again
    (its own parser also reads a form whose text merely contains "payload" as an empty body); it
    takes a dict only in its Socket Mode, so the mode is set back to HTTP after."""
    bolt_request = AsyncBoltRequest(
        body=parsed.payload, query=request.query_string, headers=request.headers, mode="socket_mode"
    )
    bolt_request.mode, bolt_request.raw_body = "http", parsed.text
    return bolt_request


# The routes anyone may call (the install pages, Microsoft's callback, readiness) use the database
# as background work does: through its share of the connections (on SQLite, one at a time), so a
# flood of them never queues ahead of a Slack ack for the pool (SQLite's one connection).


async def slack_install(request: web.Request) -> web.StreamResponse:
    """Bolt's OAuth flow: the install page, then Slack's redirect back with a code."""
    runtime = request.app[RUNTIME]
    flow = runtime.bolt.oauth_flow
    bolt_request = await to_bolt_request(request)
    try:
        async with runtime.db.shared():  # slack_sdk's state and installation stores use the engine directly
            if request.path == INSTALL_PATH:
                response = await flow.handle_installation(bolt_request)
            else:
                response = await flow.handle_callback(bolt_request)
    except Exception as error:
        if not (isinstance(error, DatabaseUnavailable) or unreachable(error)):
            raise
        log.warning("Slack install: the database is unavailable (%s)", type(error).__name__)
        return web.Response(
            status=200, text=pages.render(INSTALL_DATABASE_DOWN), content_type="text/html", headers=pages.HEADERS
        )
    return await to_aiohttp_response(response)


INSTALL_DATABASE_DOWN = CallbackPage(
    200, "zoomcal's database is unavailable right now",
    "A restart or failover is under way, so zoomcal could not complete the installation. Start it again in a minute.",
)


def credential_posts(microsoft: MicrosoftClient, notifier, tasks: Tasks) -> None:
    """The audit channel hears when Microsoft starts refusing zoomcal's own credential on this
    replica, and when it issues a token again (once each per episode)."""

    def changed(problem, episode) -> None:
        warning = credential_warning(problem) if problem is not None else None
        tasks.spawn(notifier.credential_episode(warning, episode.variable), "credential episode post")

    microsoft.watch.on_change = changed


async def microsoft_callback(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    params = {key: request.query.getone(key) for key in request.query.keys()}
    with background():  # per transaction: Microsoft's answers are awaited without holding a place
        page = await runtime.services.callback.complete(params)
    return web.Response(
        status=page.status, text=pages.render(page), content_type="text/html", headers=pages.HEADERS
    )


async def metrics_page(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    up = await runtime.db.ping()  # shared by concurrent scrapes, in the background share
    scopes = None
    if up:
        try:
            scopes = await runtime.services.overview.status_counts()
        except Exception as exc:  # the database went away meanwhile: serve the rest
            log.warning("could not count the scopes for /metrics: %s", type(exc).__name__)
    return web.Response(body=metrics.render(scopes, up), headers={"Content-Type": metrics.CONTENT_TYPE})


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def readyz(_request: web.Request) -> web.Response:
    """Ready once started (settings loaded, migrations applied): this route is served only then.

    A database outage does not fail it: every replica shares the database, so failing readiness
    would take them all off the load balancer at once, and nobody would get even the answers
    memory can give. zoomcal_database_up in /metrics says whether the database answers.
    """
    return web.Response(text="ready")
