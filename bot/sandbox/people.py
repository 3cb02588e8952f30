"""Sandbox people: Zoom users whose calendars answer each of `/zoomcal check`'s words, and a group with
members on a domain the tenant has not verified (what the domain preflight names).

For `zoomcal console`: ``add_people`` seeds them, ``people`` lists every Zoom user of the fake Zoom
with their groups and what the fake tenant's Graph answers for their calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.microsoft import FakeMicrosoft, Mailbox
from bot.sandbox.zoom import FakeZoom

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


def people(zoom: FakeZoom, microsoft: FakeMicrosoft, tenant_id: str) -> list[SandboxPerson]:
    """Every user of the fake Zoom, in the order they were added."""
    names = {g["id"]: g["name"] for g in zoom.groups}
    tenant = microsoft.tenants[tenant_id]

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
            user.get("role_name") or "Member",
            tuple(names.get(g, g) for g in user.get("group_ids") or ()),
            CALENDAR_WORDS[tenant.users[email]] if email in tenant.users else "no mailbox",
            why(email),
        )
        for email, user in zoom.users.items()
    ]
