"""The fakes answer real clients (slack_sdk, msal, aiohttp) the way the real services do."""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from urllib.parse import parse_qs, quote, urlsplit

import aiohttp
import jwt
import msal
import pytest
import requests
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes import FakeMicrosoft, FakeSlack, FakeZoom, make_tls

pytestmark = pytest.mark.asyncio

# Slack ------------------------------------------------------------------------------------------


@pytest.fixture
async def slack():
    async with FakeSlack(trigger_ttl=0.3) as fake:
        yield fake


async def test_slack_sdk_talks_to_fake_slack(slack):
    slack.add_user("U1", "ada@example.com", name="Ada")
    client = AsyncWebClient(base_url=slack.url + "/api/", token=slack.bot_token)

    auth = await client.auth_test()
    assert (auth["team_id"], auth["user_id"]) == ("T0001", "UBOT")

    user = (await client.users_info(user="U1"))["user"]
    assert user["profile"]["email"] == "ada@example.com" and user["deleted"] is False
    with pytest.raises(SlackApiError) as caught:
        await client.users_info(user="U404")
    assert caught.value.response["error"] == "user_not_found"

    view = {"type": "modal", "title": {"type": "plain_text", "text": "Hi"}, "blocks": [], "private_metadata": "m1"}
    trigger = slack.new_trigger_id()
    opened = (await client.views_open(trigger_id=trigger, view=view))["view"]
    assert opened["id"].startswith("V") and slack.views[opened["id"]]["private_metadata"] == "m1"
    assert slack.opened_views == [opened]
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=trigger, view=view)
    assert caught.value.response["error"] == "invalid_trigger_id", "a trigger works once"
    stale = slack.new_trigger_id()
    await asyncio.sleep(0.4)
    with pytest.raises(SlackApiError) as caught:
        await client.views_open(trigger_id=stale, view=view)
    assert caught.value.response["error"] == "expired_trigger_id"

    await client.views_update(view_id=opened["id"], view=view | {"private_metadata": "m2"})
    assert slack.views[opened["id"]]["private_metadata"] == "m2"
    assert (await slack.wait_view(lambda v: v["private_metadata"] == "m2"))["id"] == opened["id"]

    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
    posted = await client.chat_postMessage(channel="U1", text="hello", blocks=blocks)
    assert posted["ts"]
    message = await slack.wait_message(lambda m: m["text"] == "hello")
    assert message["blocks"] == blocks and slack.dms("U1") == [message]

    with pytest.raises(SlackApiError) as caught:
        await AsyncWebClient(base_url=slack.url + "/api/", token="xoxb-wrong").auth_test()
    assert caught.value.response["error"] == "invalid_auth"


async def test_slack_response_url(slack):
    url = slack.new_response_url()
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"text": "done", "replace_original": True}) as response:
            assert response.status == 200 and await response.text() == "ok"
    answer = await slack.wait_response()
    assert answer == {"text": "done", "replace_original": True, "_response_url": url}


# Microsoft --------------------------------------------------------------------------------------


@pytest.fixture
async def tls(tmp_path):
    return make_tls(tmp_path)


@pytest.fixture
async def microsoft(tls):
    async with FakeMicrosoft(ssl_context=tls.server_context) as fake:
        yield fake


def msal_token(microsoft: FakeMicrosoft, tenant: str, ca_path, secret: str | None = None) -> dict:
    session = requests.Session()
    session.verify = str(ca_path)
    session.trust_env = False  # else REQUESTS_CA_BUNDLE in the environment would override verify
    app = msal.ConfidentialClientApplication(
        microsoft.client_id,
        client_credential=secret or microsoft.client_secret,
        authority=f"{microsoft.url}/{tenant}",
        instance_discovery=False,
        http_client=session,
    )
    return app.acquire_token_for_client([microsoft.graph_scope])


async def graph_organization(microsoft: FakeMicrosoft, ca_path, token: str) -> tuple[int, dict]:
    context = ssl.create_default_context(cafile=str(ca_path))
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{microsoft.url}/v1.0/organization", headers={"Authorization": f"Bearer {token}"}, ssl=context
        ) as response:
            return response.status, await response.json()


async def test_msal_gets_an_app_token_and_graph_answers(microsoft, tls):
    assert microsoft.url.startswith("https://127.0.0.1:")
    tenant = microsoft.add_tenant(display_name="Contoso", domains=("contoso.onmicrosoft.com", "contoso.com"))
    result = await asyncio.to_thread(msal_token, microsoft, tenant, tls.ca_path)
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["tid"] == tenant and claims["appid"] == "ms-client"
    assert claims["aud"] == microsoft.url, "tokens are for this server's own Graph"
    assert "Calendars.ReadWrite" in claims["roles"]
    assert microsoft.tokens_issued == 1

    status, body = await graph_organization(microsoft, tls.ca_path, result["access_token"])
    assert status == 200
    [org] = body["value"]
    assert org["id"] == tenant and org["displayName"] == "Contoso"
    assert [(d["name"], d["isDefault"]) for d in org["verifiedDomains"]] == [
        ("contoso.onmicrosoft.com", True), ("contoso.com", False)
    ]

    by_domain = await asyncio.to_thread(msal_token, microsoft, "contoso.com", tls.ca_path)
    assert jwt.decode(by_domain["access_token"], options={"verify_signature": False})["tid"] == tenant

    microsoft.expire_tokens()
    status, body = await graph_organization(microsoft, tls.ca_path, result["access_token"])
    assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"


async def test_microsoft_refusals(microsoft, tls):
    bare = microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.onmicrosoft.com",), roles=())
    result = await asyncio.to_thread(msal_token, microsoft, bare, tls.ca_path)
    assert "roles" not in jwt.decode(result["access_token"], options={"verify_signature": False})
    status, body = await graph_organization(microsoft, tls.ca_path, result["access_token"])
    assert status == 403 and body["error"]["code"] == "Authorization_RequestDenied"

    wrong = await asyncio.to_thread(msal_token, microsoft, bare, tls.ca_path, "nope")
    assert wrong["error"] == "invalid_client" and "AADSTS7000215" in wrong["error_description"]

    absent = microsoft.add_tenant(display_name="Tailspin", domains=("tailspin.onmicrosoft.com",), consented=False)
    refused = await asyncio.to_thread(msal_token, microsoft, absent, tls.ca_path)
    assert refused["error"] == "unauthorized_client" and "AADSTS700016" in refused["error_description"]

    context = ssl.create_default_context(cafile=str(tls.ca_path))
    async with aiohttp.ClientSession() as http:
        unknown = f"{microsoft.url}/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration"
        async with http.get(unknown, ssl=context) as response:
            assert response.status == 400 and (await response.json())["error"] == "invalid_tenant"


async def test_consent_page_redirects_with_the_admins_tenant(microsoft, tls):
    home = microsoft.add_tenant()
    microsoft.add_tenant(display_name="Other", domains=("other.onmicrosoft.com",))
    context = ssl.create_default_context(cafile=str(tls.ca_path))
    params = {"client_id": microsoft.client_id, "scope": microsoft.graph_scope, "redirect_uri": "https://bot.example/cb",
              "state": "s1"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{microsoft.url}/organizations/v2.0/adminconsent", params=params, ssl=context) as page:
            assert page.status == 200 and "Permissions requested" in await page.text()
        for decision in ("accept", "cancel"):
            async with http.post(
                f"{microsoft.url}/organizations/v2.0/adminconsent/decision", data=params | {"decision": decision},
                ssl=context, allow_redirects=False,
            ) as answer:
                assert answer.status == 302
                location = urlsplit(answer.headers["Location"])
                query = {k: v[0] for k, v in parse_qs(location.query).items()}
                assert f"{location.scheme}://{location.netloc}{location.path}" == "https://bot.example/cb"
                assert query == microsoft.callback_query(home, "s1", accept=decision == "accept")
        async with http.get(
            f"{microsoft.url}/organizations/v2.0/adminconsent", params=params | {"client_id": "x"}, ssl=context
        ) as page:
            assert page.status == 400


# Zoom -------------------------------------------------------------------------------------------


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def zoom_token(http: aiohttp.ClientSession, zoom: FakeZoom) -> str:
    async with http.post(
        f"{zoom.url}/oauth/token", params={"grant_type": "account_credentials", "account_id": zoom.account_id},
        headers=basic(zoom.client_id, zoom.client_secret),
    ) as response:
        assert response.status == 200
        return (await response.json())["access_token"]


async def test_zoom_token_and_group_pages():
    async with FakeZoom() as zoom, aiohttp.ClientSession() as http:
        zoom.add_groups(f"Group {i}" for i in range(700))
        zoom.add_user("Ada.Admin+x@example.com", role_name="Admin")
        async with http.post(f"{zoom.url}/oauth/token", headers=basic("zcid", "wrong")) as response:
            assert response.status == 401 and (await response.json())["error"] == "invalid_client"
        token = await zoom_token(http, zoom)
        assert zoom.tokens_issued == 1
        headers = {"Authorization": f"Bearer {token}"}

        names, next_token, pages = [], "", 0
        while True:
            params = {"page_size": 1000} | ({"next_page_token": next_token} if next_token else {})
            async with http.get(f"{zoom.url}/v2/groups", params=params, headers=headers) as response:
                page = await response.json()
            pages += 1
            assert page["page_size"] == 300 and page["total_records"] == 700
            names += [g["name"] for g in page["groups"]]
            next_token = page["next_page_token"]
            if not next_token:
                break
        assert pages == 3 and names == [f"Group {i}" for i in range(700)]

        async with http.get(f"{zoom.url}/v2/users/{quote('ada.admin+x@EXAMPLE.com', safe='')}", headers=headers) as r:
            assert r.status == 200 and (await r.json())["role_id"] == "1"
        async with http.get(f"{zoom.url}/v2/users/nobody%40example.com", headers=headers) as r:
            assert r.status == 404 and (await r.json())["code"] == 1001

        zoom.expire_tokens()
        async with http.get(f"{zoom.url}/v2/groups", headers=headers) as r:
            assert r.status == 401 and (await r.json())["code"] == 124


# Shared machinery ---------------------------------------------------------------------------------


async def test_failure_injection_latency_and_waiting():
    async with FakeZoom() as zoom, aiohttp.ClientSession() as http:
        zoom.fail_next("/oauth/token", 503, {"error": "busy"}, headers={"Retry-After": "1"}, times=2)
        for _ in range(2):
            async with http.post(f"{zoom.url}/oauth/token") as response:
                assert response.status == 503 and response.headers["Retry-After"] == "1"
                assert await response.json() == {"error": "busy"}
        assert await zoom_token(http, zoom)
        assert len(zoom.calls("/oauth/token")) == 3
        assert zoom.calls("/oauth/token")[-1].args()["grant_type"] == "account_credentials"

        zoom.latency = 0.2
        started = time.monotonic()
        async with http.get(f"{zoom.url}/v2/groups") as response:
            assert response.status == 401
        assert time.monotonic() - started >= 0.2

        assert len(await zoom.wait_for("/v2/groups")) == 1
        with pytest.raises(AssertionError, match="/v2/users"):
            await zoom.wait_for("/v2/users", timeout=0.1)
