"""Sandbox people: Zoom users whose calendars answer each of `/zoomcal check`'s words, a group with
members on a domain the tenant has not verified (what the domain preflight names), and two who may act
by Zoom's role model without being owners or admins: a custom role with ``AccountSetting:Edit`` and a
group's own group admin.

For `zoomcal console`: ``add_people`` and ``add_deputies`` seed them, ``people`` lists every Zoom user
of the fake Zoom with their role (a custom role's privileges that matter to zoomcal), their groups
(those they administer marked) and what the fake tenant's Graph answers for their calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.clients.zoom import ACCOUNT_SETTINGS_EDIT, GROUPS_EDIT
from bot.sandbox.microsoft import FakeMicrosoft, Mailbox
from bot.sandbox.slack import FakeSlack
from bot.sandbox.zoom import ROLE_IDS, FakeZoom

FOREIGN_DOMAIN = "fabrikam.com"  # never verified in the sandbox tenant
CALENDAR_WORDS = {Mailbox.ENABLED: "reachable", Mailbox.NONE: "no mailbox", Mailbox.BLOCKED: "access denied"}
MAILBOX_WHY = {
    Mailbox.ENABLED: "an Exchange Online mailbox",
    Mailbox.NONE: "a user of the tenant without a mailbox",
    Mailbox.BLOCKED: "an application access policy leaves the app out",
}


@dataclass(frozen=True)
class SandboxPerson:
    email: str
    role: str  # Zoom's role name
    groups: tuple[str, ...]  # Zoom group names, in the order the user was added (the first is primary)
    calendar: str  # what `/zoomcal check` answers once their scope is active: reachable, no mailbox,
    #               access denied, or "no mailbox" too for an address the tenant does not know
    why: str = ""  # what the tenant holds for them, in words


def add_people(zoom: FakeZoom, microsoft: FakeMicrosoft, tenant_id: str, domain: str, group: str) -> None:
    """Three users of ``domain`` in ``group`` (a mailbox; none; one an application access policy
    blocks) and two of FOREIGN_DOMAIN in it too. ``group`` must exist in the fake Zoom."""
    group_id = next(g["id"] for g in zoom.groups if g["name"] == group)
    mailboxes = {f"ada@{domain}": Mailbox.ENABLED, f"ben@{domain}": Mailbox.NONE, f"cleo@{domain}": Mailbox.BLOCKED}
    zoom.add_members(group_id, [*mailboxes, f"dev@{FOREIGN_DOMAIN}", f"eli@{FOREIGN_DOMAIN}"])
    for email, mailbox in mailboxes.items():
        microsoft.add_user(tenant_id, email, mailbox)


CUSTOM_ROLE = "Calendar Admin"  # a custom Zoom role allowed to edit account settings
# (Slack user id, name) of the sandbox's deputies: the custom role's holder and Sales' group admin
DEPUTIES = {"cara": ("UCARA0001", CUSTOM_ROLE), "gus": ("UGUS00001", "Member")}


def add_deputies(zoom: FakeZoom, slack: FakeSlack, domain: str, group: str) -> None:
    """cara (custom role "Calendar Admin" with AccountSetting:Edit) and gus (a Member, group admin of
    ``group``), in Zoom and in Slack: the console's `as` acts as either."""
    zoom.add_role(CUSTOM_ROLE, ["AccountSetting:Read", ACCOUNT_SETTINGS_EDIT])
    for name, (user_id, role) in DEPUTIES.items():
        slack.add_user(user_id, f"{name}@{domain}", name)
        zoom.add_user(f"{name}@{domain}", role_name=role)
    zoom.add_group_admin(next(g["id"] for g in zoom.groups if g["name"] == group), f"gus@{domain}")


def role_words(zoom: FakeZoom, user: dict) -> str:
    """The role's name; for a custom role, with the privileges zoomcal looks at."""
    name = user.get("role_name") or "Member"
    if str(user.get("role_id")) in ROLE_IDS.values():
        return name
    held = [p for p in (ACCOUNT_SETTINGS_EDIT, GROUPS_EDIT) if p in zoom.permissions_of(user["email"])]
    return f"{name} ({', '.join(held)})" if held else name


def people(zoom: FakeZoom, microsoft: FakeMicrosoft, tenant_id: str) -> list[SandboxPerson]:
    """Every user of the fake Zoom, in the order they were added."""
    names = {g["id"]: g["name"] for g in zoom.groups}
    tenant = microsoft.tenants[tenant_id]
    administers: dict[str, list[str]] = {}
    for gid, admins in zoom.group_admins.items():
        for email in admins:
            administers.setdefault(email, []).append(names.get(gid, gid))

    def groups(email: str, user: dict) -> tuple[str, ...]:
        member = [names.get(g, g) for g in user.get("group_ids") or ()]
        admin = administers.get(email, [])
        return tuple(f"{g} (group admin)" if g in admin else g for g in dict.fromkeys(member + admin))

    def why(email: str) -> str:
        if email in tenant.users:
            return MAILBOX_WHY[tenant.users[email]]
        domain = email.rpartition("@")[2]
        if domain in (d.lower() for d in tenant.domains):
            return f"not a user of {tenant.display_name}"
        return f"{domain} is not a domain {tenant.display_name} has verified"

    return [
        SandboxPerson(
            user["email"],
            role_words(zoom, user),
            groups(email, user),
            CALENDAR_WORDS[tenant.users[email]] if email in tenant.users else "no mailbox",
            why(email),
        )
        for email, user in zoom.users.items()
    ]
