"""MSAL and Graph against the fake Microsoft over TLS with a CA the test made."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.clients.errors import UpstreamError
from bot.clients.http import client_session
from bot.clients.microsoft import valid_tenant
from tests.harness import free_port, microsoft_client


@pytest.fixture
async def client(microsoft):
    async with client_session(microsoft.ca_path, timeout=5) as session:
        yield microsoft_client(session, microsoft)


def test_consent_url_has_the_contract_shape(client, microsoft):
    url = client.consent_url("st4te")
    assert url.startswith(f"{microsoft.url}/organizations/v2.0/adminconsent?client_id=")
    query = parse_qs(urlsplit(url).query)
    assert query == {
        "client_id": [microsoft.client_id],
        "scope": [f"{microsoft.url}/.default"],  # the origin of the Graph URL
        "redirect_uri": ["https://bot.example.com/microsoft/callback"],
        "state": ["st4te"],
    }
    assert "redirect_uri=https://bot.example.com/microsoft/callback" in url


async def test_app_token_and_organization(client, microsoft):
    tenant = microsoft.add_tenant(display_name="Contoso", domains=("contoso.onmicrosoft.com", "contoso.com"))
    token = await client.app_token(tenant)
    assert token.tenant_id == tenant
    assert "Calendars.ReadWrite" in token.roles
    assert token.access_token in token.cache, "the serialized MSAL cache holds the token"
    organization = await client.organization(token)
    assert organization.display_name == "Contoso"
    assert organization.domains[0] == "contoso.onmicrosoft.com"
    assert token.access_token not in repr(token)
    # Only the configured host was asked: discovery against Microsoft's hosts is off.
    assert all(r.path.startswith((f"/{tenant}/", "/v1.0/")) for r in microsoft.requests)


async def test_a_tenant_without_consent_has_no_roles(client, microsoft):
    tenant = microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.onmicrosoft.com",), roles=())
    token = await client.app_token(tenant)
    assert token.roles == ()


async def test_unknown_tenant_and_wrong_secret_are_upstream_errors(client, microsoft):
    with pytest.raises(UpstreamError) as caught:
        await client.app_token("00000000-0000-0000-0000-000000000000")
    assert caught.value.service == "Microsoft"
    microsoft.client_secret = "rotated"
    tenant = microsoft.add_tenant()
    with pytest.raises(UpstreamError) as caught:
        await client.app_token(tenant)
    assert "invalid_client" in caught.value.message


def test_tenant_validation():
    assert valid_tenant("72f988bf-86f1-41af-91ab-2d7cd011db47")
    assert valid_tenant("contoso.onmicrosoft.com")
    for bad in ("", "../x", "a b", "contoso", "x" * 300, "72f988bf/../../"):
        assert not valid_tenant(bad)


@pytest.mark.parametrize(
    "status, body",
    [(503, "Service Unavailable"), (429, {"error": "temporarily_unavailable", "error_description": "slow down"}),
     (500, {"error": "server_error", "error_description": "AADSTS50000"})],
)
async def test_token_endpoint_hiccups_are_retried(client, microsoft, status, body):
    tenant = microsoft.add_tenant()
    microsoft.fail_next("/oauth2/v2.0/token", status, body, headers={"Retry-After": "0"})
    token = await client.app_token(tenant)
    assert token.tenant_id == tenant
    assert len(microsoft.calls("/oauth2/v2.0/token")) == 2, "MSAL's memory of the failure did not replay it"


async def test_metadata_outage_is_retried(client, microsoft):
    tenant = microsoft.add_tenant()
    microsoft.fail_next("openid-configuration", 503, "down")
    assert (await client.app_token(tenant)).tenant_id == tenant


async def test_a_lasting_outage_gives_up_naming_microsoft(client, microsoft):
    tenant = microsoft.add_tenant()
    microsoft.fail_next("/oauth2/v2.0/token", 503, "down", times=10)
    with pytest.raises(UpstreamError) as caught:
        await client.app_token(tenant)
    assert caught.value.service == "Microsoft" and "try again" in caught.value.message


async def test_graph_hiccups_are_retried(client, microsoft):
    tenant = microsoft.add_tenant(display_name="Contoso")
    token = await client.app_token(tenant)
    microsoft.fail_next("/v1.0/organization", 429, {"error": {"code": "TooManyRequests"}}, headers={"Retry-After": "0"})
    microsoft.fail_next("/v1.0/organization", 502, "bad gateway")
    assert (await client.organization(token)).display_name == "Contoso"


async def test_an_unreachable_authority_is_retried_then_named(microsoft):
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft, authority_host=f"https://127.0.0.1:{free_port()}", timeout=2)
        with pytest.raises(UpstreamError) as caught:
            await client.app_token(microsoft.add_tenant())
    assert caught.value.service == "Microsoft" and "could not be reached" in caught.value.message


async def test_a_hanging_authority_times_out(microsoft):
    microsoft.latency = 2.0
    async with client_session(microsoft.ca_path, timeout=30) as session:
        client = microsoft_client(session, microsoft, timeout=0.3)
        started = time.monotonic()
        with pytest.raises(UpstreamError) as caught:
            await client.app_token(microsoft.add_tenant())
    assert "could not be reached" in caught.value.message
    assert time.monotonic() - started < 1.9, "each attempt gave up after its own timeout, not the fake's delay"


async def test_tenants_whose_app_cannot_be_built_leave_nothing_behind(client, microsoft):
    """Unknown tenants (a consent callback may name any): each failed build is forgotten, so a
    long run of them grows no memory beyond the bounded apps."""
    for i in range(5):
        with pytest.raises(UpstreamError):
            await client.app_token(f"00000000-0000-0000-0000-00000000000{i}")
    assert len(client._building) == 0 and len(client._apps) == 0
    tenant = microsoft.add_tenant()
    await client.app_token(tenant)
    assert len(client._building) == 0 and len(client._apps) == 1
