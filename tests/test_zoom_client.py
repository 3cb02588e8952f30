"""The Zoom client against the fake Zoom over real HTTP."""

from __future__ import annotations

import pytest

from bot.clients.errors import UpstreamError
from bot.clients.http import client_session
from bot.clients.zoom import ZoomClient, ZoomUser
from tests.harness import FAST_RETRIES, zoom_client

FAST = FAST_RETRIES


@pytest.fixture
async def client(zoom):
    async with client_session(None, timeout=5) as session:
        yield zoom_client(session, zoom, api_url=f"{zoom.url}/v2/", policy=FAST)  # a trailing slash is fine too


async def test_groups_follow_every_page_with_one_cached_token(zoom, client):
    zoom.add_groups([f"Group {i:04}" for i in range(700)])
    groups = await client.groups()
    assert len(groups) == 700 and len({g.id for g in groups}) == 700
    assert len(zoom.calls("/v2/groups")) == 3  # 300 + 300 + 100
    await client.groups()
    assert zoom.tokens_issued == 1, "the token is reused until shortly before it expires"
    token_request = zoom.calls("/oauth/token")[0]
    assert token_request.query["grant_type"] == "account_credentials"
    assert token_request.query["account_id"] == zoom.account_id
    assert token_request.headers["Authorization"].startswith("Basic ")


async def test_users_come_with_role_id_status_and_groups(zoom, client):
    boss = zoom.add_user("Boss@Example.com", role_name="Owner")
    zoom.users["boss@example.com"]["group_ids"] = ["g1", "g2"]  # as Zoom's GET /users/{email} lists them
    zoom.add_user("plain@example.com", role_name="Member")
    assert await client.user("boss@example.com") == ZoomUser(boss["id"], "Boss@Example.com", "0", "active", ("g1", "g2"))
    assert (await client.user("plain@example.com")).role_id == "2"
    assert await client.user("nobody@example.com") is None


def test_only_active_owners_and_admins_by_role_id():
    def user(role_id: str, status: str = "active") -> ZoomUser:
        return ZoomUser("id", "a@example.com", role_id, status)

    assert user("0").is_owner_or_admin and user("1").is_owner_or_admin
    assert not user("2").is_owner_or_admin and not user("").is_owner_or_admin
    assert not user("1", "inactive").is_owner_or_admin and not user("0", "pending").is_owner_or_admin


async def test_an_expired_token_is_refreshed_once(zoom, client):
    zoom.add_groups(["A"])
    await client.groups()
    zoom.expire_tokens()
    assert [g.name for g in await client.groups()] == ["A"]
    assert zoom.tokens_issued == 2


async def test_bad_credentials_name_zoom_and_the_variables(zoom):
    async with client_session(None, timeout=5) as session:
        client = zoom_client(session, zoom, client_id="wrong", client_secret="wrong", policy=FAST)
        with pytest.raises(UpstreamError) as caught:
            await client.groups()
    assert caught.value.service == "Zoom" and "ZOOM_CLIENT_ID" in caught.value.message


async def test_rate_limits_and_server_errors_are_retried(zoom, client):
    zoom.add_groups(["A"])
    zoom.fail_next("/v2/groups", 429, {"code": 429, "message": "Too many requests"}, headers={"Retry-After": "0"})
    zoom.fail_next("/v2/groups", 503, "unavailable")
    assert [g.name for g in await client.groups()] == ["A"]


async def test_giving_up_names_zoom(zoom, client):
    zoom.fail_next("/v2/groups", 500, "boom", times=10)
    with pytest.raises(UpstreamError) as caught:
        await client.groups()
    assert caught.value.service == "Zoom" and "try again" in caught.value.message


async def test_unreachable_zoom_is_an_upstream_error():
    async with client_session(None, timeout=2) as session:
        client = ZoomClient(
            session, account_id="a", client_id="b", client_secret="c",
            api_url="http://127.0.0.1:9/v2", oauth_url="http://127.0.0.1:9/oauth/token", policy=FAST,
        )
        with pytest.raises(UpstreamError) as caught:
            await client.user("x@example.com")
    assert caught.value.service == "Zoom" and "could not be reached" in caught.value.message


async def test_permissions_of_builtin_and_custom_roles(zoom, client):
    zoom.add_role("Calendar Admin", ["AccountSetting:Read", "AccountSetting:Edit"])
    owner = zoom.add_user("owner@example.com", role_name="Owner")
    custom = zoom.add_user("cal@example.com", role_name="Calendar Admin")
    member = zoom.add_user("m@example.com")
    assert {"AccountSetting:Edit", "Group:Edit"} <= await client.permissions(owner["id"])
    assert await client.permissions(custom["id"]) == {"AccountSetting:Read", "AccountSetting:Edit"}
    assert await client.permissions(member["email"]) == frozenset()
    assert await client.permissions("gone@example.com") == frozenset(), "a user Zoom no longer knows holds none"
    zoom.fail_next("/permissions", status=500, times=10)
    with pytest.raises(UpstreamError):
        await client.permissions(member["id"])


async def test_group_admins_follow_every_page(zoom, client):
    group = zoom.add_group("Sales")
    for i in range(650):
        zoom.add_group_admin(group, f"Admin{i}@Example.com")
    admins = [a async for a in client.group_admins(group)]
    assert len(admins) == 650 and admins[0][1] == "admin0@example.com" and all(a[0] for a in admins)
    assert len(zoom.calls("/admins")) == 3
    assert [a async for a in client.group_admins("no-such-group")] == []
