"""The console verbs that act outside Slack: the sandbox's people, the tenant admin's consent, a health check now.

They let a newcomer see `/zoomcal check`'s answers and a scope going `failed` and back to `active`
without waiting for the health interval: what an Entra admin does in the tenant is a verb here.
"""

from __future__ import annotations

from datetime import timedelta

from bot.console.blocks import INDENT
from bot.console.sandbox import ORGANIZATION, USER, USER_EMAIL, Sandbox
from bot.console.slack_user import SlackUser
from bot.domain import Status
from bot.services.results import HealthCheck


def people(sandbox: Sandbox) -> list[str]:
    """The sandbox's Zoom users as a table, with what `/zoomcal check` answers for each."""
    rows = [("email", "Zoom role", "groups", "check says", "why")]
    rows += [(p.email, p.role, ", ".join(p.groups) or "-", p.calendar, p.why) for p in sandbox.people()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    table = [INDENT + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[4] for row in rows]
    domains = " and ".join(sandbox.microsoft.tenants[sandbox.tenant_id].domains)
    lines = [
        "The sandbox's Zoom users: type `/zoomcal check <email>` for any of them. Once the scope that applies",
        "to them (a group of theirs with its own setting, else the account) is active, check says:",
        *table,
        f"{ORGANIZATION} has verified {domains}; a Zoom user on any other domain has no calendar Graph reaches.",
    ]
    if not sandbox.consented:
        lines.append(f"zoomcal's app is deleted from {ORGANIZATION} now (`revoke`): until `restore`, check says "
                     "that Microsoft refuses.")
    lines += [
        "Beside owners and admins, Zoom lets others act: a custom role with AccountSetting:Edit may manage the",
        "account, a group's own group admin that group (ZOOMCAL_GROUP_ADMINS is on here). Try `as cara@contoso.com`",
        "or `as gus@contoso.com`, then `/zoomcal help`; `as you` comes back.",
    ]
    return lines


def act_as(sandbox: Sandbox, user: SlackUser, email: str) -> list[str]:
    """The console's Slack user becomes the sandbox's Slack user with this email (``you``: the console's own)."""
    email = USER_EMAIL if email.lower() in ("you", "me") else email.lower()
    found = next((uid for uid, u in sandbox.slack.users.items()
                  if str((u.get("profile") or {}).get("email") or "").lower() == email), None)
    if found is None:
        known = ", ".join(str((u.get("profile") or {}).get("email")) for u in sandbox.slack.users.values())
        return [f"No Slack user of the sandbox has the email “{email}”. Slack knows: {known}."]
    user.user_id = found
    zoom_user = sandbox.zoom.users.get(email) or {}
    role = next((p.role for p in sandbox.people() if p.email == email), zoom_user.get("role_name") or "none")
    back = "" if found == USER else " (`as you` comes back)"
    return [f"You now act in Slack as {email}, Zoom role {role}{back}."]


def revoke(sandbox: Sandbox) -> list[str]:
    app = sandbox.microsoft.client_id
    if not sandbox.consented:
        return [f"zoomcal's app is already deleted from {ORGANIZATION}; `restore` consents again."]
    sandbox.revoke_consent()
    return [
        f"(as the Entra admin of {ORGANIZATION}: Enterprise applications → {app} → Delete)",
        f"zoomcal's app, and with it its admin consent, is gone from {ORGANIZATION}: Microsoft refuses its tokens.",
        f"zoomcal learns it at its next health check ({_every(sandbox)}); type `health` to run one now.",
    ]


def restore(sandbox: Sandbox) -> list[str]:
    app = sandbox.microsoft.client_id
    if sandbox.consented:
        return [f"zoomcal's app is consented in {ORGANIZATION} already: nothing to restore (`revoke` deletes it)."]
    sandbox.restore_consent()
    return [
        f"(as the Entra admin of {ORGANIZATION}: you grant admin consent to {app} again)",
        f"zoomcal's app is back in {ORGANIZATION}, with the permissions granted before. A scope a health check",
        "failed kept its credentials: the next check makes it active again; type `health` to run one now.",
    ]


async def health(sandbox: Sandbox) -> list[str]:
    """Runs the health check of every active scope (and each a check failed) now, and says what it found."""
    checks = await sandbox.runtime.services.health.check_now()
    heading = f"Health check now (zoomcal checks each active scope {_every(sandbox)}):"
    if not checks:
        return [heading, INDENT + "No scope is active, nor failed by a health check: nothing to check. "
                "Enable one first: `/zoomcal enable group Sales`."]
    return [heading, *(INDENT + _result(check) for check in checks)]


def _result(check: HealthCheck) -> str:
    name = check.scope.name
    detail = f": {check.detail}" if check.detail else ""
    if check.result == "passed":
        return f"{name}: passed; it is active again" if check.changed else f"{name}: passed (still active)"
    if check.result == "failed":
        if check.changed:
            return f"{name}: {Status.ACTIVE} → {Status.FAILED}{detail}"  # checks run on active scopes only
        return f"{name}: failed (still {check.status}; nobody is told again){detail}"
    if check.result == "inconclusive":
        return f"{name}: inconclusive (nothing learned; still {check.status}){detail}"
    return f"{name}: {check.result} (still {check.status}){detail}"


def _every(sandbox: Sandbox) -> str:
    interval = sandbox.runtime.services.health.interval
    if interval <= timedelta(0):
        return "never: ZOOMCAL_HEALTH_INTERVAL is 0"
    seconds = int(interval.total_seconds())
    unit, size = next((u, s) for u, s in (("hour", 3600), ("minute", 60), ("second", 1)) if seconds % s == 0)
    count = seconds // size
    return f"every {count} {unit}{'s' if count != 1 else ''}"
