"""A fake Zoom: Server-to-Server OAuth tokens, /v2/groups, /v2/groups/{id}/members, /v2/groups/{id}/admins
and /v2/users (paged by next_page_token, as Zoom's), /v2/users/{id or email} and its /permissions.

Roles as Zoom's: Owner (id 0), Admin (1) and Member (2) built in, and custom roles (``add_role``) whose
privileges an account owner picks, such as ``AccountSetting:Edit`` or ``Group:Edit``.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid

from aiohttp import web

from bot.sandbox.base import FakeServer

ROLE_IDS = {"owner": "0", "admin": "1"}
# What Zoom lists for its built-in Owner and Admin roles, in part: the privileges zoomcal looks at and a few beside.
ADMIN_PRIVILEGES = (
    "AccountSetting:Read", "AccountSetting:Edit", "Group:Read", "Group:Edit", "User:Read", "User:Edit", "Role:Read",
)


class FakeZoom(FakeServer):
    def __init__(
        self,
        account_id: str = "acc123",
        client_id: str = "zcid",
        client_secret: str = "zsecret",
        page_size_max: int = 300,
        token_ttl: int = 3600,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.page_size_max = page_size_max
        self.token_ttl = token_ttl
        self.groups: list[dict] = []
        self.users: dict[str, dict] = {}
        self.tokens: dict[str, float] = {}  # access token -> time.monotonic() when it expires
        self.tokens_issued = 0
        self.members: dict[str, list[str]] = {}  # group id -> lower-cased emails, in the order added
        self.managed_domains: list[dict] = []  # the account's associated domains: {"domain", "status"}
        self._member_sets: dict[str, set[str]] = {}
        self.group_admins: dict[str, list[str]] = {}  # group id -> lower-cased emails of its group admins
        # role id -> {"name", "privileges"}; a role id found nowhere here has no privileges
        self.roles: dict[str, dict] = {
            "0": {"name": "Owner", "privileges": list(ADMIN_PRIVILEGES)},
            "1": {"name": "Admin", "privileges": list(ADMIN_PRIVILEGES)},
            "2": {"name": "Member", "privileges": []},
        }

    def add_role(self, name: str, privileges) -> str:
        """A custom role (Zoom portal: User Management → Roles → Add Role) with these privileges; its id."""
        role_id = uuid.uuid4().hex[:22]
        self.roles[role_id] = {"name": name, "privileges": list(privileges)}
        return role_id

    def add_group_admin(self, group_id: str, email: str) -> None:
        """Makes a user (a Member unless Zoom knows them) a group admin of the group (Group → Admins → Add)."""
        if not any(g["id"] == group_id for g in self.groups):
            raise KeyError(f"no group {group_id}")
        if email.lower() not in self.users:
            self.add_user(email)
        admins = self.group_admins.setdefault(group_id, [])
        if email.lower() not in admins:
            admins.append(email.lower())

    def add_group(self, name: str, id: str | None = None, total_members: int = 0) -> str:
        group_id = id or uuid.uuid4().hex[:22]
        self.groups.append({"id": group_id, "name": name, "total_members": total_members})
        return group_id

    def add_groups(self, names) -> list[str]:
        return [self.add_group(name) for name in names]

    def add_user(self, email: str, role_name: str = "Member", role_id: str | None = None) -> dict:
        """A user; ``role_id`` defaults to Zoom's id for Owner/Admin, then a custom role of that name
        (``add_role``), else Member's."""
        if role_id is None:
            role_id = ROLE_IDS.get(role_name.lower()) or next(
                (rid for rid, role in self.roles.items() if role["name"] == role_name), "2"
            )
        user = {
            "id": uuid.uuid4().hex[:22],
            "email": email,
            "first_name": email.split("@")[0],
            "last_name": "",
            "role_name": role_name,
            "role_id": role_id,
            "type": 2,
            "status": "active",
        }
        self.users[email.lower()] = user
        return user

    def add_members(self, group_id: str, emails) -> None:
        """Adds users to a group (making Members of addresses Zoom does not know yet).

        Each user's ``group_ids`` lists their groups in the order they were added: Zoom's
        primary group is by default the first.
        """
        group = next((g for g in self.groups if g["id"] == group_id), None)
        if group is None:
            raise KeyError(f"no group {group_id}")
        members = self.members.setdefault(group_id, [])
        known = self._member_sets.setdefault(group_id, set())
        for email in emails:
            key = email.lower()
            if key in known:
                continue
            user = self.users.get(key) or self.add_user(email)
            user.setdefault("group_ids", []).append(group_id)
            members.append(key)
            known.add(key)
        group["total_members"] = len(members)

    def deactivate(self, email: str) -> None:
        """As an admin's "Deactivate" in Zoom's portal: the user stays, with status inactive."""
        self.users[email.lower()]["status"] = "inactive"

    def add_managed_domain(self, domain: str, status: str = "verified") -> None:
        """An associated domain of the account (Account Management → Account Profile → Associated Domains)."""
        self.managed_domains.append({"domain": domain, "status": status})

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/oauth/token", self._token)
        app.router.add_get("/v2/groups", self._groups)
        app.router.add_get("/v2/groups/{group}/members", self._members)
        app.router.add_get("/v2/users", self._users)
        app.router.add_get("/v2/accounts/{account}/managed_domains", self._managed_domains)
        app.router.add_get("/v2/users/{user}", self._user)
        app.router.add_get("/v2/users/{user}/permissions", self._permissions)
        app.router.add_get("/v2/groups/{group}/admins", self._admins)

    def permissions_of(self, email: str) -> list[str]:
        """The privileges of a user's role, as `GET /users/{userId}/permissions` lists them."""
        user = self.users[email.lower()]
        return list((self.roles.get(str(user["role_id"])) or {}).get("privileges") or ())

    async def _token(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"reason": "Invalid client_id or client_secret", "error": "invalid_client"}, status=401)
        args = self.recorded(request).args()
        if args.get("grant_type") != "account_credentials" or args.get("account_id") != self.account_id:
            return web.json_response({"reason": "Invalid request", "error": "invalid_request"}, status=400)
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + self.token_ttl
        self.tokens_issued += 1
        return web.json_response(
            {"access_token": token, "token_type": "bearer", "expires_in": self.token_ttl, "scope": "group:read:admin user:read:admin"}
        )

    def _authorized(self, request: web.Request) -> bool:
        expires = self.tokens.get(request.headers.get("Authorization", "").removeprefix("Bearer "), 0.0)
        return expires > time.monotonic()

    async def _groups(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        try:
            size = max(1, min(int(request.query.get("page_size") or 30), self.page_size_max))
            start = int(request.query.get("next_page_token") or 0)
        except ValueError:
            return web.json_response({"code": 300, "message": "Invalid parameter: page_size or next_page_token."}, status=400)
        page = self.groups[start : start + size]
        following = start + size if start + size < len(self.groups) else ""
        return web.json_response(
            {"groups": page, "total_records": len(self.groups), "page_size": size, "next_page_token": str(following)}
        )

    def _page(self, request: web.Request) -> tuple[int, int] | None:
        """(start, size) of the page asked for; the token is an offset here, opaque to clients."""
        try:
            size = max(1, min(int(request.query.get("page_size") or 30), self.page_size_max))
            return int(request.query.get("next_page_token") or 0), size
        except ValueError:
            return None

    def _group_page(self, request: web.Request) -> tuple[str, int, int] | web.Response:
        """(group id, start, size) of a group's listing (members, admins), or Zoom's error answer."""
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        group_id = request.match_info["group"]
        if not any(g["id"] == group_id for g in self.groups):
            return web.json_response({"code": 4130, "message": f"Group does not exist: {group_id}."}, status=404)
        if (page := self._page(request)) is None:
            return web.json_response({"code": 300, "message": "Invalid parameter: page_size or next_page_token."}, status=400)
        return group_id, *page

    @staticmethod
    def _paged(key: str, page: list, total: int, start: int, size: int) -> web.Response:
        following = start + size if start + size < total else ""
        return web.json_response({
            "page_count": -(-total // size), "page_size": size, "total_records": total,
            "next_page_token": str(following), key: page,
        })

    async def _members(self, request: web.Request) -> web.Response:
        asked = self._group_page(request)
        if isinstance(asked, web.Response):
            return asked
        group_id, start, size = asked
        emails = self.members.get(group_id, [])
        members = [
            {"id": user["id"], "email": user["email"], "first_name": user["first_name"], "last_name": user["last_name"],
             "type": user["type"], "primary_group": (user.get("group_ids") or [None])[0] == group_id, "login_type": 100}
            for user in (self.users.get(key) for key in emails[start:start + size]) if user is not None
        ]
        return self._paged("members", members, len(emails), start, size)

    async def _users(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        if (page := self._page(request)) is None:
            return web.json_response({"code": 300, "message": "Invalid parameter: page_size or next_page_token."}, status=400)
        start, size = page
        status = request.query.get("status") or "active"
        users = [u for u in self.users.values() if u.get("status", "active") == status]
        return self._paged("users", users[start:start + size], len(users), start, size)

    async def _managed_domains(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        if request.match_info["account"] not in (self.account_id, "me"):
            return web.json_response({"code": 2001, "message": "Account does not exist."}, status=404)
        return web.json_response({"total_records": len(self.managed_domains), "domains": self.managed_domains})

    def _find_user(self, key: str) -> dict | None:
        return self.users.get(key.lower()) or next((u for u in self.users.values() if u["id"] == key), None)

    def _asked_user(self, request: web.Request) -> dict | web.Response:
        """The user a /users/{user}… request names, or Zoom's error answer."""
        if not self._authorized(request):
            return web.json_response({"code": 124, "message": "Invalid access token."}, status=401)
        key = request.match_info["user"]
        user = self._find_user(key)
        if user is None:
            return web.json_response({"code": 1001, "message": f"User does not exist: {key}"}, status=404)
        return user

    async def _permissions(self, request: web.Request) -> web.Response:
        user = self._asked_user(request)
        if isinstance(user, web.Response):
            return user
        return web.json_response({"permissions": self.permissions_of(user["email"])})

    async def _admins(self, request: web.Request) -> web.Response:
        asked = self._group_page(request)
        if isinstance(asked, web.Response):
            return asked
        group_id, start, size = asked
        emails = self.group_admins.get(group_id, [])
        admins = [
            {"id": user["id"], "email": user["email"], "name": f"{user['first_name']} {user['last_name']}".strip()}
            for user in (self.users.get(key) for key in emails[start:start + size]) if user is not None
        ]
        return self._paged("admins", admins, len(emails), start, size)

    async def _user(self, request: web.Request) -> web.Response:
        user = self._asked_user(request)
        return user if isinstance(user, web.Response) else web.json_response(user)
