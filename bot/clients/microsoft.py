"""Microsoft identity platform (admin consent, app-only tokens through MSAL) and Graph."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import quote, urlsplit

import aiohttp
import msal

from bot import metrics
from bot.clients import microsoft_errors
from bot.clients.credentials import CredentialFileError, MicrosoftCredential
from bot.clients.errors import Refusal, UpstreamError
from bot.clients.http import RetryPolicy, send

log = logging.getLogger(__name__)

IDENTITY = "Microsoft"
GRAPH = "Microsoft Graph"
# Tenant ids are GUIDs; a verified domain is also accepted. Nothing else reaches a URL.
_TENANT = re.compile(r"^(?:[0-9a-fA-F-]{36}|[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63})$")


TRANSIENT_ERRORS = frozenset({"temporarily_unavailable", "server_error", "request_timeout"})
_AADSTS = re.compile(r"\bAADSTS(\d+)\b")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# 404 codes Graph answers for a user without a reachable mailbox, or one it does not know.
# ErrorInvalidUser is Exchange's word for an address it cannot resolve to a mailbox.
NO_MAILBOX_CODES = frozenset({
    "ErrorItemNotFound", "MailboxNotEnabledForRESTAPI", "ResourceNotFound", "Request_ResourceNotFound",
    "ErrorInvalidUser",
})


# MSAL apps kept, one per tenant authority: a deployment serves one Zoom account, usually one
# tenant; the bound only stops a long run of distinct tenants from growing memory (each app is
# its authority's metadata and a token cache, a few KiB).
MAX_APPS = 2000


class _Transient(Exception):
    """A token attempt that may succeed if tried again."""


class CredentialError(UpstreamError):
    """Microsoft refused zoomcal's own credential (``variable`` names it): the operator's problem.

    Not a ``Refusal``: it says nothing about any tenant's consent, so nothing treats it as one.
    """

    def __init__(self, service: str, message: str, *, variable: str, description: str, code: str,
                 status: int | None = None):
        super().__init__(service, message, status=status, code=code)
        self.variable = variable
        self.description = description


@dataclass(frozen=True)
class CredentialProblem:
    """An episode of zoomcal's own credential being refused (``since``: its first refusal)."""

    variable: str
    code: str
    description: str
    since: float

    @property
    def explanation(self) -> str:
        return microsoft_errors.explained(self.code, self.description, self.variable)


class CredentialWatch:
    """Episodes of the bot's own credential failing, on this replica.

    Every refusal is counted; the first of an episode is logged as one ERROR and reported
    (``on_change``), as is the first token issued after it. Called on the event loop only.
    """

    def __init__(self) -> None:
        self.problem: CredentialProblem | None = None
        self.on_change: Callable[[CredentialProblem | None, CredentialProblem], None] | None = None

    def refused(self, variable: str, code: str, description: str) -> None:
        metrics.MICROSOFT_CREDENTIAL_ERRORS.labels(variable).inc()
        if self.problem is not None:
            return
        self.problem = CredentialProblem(variable, code, description, time.time())
        log.error(
            "Microsoft refused zoomcal's own credential (%s): %s. Replace %s; this is logged once until a token "
            "is issued again", variable, description if code in description else f"{code}: {description}", variable,
        )
        if self.on_change is not None:
            self.on_change(self.problem, self.problem)

    def issued(self) -> None:
        ended, self.problem = self.problem, None
        if ended is None:
            return
        log.warning("Microsoft issues tokens for zoomcal's credential (%s) again", ended.variable)
        if self.on_change is not None:
            self.on_change(None, ended)


class _DiscoveryCache(dict):
    """MSAL's ``http_cache``, keeping only what MSAL caches of GETs (OpenID configuration, instance
    metadata). MSAL also remembers 429/5xx (and 400) answers of token POSTs and replays them without
    asking; zoomcal retries those itself (RetryPolicy), and a replayed answer would make its retries
    see the same failure again, or a consent granted a moment ago look refused for a minute."""

    def __setitem__(self, key, value):
        if isinstance(key, str) and key.startswith("POST "):
            return
        super().__setitem__(key, value)


def valid_tenant(value: str) -> bool:
    return bool(_TENANT.match(value or ""))


def is_email(value: str) -> bool:
    """An address ``calendar`` can put in a URL path: one @ and no spaces (so never "." or "..")."""
    return bool(_EMAIL.match(value or ""))


def graph_scope(graph_url: str) -> str:
    """``{origin of MS_GRAPH_URL}/.default``: each national cloud's Graph is its own resource."""
    parts = urlsplit(graph_url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/.default"  # never any user:password@


@dataclass(frozen=True)
class AppToken:
    access_token: str = field(repr=False)
    tenant_id: str
    roles: tuple[str, ...]
    cache: str = field(repr=False)  # serialized MSAL token cache


@dataclass(frozen=True)
class Organization:
    id: str
    display_name: str
    domains: tuple[str, ...]


class CalendarAccess(Enum):
    """The contract's words for `/zoomcal check`."""

    REACHABLE = "reachable"
    NO_MAILBOX = "no mailbox"
    ACCESS_DENIED = "access denied"


@dataclass(frozen=True)
class CalendarCheck:
    """What Graph answered for a user's calendar; ``code`` and ``message`` are Microsoft's (None on 200)."""

    access: CalendarAccess
    status: int
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class _MsalResponse:
    """The response shape MSAL's HttpClient interface expects."""

    status_code: int
    text: str
    headers: dict[str, str]

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise msal.exceptions.MsalServiceError(f"HTTP {self.status_code}", error=None, error_description=None)


class _LoopHttp:
    """MSAL's blocking HTTP calls, made by the event loop's aiohttp session.

    MSAL blocks, so it runs in a worker thread. Doing its HTTP there (with requests) took the
    interpreter lock back for every socket read while the busy loop held it: under load a
    token took 100+ ms of waiting. Here the thread only waits for the loop's whole answer, and
    the shared session brings pooled TLS connections, our CA trust and a timeout.
    """

    def __init__(self, session: aiohttp.ClientSession, loop: asyncio.AbstractEventLoop, timeout: float):
        self._session = session
        self._loop = loop
        self._timeout = timeout

    def get(self, url, params=None, headers=None, **_ignored) -> _MsalResponse:
        return self._call("GET", url, params=params, headers=headers)

    def post(self, url, params=None, data=None, headers=None, **_ignored) -> _MsalResponse:
        return self._call("POST", url, params=params, data=_form(data), headers=headers)

    def close(self) -> None:
        """MSAL may close its client; the shared session outlives it."""

    def _call(self, method: str, url: str, **kwargs) -> _MsalResponse:
        answer = asyncio.run_coroutine_threadsafe(self._send(method, url, **kwargs), self._loop)
        try:
            return answer.result(self._timeout + 5)  # the request's own timeout fires first
        except TimeoutError:
            answer.cancel()  # never leave the request running on the loop
            raise

    async def _send(self, method: str, url: str, **kwargs) -> _MsalResponse:
        timeout = aiohttp.ClientTimeout(total=self._timeout)
        async with self._session.request(method, url, timeout=timeout, **kwargs) as raw:
            return _MsalResponse(raw.status, await raw.text(), dict(raw.headers))


def _form(data):
    """MSAL's form as text: it holds non-strings (``client_info`` 1, a signed assertion as bytes),
    which aiohttp would refuse or send as a multipart file."""
    if not isinstance(data, dict):
        return data
    return {
        str(k): v.decode() if isinstance(v, (bytes, bytearray)) else v if isinstance(v, str) else str(v)
        for k, v in data.items() if v is not None
    }


class MicrosoftClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        client_id: str,
        client_secret: str | None = None,
        credential: MicrosoftCredential | None = None,
        consent_tenant: str,
        authority_host: str,
        graph_url: str,
        redirect_uri: str,
        discover_instances: bool,
        policy: RetryPolicy = RetryPolicy(),
        timeout: float = 10.0,
    ):
        self._session = session
        self._client_id = client_id
        if credential is None:
            credential = MicrosoftCredential.from_secret(client_secret or "")
        self._credential = credential
        self.watch = CredentialWatch()
        self._apps: OrderedDict[str, msal.ConfidentialClientApplication] = OrderedDict()
        self._apps_lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}
        self._http_cache = _DiscoveryCache()  # shared: an app built again after eviction reuses it
        self._http: _LoopHttp | None = None
        self._consent_tenant = consent_tenant
        self._authority_host = authority_host.rstrip("/")
        self._graph_url = graph_url.rstrip("/")
        self._scope = graph_scope(self._graph_url)
        self._redirect_uri = redirect_uri
        self._discover = discover_instances
        self._policy = policy
        self._timeout = timeout

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def scope(self) -> str:
        return self._scope

    @property
    def credential_variable(self) -> str:
        """The variable holding zoomcal's own credential (the one to replace when Microsoft refuses it)."""
        return self._credential.variable

    @property
    def consent_tenant(self) -> str:
        """MS_TENANT: the tenant the consent link is locked to (or organizations/common)."""
        return self._consent_tenant

    def consent_url(self, state: str) -> str:
        query = "&".join(
            f"{name}={quote(value, safe=':/')}"
            for name, value in (
                ("client_id", self._client_id),
                ("scope", self._scope),
                ("redirect_uri", self._redirect_uri),
                ("state", state),
            )
        )
        return f"{self._authority_host}/{self._consent_tenant}/v2.0/adminconsent?{query}"

    async def app_token(self, tenant: str, *, fresh: bool = True) -> AppToken:
        """An app-only Graph token for ``tenant`` (client credentials), retried like any call.

        ``fresh``: asked of the token endpoint now (proving the consent still holds: the callback,
        verify, health checks). Otherwise a token MSAL holds is used until shortly before it
        expires (MSAL's own rule: 5 minutes). One MSAL app per tenant authority, kept.
        MSAL blocks, so each attempt runs in a thread. Raises ``Refusal`` when the token endpoint
        says no (``code``: the AADSTS code), ``CredentialError`` when what it refused is zoomcal's
        own credential, and a plain ``UpstreamError`` when it could not be reached or stayed busy.
        """
        if not valid_tenant(tenant):
            raise Refusal(IDENTITY, "sent a tenant id that is not valid", code="invalid_tenant")
        if self._http is None:
            self._http = _LoopHttp(self._session, asyncio.get_running_loop(), self._timeout)
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                token, issued = await asyncio.to_thread(self._app_token_blocking, tenant, fresh)
                metrics.OUTBOUND.labels(IDENTITY, "ok").inc()
                if issued:  # a token MSAL held since before says nothing of the credential now
                    self.watch.issued()
                return token
            except CredentialError as exc:
                metrics.OUTBOUND.labels(IDENTITY, "refused").inc()
                self.watch.refused(exc.variable, exc.code or "", exc.description)
                raise
            except UpstreamError:
                metrics.OUTBOUND.labels(IDENTITY, "refused").inc()
                raise
            except _Transient as exc:
                metrics.OUTBOUND.labels(IDENTITY, "retryable").inc()
                attempt += 1
                delay = self._policy.backoff(attempt)
                if attempt >= self._policy.attempts or time.monotonic() - started + delay > self._policy.deadline:
                    raise UpstreamError(IDENTITY, f"{exc}; try again in a few minutes") from None
                await asyncio.sleep(delay)

    def _app(self, tenant: str) -> msal.ConfidentialClientApplication:
        """The tenant authority's MSAL app, built once (its OpenID configuration read then)."""
        authority = f"{self._authority_host}/{tenant.lower()}"
        with self._apps_lock:
            app = self._apps.get(authority)
            if app is not None:
                self._apps.move_to_end(authority)
                return app
            building = self._building.setdefault(authority, threading.Lock())
        with building:  # one build per authority at a time: concurrent first tokens wait for it
            try:
                with self._apps_lock:
                    app = self._apps.get(authority)
                if app is None:
                    app = msal.ConfidentialClientApplication(
                        self._client_id,
                        client_credential=self._credential.msal(),
                        authority=authority,
                        token_cache=msal.SerializableTokenCache(),
                        http_client=self._http,
                        http_cache=self._http_cache,
                        # Off for non-Microsoft hosts: no request may go to a host we were not given.
                        instance_discovery=None if self._discover else False,
                    )
                with self._apps_lock:
                    self._apps[authority] = app
                    self._apps.move_to_end(authority)
                    while len(self._apps) > MAX_APPS:
                        self._apps.popitem(last=False)
            finally:  # built or not (an unknown tenant: MSAL raises), the lock is not kept
                with self._apps_lock:
                    self._building.pop(authority, None)
        return app

    def _app_token_blocking(self, tenant: str, fresh: bool) -> tuple[AppToken, bool]:
        """The token, and whether Microsoft issued it now (not from MSAL's cache)."""
        try:
            app = self._app(tenant)
            if fresh:
                _forget_tokens(app)
            result = app.acquire_token_for_client([self._scope])
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Transient(f"could not be reached ({_safe(exc)})") from None
        except msal.exceptions.MsalServiceError:
            raise _Transient("answered with a server error") from None
        except CredentialFileError as exc:  # read for each request (a federated token file): gone or broken now
            variable = self._credential.variable
            raise CredentialError(
                IDENTITY, f"was not asked for a token: {variable}: {exc}", variable=variable,
                description=f"{variable}: {exc}", code=microsoft_errors.UNREADABLE_CREDENTIAL,
            ) from None
        except ValueError as exc:
            # MSAL raises ValueError when the authority's metadata cannot be read: a 4xx for the
            # tenant's OpenID configuration (unknown tenant: AADSTS90002), or an answer not JSON.
            # It re-raises the first with a generic text; the answer's status is in the original.
            text = f"{exc} {exc.__context__ or ''}"
            status = re.search(r"HTTP status: (\d+)", text)
            if status and status.group(1) not in ("408", "429"):
                aadsts = _AADSTS.search(text)
                raise Refusal(
                    IDENTITY, "does not know that tenant (its OpenID configuration was refused)",
                    status=int(status.group(1)), code=f"AADSTS{aadsts.group(1)}" if aadsts else "invalid_tenant",
                ) from None
            raise _Transient(f"answered unexpectedly ({_safe(exc)})") from None
        if "access_token" not in result:
            error = str(result.get("error") or "error")
            if error in TRANSIENT_ERRORS:
                raise _Transient(f"is busy ({error})")
            code, description = _token_error(result)
            if microsoft_errors.is_credential_failure(code):
                raise CredentialError(
                    IDENTITY, f"refused zoomcal's own credential ({error}, {self._credential.variable}): {description}",
                    variable=self._credential.variable, description=description, code=code,
                )
            raise Refusal(IDENTITY, f"refused a token ({error}): {description}", code=code or error)
        claims = _claims(result["access_token"])
        roles = tuple(str(r) for r in claims.get("roles") or ())
        token = AppToken(
            access_token=result["access_token"],
            tenant_id=str(claims.get("tid") or ""),
            roles=roles,
            cache=app.token_cache.serialize(),
        )
        return token, result.get("token_source") != "cache"

    async def _graph(self, token: AppToken, path: str, params: dict | None = None):
        """A GET on Graph with the app-only token, retried like any call."""
        return await send(
            self._session, "GET", f"{self._graph_url}{path}", service=GRAPH, policy=self._policy,
            headers={"Authorization": f"Bearer {token.access_token}"}, params=params,
        )

    async def organization(self, token: AppToken) -> Organization:
        response = await self._graph(token, "/organization")
        body = response.body if isinstance(response.body, dict) else {}
        if response.status != 200:
            code, message = _graph_error(response.body)
            error = Refusal if response.status in (401, 403) else UpstreamError
            raise error(
                GRAPH, f"refused to read the organization (HTTP {response.status}){_quoted(code, message)}",
                status=response.status, code=code or f"HTTP {response.status}",
            )
        orgs = body.get("value") or []
        if not orgs:
            raise UpstreamError(GRAPH, "returned no organization for the tenant")
        org = orgs[0]
        domains = tuple(
            str(d.get("name")) for d in sorted(org.get("verifiedDomains") or [], key=lambda d: not d.get("isDefault"))
        )
        return Organization(str(org.get("id") or token.tenant_id), str(org.get("displayName") or ""), domains)

    async def calendar(self, token: AppToken, email: str) -> CalendarCheck:
        """Whether Graph reaches ``email``'s calendar with this app-only token (`/zoomcal check`).

        200 is reachable; a 404 naming a missing mailbox or user is "no mailbox"; 403 (an Exchange
        application access policy, or no calendar permission) is "access denied". Anything else
        raises: ``Refusal`` for 401 (the token was refused), ``UpstreamError`` otherwise (after the
        retries for 429/5xx), naming Graph and the status. ``email`` must pass ``is_email``: the
        caller validates what a user typed (ValueError otherwise).
        """
        if not is_email(email):
            raise ValueError("not an email address")
        response = await self._graph(token, f"/users/{quote(email, safe='@')}/calendar", {"$select": "id"})
        if response.status == 200:
            return CalendarCheck(CalendarAccess.REACHABLE, 200)
        code, message = _graph_error(response.body)
        if response.status == 404 and code in NO_MAILBOX_CODES:
            return CalendarCheck(CalendarAccess.NO_MAILBOX, 404, code, message)
        if response.status == 403:
            return CalendarCheck(CalendarAccess.ACCESS_DENIED, 403, code, message)
        error = Refusal if response.status == 401 else UpstreamError
        raise error(
            GRAPH, f"answered HTTP {response.status} for the calendar{_quoted(code, message)}",
            status=response.status, code=code,
        )


def _forget_tokens(app: msal.ConfidentialClientApplication) -> None:
    """What ``remove_tokens_for_client`` does, without its alias lookup: with instance discovery on,
    that asks Microsoft's discovery endpoint, a request a token needs no more. The app's cache is
    its tenant authority's alone, so every access token in it goes."""
    cache = app.token_cache
    for token in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
        cache.remove_at(token)


def _token_error(result: dict) -> tuple[str | None, str]:
    """The AADSTS code and Microsoft's description, without its trace, correlation and time lines."""
    description = str(result.get("error_description") or "")
    description = re.split(r"\r?\n| Trace ID: ", description, maxsplit=1)[0].strip()[:400]
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and str(codes[0]).isdigit():
        return f"AADSTS{codes[0]}", description
    found = _AADSTS.search(description)
    return (f"AADSTS{found.group(1)}" if found else None), description


def _graph_error(body) -> tuple[str | None, str | None]:
    """Graph's ``{"error": {"code", "message"}}``, as far as it is there."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (str(code) if code else None), (str(message)[:400] if message else None)


def _quoted(code: str | None, message: str | None) -> str:
    return "".join(f": {part}" for part in (code, message) if part)


def _claims(jwt: str) -> dict:
    """The token's payload. It came straight from the authority over TLS, so no signature check."""
    try:
        payload = jwt.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def _safe(exc: Exception) -> str:
    # Exception texts from HTTP clients can carry URLs with query strings; keep only the type.
    return type(exc).__name__
