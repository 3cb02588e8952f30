"""Zoom's member and user lists, paged, against the fake Zoom over real HTTP."""

from __future__ import annotations

import base64
import time

import aiohttp
import pytest

from bot.clients.errors import UpstreamError
from bot.clients.http import client_session
from bot.clients.zoom import domain_counts
from tests.harness import FAST_RETRIES, zoom_client

FAST = FAST_RETRIES


@pytest.fixture
async def client(zoom):
    async with client_session(None, timeout=5) as session:
        yield zoom_client(session, zoom, policy=FAST)


async def collect(emails) -> list[str]:
    return [email async for email in emails]


async def test_group_members_follow_every_page(zoom, client):
    sales, support = zoom.add_groups(["Sales", "Support"])
    zoom.add_members(sales, [f"rep{i:03}@contoso.com" for i in range(700)])
    zoom.add_members(support, ["agent@contoso.com", "rep001@contoso.com"])
    members = await collect(client.group_members(sales))
    assert members == [f"rep{i:03}@contoso.com" for i in range(700)], "every member once, in Zoom's order"
    pages = zoom.calls(f"/v2/groups/{sales}/members")
    assert [r.query.get("page_size") for r in pages] == ["300"] * 3
    assert [r.query.get("next_page_token") for r in pages] == [None, "300", "600"]
    assert await collect(client.group_members(support)) == ["agent@contoso.com", "rep001@contoso.com"]
    assert await collect(client.group_members(zoom.add_group("Empty"))) == []


async def test_users_lists_the_active_users_of_the_account(zoom, client):
    for i in range(650):
        zoom.add_user(f"user{i:03}@contoso.com")
    zoom.users["user007@contoso.com"]["status"] = "inactive"
    users = await collect(client.users())
    assert len(users) == 649 and "user007@contoso.com" not in users
    assert users[:2] == ["user000@contoso.com", "user001@contoso.com"]
    requests = zoom.calls("/v2/users")
    assert len(requests) == 3 and all(r.query["status"] == "active" and r.query["page_size"] == "300" for r in requests)


async def test_domain_counts_of_a_group(zoom, client):
    group = zoom.add_group("Mixed")
    zoom.add_members(group, ["a@contoso.com", "b@Contoso.com", "c@fabrikam.com", "d@sub.contoso.com"])
    assert await domain_counts(client.group_members(group)) == {"contoso.com": 2, "fabrikam.com": 1, "sub.contoso.com": 1}


async def test_a_group_of_20000_is_67_pages(zoom, client):
    group = zoom.add_group("Everyone")
    zoom.add_members(group, [f"u{i}@{'contoso.com' if i % 10 else 'foreign.example'}" for i in range(20_000)])
    started = time.monotonic()
    counts = await domain_counts(client.group_members(group))
    elapsed = time.monotonic() - started
    assert counts == {"contoso.com": 18_000, "foreign.example": 2_000}
    assert len(zoom.calls("/members")) == 67
    assert elapsed < 30, f"{elapsed:.1f} s for 20,000 members"


async def test_paging_survives_a_rate_limit_and_an_expired_token(zoom, client):
    group = zoom.add_group("Sales")
    zoom.add_members(group, [f"rep{i}@contoso.com" for i in range(400)])
    stream = client.group_members(group)
    first = [await anext(stream) for _ in range(300)]
    zoom.expire_tokens()
    zoom.fail_next("/members", 429, {"code": 429, "message": "Too many requests"}, headers={"Retry-After": "0"})
    rest = [email async for email in stream]
    assert len(set(first + rest)) == 400
    assert zoom.tokens_issued == 2


async def test_an_unknown_group_names_zoom(zoom, client):
    with pytest.raises(UpstreamError) as caught:
        await collect(client.group_members("nope"))
    assert caught.value.service == "Zoom" and caught.value.status == 404
    assert "Group does not exist" in caught.value.message


async def test_a_users_groups_are_listed_in_the_order_joined(zoom):
    """GET /users/{id} carries group_ids, the first being the user's primary group by default."""
    engineering, sales = zoom.add_groups(["Engineering", "Sales"])
    zoom.add_user("ada@contoso.com", role_name="Admin")
    zoom.add_members(sales, ["ada@contoso.com"])
    zoom.add_members(engineering, ["ada@contoso.com", "new@contoso.com"])
    zoom.add_members(sales, ["ada@contoso.com"])  # already a member: no change
    async with aiohttp.ClientSession() as http:
        basic = base64.b64encode(f"{zoom.client_id}:{zoom.client_secret}".encode()).decode()
        params = {"grant_type": "account_credentials", "account_id": zoom.account_id}
        async with http.post(f"{zoom.url}/oauth/token", params=params, headers={"Authorization": f"Basic {basic}"}) as response:
            token = (await response.json())["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{zoom.url}/v2/users/ada@contoso.com", headers=headers) as response:
            ada = await response.json()
        async with http.get(f"{zoom.url}/v2/users/new@contoso.com", headers=headers) as response:
            new = await response.json()
        async with http.get(f"{zoom.url}/v2/groups/{sales}/members", headers=headers) as response:
            [member] = (await response.json())["members"]
    assert ada["group_ids"] == [sales, engineering] and ada["role_name"] == "Admin"
    assert new["group_ids"] == [engineering] and new["role_name"] == "Member"
    assert member["email"] == "ada@contoso.com" and member["primary_group"] is True
    assert [g["total_members"] for g in zoom.groups] == [2, 1]


async def test_a_user_with_their_groups_in_the_order_they_were_added(zoom, client):
    sales, support = zoom.add_groups(["Sales", "Support"])
    zoom.add_user("ann@contoso.com", role_name="Admin")
    zoom.add_members(support, ["ann@contoso.com"])
    zoom.add_members(sales, ["ann@contoso.com"])
    user = await client.user("Ann@Contoso.com")
    assert (user.email, user.role_id, user.status, user.group_ids) == ("ann@contoso.com", "1", "active", (support, sales))
    assert (await client.user("bob@contoso.com")) is None
    zoom.add_user("cy@contoso.com")
    assert (await client.user("cy@contoso.com")).group_ids == ()
    assert user.is_owner_or_admin
