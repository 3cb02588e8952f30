"""The domain preflight after a consent: Zoom users whose email domains the tenant has not verified.

Graph finds a user's calendar by their address, and the tenant's credentials reach only the
tenant's own mailboxes: a Zoom user on a domain the tenant has not verified gets no calendar.
Right after a successful consent, the bot counts the email domains of the Zoom users the scope
covers (a group's members, or the account's active users, paged through Zoom) and names each
unverified domain with its number of users, in a direct message and in `status <scope>`.

It also compares the Zoom account's associated domains (Zoom's deployment guide: Application
Permissions need at least one associated domain the Microsoft 365 tenant has verified): with none
matching, Zoom's integration cannot work although the consent succeeded, and the admin is told.

It never blocks the consent: it runs after the success page was decided, beside it (a task),
and Zoom failing leaves a note instead of a comparison. Only the counts are kept while Zoom's
pages stream by, so 20,000 members cost their pages and a small dict (bench/preflight.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from bot.clients.errors import UpstreamError
from bot.clients.zoom import ZoomClient, domain_counts
from bot.domain import Actor, Scope
from bot.services import authority
from bot.services.base import ServiceBase
from bot.services.results import DomainPreflight
from storage.db import background
from storage.models import utcnow

log = logging.getLogger(__name__)

MAX_LISTED = 20  # unverified domains named (most users first); the rest are counted


async def compare(zoom: ZoomClient, scope: Scope, verified_domains: Iterable[str]) -> DomainPreflight:
    """Counts the scope's Zoom users by email domain and keeps the domains not verified."""
    emails = zoom.users() if scope.is_account else zoom.group_members(scope.group_id)
    counts = await domain_counts(emails)
    verified = {domain.lower() for domain in verified_domains}
    foreign = sorted(((d, n) for d, n in counts.items() if d not in verified), key=lambda item: (-item[1], item[0]))
    listed, rest = foreign[:MAX_LISTED], foreign[MAX_LISTED:]
    return DomainPreflight(utcnow(), sum(counts.values()), tuple(listed), len(rest), sum(n for _, n in rest))


async def compare_associated(zoom: ZoomClient, verified_domains: Iterable[str], found: DomainPreflight) -> DomainPreflight:
    """``found`` with Zoom's associated domains and whether the tenant verified any of them."""
    try:
        associated = await zoom.associated_domains()
    except UpstreamError as exc:
        return replace(found, associated_error=f"{exc.service} {exc.message.split('; try again')[0]}")
    verified = {domain.lower() for domain in verified_domains}
    if any(d in verified for d in associated):
        # Named only when none matches: the tenant's own domains stay in its encrypted credentials.
        return replace(found, associated_matched=True)
    return replace(found, associated=associated, associated_matched=False)


class PreflightService(ServiceBase):
    async def after_consent(
        self, actor: Actor, scope: Scope, integration_id: int, version: int, organization: str, domains: tuple[str, ...]
    ) -> DomainPreflight | None:
        """Runs the preflight for a scope just made active; None if the scope changed meanwhile.

        ``version`` is the scope's version once active: a scope disabled or enabled again since
        keeps its new state, and nobody is told about the old one.
        """
        if self.deps.zoom is None:
            return None
        with background():  # after the consent's page: Slack's acks get the database first
            try:
                found = await compare(self.deps.zoom, scope, domains)
            except UpstreamError as exc:
                log.warning("domain preflight of %s: %s failed: %s", scope.label, exc.service, exc.message)
                # Without the retry advice: nothing repeats the preflight by itself (the DM says what helps).
                found = DomainPreflight(utcnow(), error=f"{exc.service} {exc.message.split('; try again')[0]}")
            found = await compare_associated(self.deps.zoom, domains, found)
            async with self.writing() as repo:
                saved = await repo.checks.save_preflight(integration_id, version, preflight_json(found))
        if not saved:
            return None
        if found.unverified or found.error or found.associated_problem:
            notifier = self.deps.notifier
            told = await authority.tell_enabler(
                self, actor, scope, lambda: notifier.domain_preflight(actor, scope, organization, found), "domain preflight"
            )
            if not told:
                await notifier.domain_preflight_to_audit(scope, organization, found)
        return found


def preflight_json(found: DomainPreflight) -> dict:
    return {
        "checked_at": found.checked_at.isoformat() if found.checked_at else None,
        "users": found.users,
        "unverified": [[domain, count] for domain, count in found.unverified],
        "more_domains": found.more_domains,
        "more_users": found.more_users,
        "error": found.error,
        "associated": list(found.associated),
        "associated_matched": found.associated_matched,
        "associated_error": found.associated_error,
    }


def preflight_from(data: dict | None) -> DomainPreflight | None:
    """What ``preflight_json`` stored (None for scopes without a preflight)."""
    if not isinstance(data, dict):
        return None
    at = data.get("checked_at")
    return DomainPreflight(
        checked_at=datetime.fromisoformat(at) if isinstance(at, str) else None,
        users=int(data.get("users") or 0),
        unverified=tuple((str(d), int(n)) for d, n in data.get("unverified") or ()),
        more_domains=int(data.get("more_domains") or 0),
        more_users=int(data.get("more_users") or 0),
        error=data.get("error"),
        associated=tuple(str(d) for d in data.get("associated") or ()),
        associated_matched=data.get("associated_matched"),
        associated_error=data.get("associated_error"),
    )
