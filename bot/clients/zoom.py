"""Zoom REST API over Server-to-Server OAuth: the account's groups, its users and member lists, a
user's role permissions and a group's admins."""

from __future__ import annotations

import asyncio
import base64
import collections
import time
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from bot.clients.errors import UpstreamError
from bot.clients.http import RetryPolicy, send

SERVICE = "Zoom"
PAGE_SIZE = 300  # the most Zoom gives per page for these lists
# Zoom's built-in roles by id: a role's name can be anything an admin types ("Admin" included).
OWNER_ROLE_ID, ADMIN_ROLE_ID = "0", "1"
# Privileges of Zoom roles (`GET /users/{userId}/permissions`) that bear on zoomcal's scopes.
ACCOUNT_SETTINGS_EDIT = "AccountSetting:Edit"  # settings that affect the whole account
GROUPS_EDIT = "Group:Edit"  # groups and their settings


@dataclass(frozen=True)
class ZoomGroup:
    id: str
    name: str
    total_members: int = 0


@dataclass(frozen=True)
class ZoomUser:
    """A Zoom user as `GET /users/{email}` describes them; ``group_ids`` in the order Zoom lists them
    (the user's primary group is by default the first group they were added to)."""

    id: str
    email: str
    role_id: str
    status: str  # active, inactive (deactivated) or pending
    group_ids: tuple[str, ...] = ()

    @property
    def is_owner_or_admin(self) -> bool:
        """An active user with Zoom's Owner or Admin role, judged by role id, never by role name."""
        return self.status == "active" and self.role_id in (OWNER_ROLE_ID, ADMIN_ROLE_ID)


class ZoomClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        account_id: str,
        client_id: str,
        client_secret: str,
        api_url: str,
        oauth_url: str,
        policy: RetryPolicy = RetryPolicy(),
    ):
        self._session = session
        self._account_id = account_id
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self._basic_auth = {"Authorization": f"Basic {basic}"}
        self._api_url = api_url.rstrip("/")
        self._oauth_url = oauth_url.rstrip("/")
        self._policy = policy
        # A cache of an access token, not application state: any replica can mint its own.
        self._token: str | None = None
        self._token_expires = 0.0
        self._token_lock = asyncio.Lock()

    async def _access_token(self, *, refresh: bool = False) -> str:
        async with self._token_lock:
            if refresh or not self._token or time.monotonic() >= self._token_expires:
                response = await send(
                    self._session,
                    "POST",
                    self._oauth_url,
                    service=SERVICE,
                    policy=self._policy,
                    params={"grant_type": "account_credentials", "account_id": self._account_id},
                    headers=self._basic_auth,
                )
                body = response.body if isinstance(response.body, dict) else {}
                if response.status != 200 or not body.get("access_token"):
                    reason = body.get("reason") or body.get("error") or f"HTTP {response.status}"
                    raise UpstreamError(
                        SERVICE,
                        f"refused our Server-to-Server OAuth credentials ({reason}); "
                        "check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET",
                        status=response.status,
                    )
                self._token = body["access_token"]
                # Renew a minute early so a token never expires mid-request.
                self._token_expires = time.monotonic() + max(0, int(body.get("expires_in", 3600)) - 60)
            return self._token

    async def _get(self, path: str, params: dict | None = None):
        refreshed = False
        while True:
            token = await self._access_token(refresh=refreshed)
            response = await send(
                self._session,
                "GET",
                f"{self._api_url}{path}",
                service=SERVICE,
                policy=self._policy,
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status == 401 and not refreshed:
                refreshed = True  # the token expired or was revoked: fetch a new one once
                continue
            return response

    async def groups(self) -> list[ZoomGroup]:
        """Every group of the account, following next_page_token to the end."""
        groups: list[ZoomGroup] = []
        token = ""
        while True:
            params = {"page_size": "300"}
            if token:
                params["next_page_token"] = token
            response = await self._get("/groups", params)
            body = self._json(response, "list groups")
            for item in body.get("groups") or []:
                groups.append(
                    ZoomGroup(str(item["id"]), str(item.get("name", "")), int(item.get("total_members") or 0))
                )
            token = body.get("next_page_token") or ""
            if not token:
                return groups

    async def user(self, email: str) -> ZoomUser | None:
        """The Zoom user with this email, or None when Zoom has no such user."""
        response = await self._get(f"/users/{quote(email, safe='@')}")
        if response.status == 404:
            return None
        body = self._json(response, "look up a user")
        return ZoomUser(
            id=str(body.get("id") or ""),
            email=str(body.get("email") or email),
            role_id=str(body.get("role_id", "")),  # a string in Zoom's API; an int would compare the same
            status=str(body.get("status") or ""),
            group_ids=tuple(str(g) for g in body.get("group_ids") or ()),
        )

    async def associated_domains(self) -> tuple[str, ...]:
        """The account's associated (managed) domains that Zoom has verified, lower-cased.

        ``GET /accounts/{accountId}/managed_domains`` (``me``: the account of the app's token).
        Domains Zoom still lists as pending are not associated yet, so they are left out.
        """
        account = quote(self._account_id or "me", safe="")
        body = self._json(await self._get(f"/accounts/{account}/managed_domains"), "list the account's associated domains")
        return tuple(
            dict.fromkeys(
                str(item["domain"]).strip().lower()
                for item in body.get("domains") or ()
                if isinstance(item, dict) and item.get("domain")
                and str(item.get("status") or "verified").lower() == "verified"
            )
        )

    async def permissions(self, user_id: str) -> frozenset[str]:
        """The privileges of the user's Zoom role (``AccountSetting:Edit``, ``Group:Edit``…); none for a
        user Zoom no longer knows."""
        response = await self._get(f"/users/{quote(user_id, safe='@')}/permissions")
        if response.status == 404:
            return frozenset()
        body = self._json(response, "read a user's permissions")
        return frozenset(str(p) for p in body.get("permissions") or () if isinstance(p, str))

    async def group_admins(self, group_id: str) -> AsyncIterator[tuple[str, str]]:
        """Each group admin of a group as (user id, lower-cased email), page after page (a caller looking
        for one admin stops reading at them). A group Zoom no longer knows has none."""
        path = f"/groups/{quote(group_id, safe='')}/admins"
        token = ""
        while True:
            query = {"page_size": str(PAGE_SIZE), **({"next_page_token": token} if token else {})}
            response = await self._get(path, query)
            if response.status == 404:
                return
            body = self._json(response, "list the group's admins")
            for item in body.get("admins") or ():
                if isinstance(item, dict):
                    yield str(item.get("id") or ""), str(item.get("email") or "").lower()
            token = body.get("next_page_token") or ""
            if not token:
                return

    def group_members(self, group_id: str) -> AsyncIterator[str]:
        """The email of each member of a group, page after page, as Zoom sends them.

        A stream, not a list: a group of 20,000 is 67 pages, and a caller counting domains keeps
        only its counts (``domain_counts``).
        """
        return self._emails(f"/groups/{quote(group_id, safe='')}/members", "members", "list the group's members")

    def users(self) -> AsyncIterator[str]:
        """The email of each active user of the account, page after page."""
        return self._emails("/users", "users", "list the account's users", {"status": "active"}, active_only=True)

    async def _emails(
        self, path: str, key: str, what: str, params: dict | None = None, *, active_only: bool = False
    ) -> AsyncIterator[str]:
        token = ""
        while True:
            query = {"page_size": str(PAGE_SIZE), **(params or {})}
            if token:
                query["next_page_token"] = token
            body = self._json(await self._get(path, query), what)
            for item in body.get(key) or ():
                if not isinstance(item, dict) or not item.get("email"):
                    continue
                if not active_only or item.get("status", "active") == "active":
                    yield str(item["email"])
            token = body.get("next_page_token") or ""
            if not token:
                return

    def _json(self, response, what: str) -> dict:
        if response.status != 200 or not isinstance(response.body, dict):
            message = response.body.get("message") if isinstance(response.body, dict) else None
            raise UpstreamError(
                SERVICE,
                f"could not {what} (HTTP {response.status}{': ' + message if message else ''})",
                status=response.status,
            )
        return response.body


async def domain_counts(emails: AsyncIterable[str]) -> collections.Counter[str]:
    """How many addresses use each (lower-cased) email domain; addresses without a domain are skipped."""
    counts: collections.Counter[str] = collections.Counter()
    async for email in emails:
        _, at, domain = email.rpartition("@")
        if at and domain:
            counts[domain.lower()] += 1
    return counts
