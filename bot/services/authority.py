"""Authority at the moment of effect: a fresh "no" withdraws a user's open consent links, and
direct messages about a scope reach its enabler only while they may still act on it.

The rule itself (who may act on which scope) is AccessPolicy.allowed; this module holds what
follows from its answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot.clients.errors import UpstreamError
from bot.domain import Action, Actor, Scope, ScopeKind, Status
from bot.services.access import Grant
from storage.db import DatabaseUnavailable
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.services.base import ServiceBase

log = logging.getLogger(__name__)

WITHDRAWN = (
    "The consent link was cancelled: the Slack user who asked for it may no longer change this scope "
    "(Zoom role or Slack workspace, checked afresh). Someone who may runs enable again"
)


async def judge(service: ServiceBase, actor: Actor, scope: Scope | None) -> Grant | None:
    """A fresh judgement of ``actor`` for ``scope``. A definite no withdraws their open consent links;
    Zoom or Slack not answering raises UpstreamError and withdraws nothing."""
    grant = await service.deps.access.allowed(actor, scope, fresh=True)
    if grant is None:
        try:
            await withdraw(service, actor)
        except DatabaseUnavailable as exc:
            # The "no" stands; their links stay until the next fresh "no" (the callback judges anyway).
            log.warning("the open consent links of a user who may no longer act stay for now: %s", exc)
    return grant


async def withdraw(service: ServiceBase, actor: Actor) -> int:
    """Cancels the open consent links of a user a fresh lookup refused, for each scope they may no
    longer act on (judged from the lookup just made, so no further call); each such `pending` scope
    becomes `failed`, saying why, with an audit event. Returns how many links were cancelled."""
    now = utcnow()
    async with service.db.transaction() as repo:
        links = await repo.open_consents_of(service.account_id, actor.team_id, actor.user_id, now)
    if not links:
        return 0
    withdrawn = []
    for link in links:
        scope = Scope(ScopeKind(link.scope_kind), link.group_id, link.scope_name)
        try:
            if await service.deps.access.allowed(actor, scope, fresh=False) is None:
                withdrawn.append((link, scope))
        except UpstreamError:
            continue  # not a definite answer for that scope: its link stays
    events = []
    async with service.writing() as repo:
        for link, scope in withdrawn:
            if not await repo.cancel_consent(link.id, now):
                continue  # completed or cancelled meanwhile
            if link.integration_version is not None:
                # Only the scope this link made pending, unchanged since: anything newer stays as it is.
                await repo.settle(
                    scope.key(service.account_id), link.integration_version,
                    status=Status.FAILED, user=actor.user_id, detail=WITHDRAWN,
                )
            events.append(
                await service.audit(repo, actor, scope, Action.CONSENT_FAILED, "cancelled", link.correlation_id, WITHDRAWN)
            )
    for event in events:
        service.announce(event)
    if events:
        log.info("cancelled %d consent link(s) of a user who may no longer act", len(events))
    return len(events)


async def tell_enabler(
    service: ServiceBase, enabler: Actor, scope: Scope, message: Callable[[], Awaitable[object]], what: str,
    *, judged: Grant | None = None,
) -> bool:
    """Sends a direct message about ``scope`` to the admin who enabled it, only while they may still
    act on it (judged afresh now: these messages are rare) and their team is allowed. Otherwise
    nothing is sent to them: the audit channel (which hears of every change) is told instead.
    ``judged``: the fresh judgement the same flow made a moment ago (the callback's of its
    requester), which the message need not ask Slack and Zoom for again.
    Returns whether the message went to the enabler."""
    if not enabler.user_id or not service.deps.access.team_allowed(enabler):
        return False
    if judged is not None:
        await message()
        return True
    try:
        grant = await judge(service, enabler, scope)
    except UpstreamError as exc:
        log.warning("%s not sent to the admin: %s could not confirm they may still act (%s)", what, exc.service, exc.message)
        return False
    if grant is None:
        log.info("%s not sent to the admin: they may no longer act on %s", what, scope.label)
        return False
    await message()
    return True
