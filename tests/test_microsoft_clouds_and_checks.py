"""The Microsoft client's scope per cloud, its calendar check, and definite refusals, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from urllib.parse import parse_qs, urlsplit

import aiohttp
import msal
import pytest
import trustme

from bot.clients.microsoft import CredentialError
from bot.clients.errors import Refusal, UpstreamError
from bot.clients.http import client_session, ssl_context
from bot.clients.microsoft import CalendarAccess, graph_scope
from bot.config import MICROSOFT_AUTHORITY_HOSTS
from bot.sandbox.microsoft import Mailbox
from tests.fakes import FakeMicrosoft
from tests.harness import FAST_RETRIES, microsoft_client

FAST = FAST_RETRIES
CLOUDS = {  # (MS_AUTHORITY_HOST, MS_GRAPH_URL) as docs/configuration.md's table gives them
    "US Government L4": ("https://login.microsoftonline.us", "https://graph.microsoft.us/v1.0"),
    "US Government L5 (DoD)": ("https://login.microsoftonline.us", "https://dod-graph.microsoft.us/v1.0"),
    "21Vianet": ("https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/v1.0"),
}


@pytest.fixture
async def client(microsoft):
    async with client_session(microsoft.ca_path, timeout=5) as session:
        yield microsoft_client(session, microsoft)


# the scope follows MS_GRAPH_URL ------------------------------------------------------------------


def test_the_scope_is_the_origin_of_the_graph_url():
    assert graph_scope("https://graph.microsoft.com/v1.0") == "https://graph.microsoft.com/.default"
    for _, graph in CLOUDS.values():
        assert graph_scope(graph) == graph.removesuffix("/v1.0") + "/.default"
    assert graph_scope("http://127.0.0.1:8443/v1.0/") == "http://127.0.0.1:8443/.default", "the port is kept"
    assert graph_scope("https://user:pw@proxy.example:8443/graph/v1.0") == "https://proxy.example:8443/.default"


async def test_consent_link_and_token_ask_for_the_configured_graph(client, microsoft):
    tenant = microsoft.add_tenant()
    assert parse_qs(urlsplit(client.consent_url("s")).query)["scope"] == [f"{microsoft.url}/.default"]
    token = await client.app_token(tenant)
    assert token.tenant_id == tenant
    [request] = microsoft.calls("/oauth2/v2.0/token")
    assert request.form()["scope"] == f"{microsoft.url}/.default"


async def test_the_fake_refuses_another_clouds_graph(microsoft):
    """Served elsewhere, the global Graph's scope is an unknown resource: the scope really matters."""
    tenant = microsoft.add_tenant(display_name="Contoso")
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft, graph_url="https://graph.microsoft.com/v1.0")
        with pytest.raises(Refusal) as caught:
            await client.app_token(tenant)
    assert caught.value.code == "AADSTS500011" and "graph.microsoft.com" in caught.value.message


def test_microsoft_hosts_are_the_ones_msal_knows():
    """For these hosts instance discovery stays on the host itself (MSAL asks login.microsoftonline.com
    about any host it does not know, which would be a request to a host nobody configured)."""
    assert MICROSOFT_AUTHORITY_HOSTS <= msal.authority.WELL_KNOWN_AUTHORITY_HOSTS
    for authority, _ in CLOUDS.values():
        assert urlsplit(authority).hostname in MICROSOFT_AUTHORITY_HOSTS


class ConnectProxy:
    """An HTTPS proxy (CONNECT) that tunnels every host to one local server and records the hosts asked."""

    def __init__(self, port: int):
        self.port = port
        self.targets: list[str] = []
        self._tasks: set[asyncio.Task] = set()

    async def __aenter__(self) -> ConnectProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader, writer) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            method, target, _ = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[0].decode().split(" ")
            if method != "CONNECT":
                writer.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.targets.append(target)
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            self._tasks.discard(task)


async def _pipe(reader, writer) -> None:
    with contextlib.suppress(ConnectionError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.close()


@pytest.mark.parametrize("cloud", list(CLOUDS))
async def test_a_national_cloud_end_to_end(tmp_path, cloud):
    """The client configured as docs/configuration.md says reaches only that cloud's two hosts, with its scope,
    instance discovery on (as for every host in MICROSOFT_AUTHORITY_HOSTS)."""
    authority, graph = CLOUDS[cloud]
    ca = trustme.CA()
    names = sorted({urlsplit(url).hostname for pair in CLOUDS.values() for url in pair})
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(server)
    ca_path = tmp_path / "national-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    async with FakeMicrosoft(ssl_context=server) as microsoft, ConnectProxy(int(microsoft.url.rsplit(":", 1)[1])) as proxy:
        microsoft.graph_origin_override = graph.removesuffix("/v1.0")
        tenant = microsoft.add_tenant(display_name="Agency", domains=("agency.onmicrosoft.us",))
        microsoft.add_user(tenant, "officer@agency.onmicrosoft.us")
        connector = aiohttp.TCPConnector(ssl=ssl_context(ca_path))
        async with aiohttp.ClientSession(connector=connector, proxy=proxy.url) as session:
            client = microsoft_client(
                session, microsoft, authority_host=authority, graph_url=graph, discover_instances=True
            )
            consent = urlsplit(client.consent_url("s"))
            assert f"{consent.scheme}://{consent.netloc}" == authority
            assert parse_qs(consent.query)["scope"] == [graph_scope(graph)]
            token = await client.app_token(tenant)
            assert (await client.organization(token)).display_name == "Agency"
            check = await client.calendar(token, "officer@agency.onmicrosoft.us")
            assert check.access is CalendarAccess.REACHABLE
    host = lambda url: f"{urlsplit(url).hostname}:443"  # noqa: E731
    assert set(proxy.targets) == {host(authority), host(graph)}, "no other host was asked"
    [token_request] = microsoft.calls("/oauth2/v2.0/token")
    assert token_request.form()["scope"] == graph_scope(graph)
    assert token_request.header("Host") == urlsplit(authority).hostname
    # A host MSAL knows needs no instance discovery, and client credentials skip its alias lookup.
    assert {r.path.split("/", 2)[-1] for r in microsoft.requests} == {
        "v2.0/.well-known/openid-configuration", "oauth2/v2.0/token", "organization",
        "users/officer@agency.onmicrosoft.us/calendar",
    }


# the calendar check ------------------------------------------------------------------------------


async def test_calendar_answers_in_the_contracts_words(client, microsoft):
    tenant = microsoft.add_tenant(display_name="Contoso", domains=("contoso.com",))
    other = microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.com",))
    microsoft.add_user(tenant, "ada@contoso.com")
    microsoft.add_user(tenant, "onprem@contoso.com", Mailbox.NONE)
    microsoft.add_user(tenant, "vip@contoso.com", Mailbox.BLOCKED)
    microsoft.add_user(other, "elsewhere@fabrikam.com")
    token = await client.app_token(tenant)

    reachable = await client.calendar(token, "Ada@Contoso.com")
    assert (reachable.access, reachable.status, reachable.code) == (CalendarAccess.REACHABLE, 200, None)

    no_mailbox = await client.calendar(token, "onprem@contoso.com")
    assert no_mailbox.access is CalendarAccess.NO_MAILBOX
    assert no_mailbox.code == "MailboxNotEnabledForRESTAPI" and "hosted on-premise" in no_mailbox.message

    for unknown in ("nobody@contoso.com", "elsewhere@fabrikam.com"):  # another tenant's user is unknown here
        answer = await client.calendar(token, unknown)
        assert (answer.access, answer.code) == (CalendarAccess.NO_MAILBOX, "Request_ResourceNotFound")
        assert unknown in answer.message

    denied = await client.calendar(token, "vip@contoso.com")
    assert (denied.access, denied.status) == (CalendarAccess.ACCESS_DENIED, 403)
    assert (denied.code, denied.message) == ("ErrorAccessDenied", "Access to OData is disabled.")
    assert all(r.header("Authorization") == f"Bearer {token.access_token}" for r in microsoft.calls("/calendar"))


async def test_calendar_quotes_the_address_in_the_path(client, microsoft):
    tenant = microsoft.add_tenant()
    guest = "ada_example.com#EXT#@contoso.onmicrosoft.com"  # how Entra names a guest
    microsoft.add_user(tenant, guest)
    token = await client.app_token(tenant)
    assert (await client.calendar(token, guest)).access is CalendarAccess.REACHABLE
    assert microsoft.calls("/calendar")[-1].path == f"/v1.0/users/{guest}/calendar"
    answer = await client.calendar(token, "a/b?c@contoso.com")  # stays one path segment
    assert answer.code == "Request_ResourceNotFound" and "'a/b?c@contoso.com'" in answer.message
    for bad in ("..", ".", "no-at-sign", "two words@contoso.com", ""):
        with pytest.raises(ValueError):
            await client.calendar(token, bad)


async def test_calendar_with_a_token_without_roles_is_access_denied(client, microsoft):
    bare = microsoft.add_tenant(display_name="Bare", roles=())
    microsoft.add_user(bare, "ada@contoso.onmicrosoft.com")
    token = await client.app_token(bare)
    answer = await client.calendar(token, "ada@contoso.onmicrosoft.com")
    assert (answer.access, answer.code) == (CalendarAccess.ACCESS_DENIED, "ErrorAccessDenied")


async def test_calendar_with_an_expired_token_is_a_refusal(client, microsoft):
    tenant = microsoft.add_tenant()
    microsoft.add_user(tenant, "ada@contoso.onmicrosoft.com")
    token = await client.app_token(tenant)
    microsoft.expire_tokens()
    with pytest.raises(Refusal) as caught:
        await client.calendar(token, "ada@contoso.onmicrosoft.com")
    assert caught.value.status == 401 and caught.value.code == "InvalidAuthenticationToken"
    assert caught.value.service == "Microsoft Graph" and caught.value.definite


async def test_calendar_retries_then_names_graph_and_the_status(client, microsoft):
    tenant = microsoft.add_tenant()
    microsoft.add_user(tenant, "ada@contoso.onmicrosoft.com")
    token = await client.app_token(tenant)
    microsoft.fail_next("/calendar", 429, {"error": {"code": "TooManyRequests", "message": "slow"}}, headers={"Retry-After": "0"})
    assert (await client.calendar(token, "ada@contoso.onmicrosoft.com")).access is CalendarAccess.REACHABLE
    microsoft.fail_next("/calendar", 503, "unavailable", times=FAST.attempts)
    with pytest.raises(UpstreamError) as caught:
        await client.calendar(token, "ada@contoso.onmicrosoft.com")
    assert (caught.value.service, caught.value.status, caught.value.definite) == ("Microsoft Graph", 503, False)
    microsoft.fail_next("/calendar", 400, {"error": {"code": "BadRequest", "message": "Invalid request"}})
    with pytest.raises(UpstreamError) as caught:
        await client.calendar(token, "ada@contoso.onmicrosoft.com")
    assert "HTTP 400" in caught.value.message and "BadRequest" in caught.value.message
    assert not caught.value.definite


# definite refusals versus "try later" --------------------------------------------------------------


async def test_a_removed_service_principal_is_a_refusal_with_the_aadsts_code(client, microsoft):
    tenant = microsoft.add_tenant()
    await client.app_token(tenant)
    microsoft.revoke_consent(tenant)
    with pytest.raises(Refusal) as caught:
        await client.app_token(tenant)
    error = caught.value
    assert (error.service, error.code, error.definite) == ("Microsoft", "AADSTS7000229", True)
    assert f"missing service principal in the tenant {tenant}" in error.message and "invalid_client" in error.message
    assert "Trace ID" not in error.message
    assert len(microsoft.calls("/oauth2/v2.0/token")) == 2, "a refusal is not retried"
    microsoft.restore_consent(tenant)
    assert (await client.app_token(tenant)).tenant_id == tenant


async def test_permissions_removed_but_app_kept_gives_tokens_without_roles(client, microsoft):
    tenant = microsoft.add_tenant()
    microsoft.revoke_consent(tenant, remove_app=False)
    assert (await client.app_token(tenant)).roles == ()
    microsoft.restore_consent(tenant)
    assert "Calendars.ReadWrite" in (await client.app_token(tenant)).roles


async def test_other_refusals_carry_their_codes(client, microsoft):
    never = microsoft.add_tenant(display_name="Tailspin", consented=False)
    with pytest.raises(Refusal) as caught:
        await client.app_token(never)
    assert caught.value.code == "AADSTS700016"
    with pytest.raises(Refusal) as caught:
        await client.app_token("00000000-0000-0000-0000-000000000000")
    assert caught.value.code == "AADSTS90002" and caught.value.status == 400
    with pytest.raises(Refusal) as caught:
        await client.app_token("not a tenant")
    assert caught.value.code == "invalid_tenant"
    microsoft.client_secret = "rotated"
    with pytest.raises(CredentialError) as caught:  # zoomcal's own credential: not the tenant's refusal
        await client.app_token(never)
    assert caught.value.code == "AADSTS7000215" and not caught.value.definite


async def test_outages_are_not_definite(client, microsoft):
    tenant = microsoft.add_tenant()
    microsoft.fail_next("/oauth2/v2.0/token", 503, "down", times=10)
    with pytest.raises(UpstreamError) as caught:
        await client.app_token(tenant)
    assert not caught.value.definite and not isinstance(caught.value, Refusal)
    microsoft.fail_next("openid-configuration", 429, "slow down", times=10)
    with pytest.raises(UpstreamError) as caught:
        await client.app_token(tenant)
    assert not caught.value.definite
    microsoft.latency = 1.0
    async with client_session(microsoft.ca_path, timeout=5) as session:
        with pytest.raises(UpstreamError) as caught:
            await microsoft_client(session, microsoft, timeout=0.2).app_token(tenant)
    assert not caught.value.definite and "could not be reached" in caught.value.message


async def test_graph_401_and_403_on_the_organization_are_definite(client, microsoft):
    bare = microsoft.add_tenant(display_name="Bare", roles=())
    with pytest.raises(Refusal) as caught:
        await client.organization(await client.app_token(bare))
    assert (caught.value.status, caught.value.code) == (403, "Authorization_RequestDenied")
    tenant = microsoft.add_tenant()
    token = await client.app_token(tenant)
    microsoft.expire_tokens()
    with pytest.raises(Refusal) as caught:
        await client.organization(token)
    assert (caught.value.status, caught.value.code) == (401, "InvalidAuthenticationToken")
    microsoft.fail_next("/v1.0/organization", 500, "boom", times=10)
    with pytest.raises(UpstreamError) as caught:
        await client.organization(token)
    assert not caught.value.definite
