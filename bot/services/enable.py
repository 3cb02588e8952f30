"""Enable: the modal's content, its choices, and Authorize and Save (pending + consent link)."""

from __future__ import annotations

from bot.command import Target
from bot.domain import Action, Actor, Choices, Scope, Status
from bot.services import consent
from bot.services.base import (
    Judged,
    ServiceBase,
    answers_upstream_failures,
    new_correlation,
    target_words,
)
from bot.services.results import (
    AlreadySubmitted,
    AmbiguousGroup,
    ConsentLinkSent,
    EnableForm,
    Failure,
    OutOfDate,
    Problem,
    Refused,
    UnknownGroup,
)
from storage.models import ConsentRequest, utcnow
from storage.repository import Duplicate


def check_choices(choices: Choices) -> dict[str, str]:
    """Problems with an enable submission, by field name (empty when it can be saved)."""
    problems: dict[str, str] = {}
    if not choices.third_party:
        problems["third_party"] = "Turn this on to enable the integration (use `/zoomcal disable` to turn it off)."
    if choices.service != "office365":
        problems["service"] = "zoomcal manages the Office 365 integration; choose Office 365."
    if choices.authorize_with != "graph":
        problems["authorize_with"] = "Application permissions need Graph API."
    if choices.setup_by != "app_permissions":
        problems["setup_by"] = (
            "To let users set up the integration with OAuth, use `/zoomcal disable`: "
            "it switches to OAuth and deletes the stored credentials."
        )
    return problems


class EnableService(ServiceBase):
    check_choices = staticmethod(check_choices)

    @answers_upstream_failures
    async def prepare(
        self, actor: Actor, target: Target
    ) -> EnableForm | Refused | UnknownGroup | AmbiguousGroup | Failure:
        """What the enable modal shows, after checking the user and the group."""
        judged = await self.judged(actor, target, "enable", f"enable {target_words(target)}")
        if not isinstance(judged, Judged):
            return judged
        return await self._form(judged.scope)

    @answers_upstream_failures
    async def prepare_for(self, actor: Actor, scope: Scope) -> EnableForm | Refused | Failure:
        """The enable modal for a scope already chosen (the Home tab's Enable button)."""
        if not await self.permitted(actor, scope, "enable"):
            return Refused()
        return await self._form(scope)

    async def _form(self, scope: Scope) -> EnableForm:
        """The dialog for the scope as it stands: an `active` one names its organisation, since a new
        consent replaces its credentials; a `pending` one, since a new link replaces the open one."""
        row = (await self.deps.states.current()).rows.get((scope.kind.value, scope.group_id))
        if row is None:
            return EnableForm(scope)
        organization = None
        if row.status == Status.ACTIVE and row.credential is not None:
            organization = (self.open_credentials(row.credential) or {}).get("organization")
        return EnableForm(scope, version=row.version, status=Status(row.status), organization=organization)

    @answers_upstream_failures
    async def request_consent(
        self, actor: Actor, scope: Scope, choices: Choices, request_key: str | None = None, version: int | None = None
    ) -> ConsentLinkSent | AlreadySubmitted | OutOfDate | Refused | Problem | Failure:
        """Authorize and Save: the scope becomes pending and the admin gets a consent link.

        ``request_key`` names the submission (the modal's view id): a repeat makes nothing new.
        ``version``: the scope's version the dialog was opened for; a dialog older than the scope's
        last change changes nothing. Older open links of the scope are cancelled, so only the
        newest can complete.
        """
        if check_choices(choices):
            return Problem("Those choices cannot be saved; open the dialog again.")
        grant = await self.permitted(actor, scope, "enable", fresh=True)
        if grant is None:
            return Refused()
        state = consent.new_state()
        now = utcnow()
        request = ConsentRequest(
            state_hash=consent.state_hash(state),
            slack_team_id=actor.team_id,
            slack_user_id=actor.user_id,
            zoom_account_id=self.account_id,
            scope_kind=scope.kind.value,
            group_id=scope.group_id,
            scope_name=scope.name,
            created_at=now,
            expires_at=now + self.deps.consent_ttl,
            correlation_id=new_correlation(),
            request_key=request_key,
        )
        try:
            async with self.writing() as repo:
                if request_key and await repo.consent_by_request_key(request_key) is not None:
                    return AlreadySubmitted(scope)
                row = await repo.save_status(
                    scope.key(self.account_id),
                    name=scope.name,
                    status=Status.PENDING,
                    user=actor.user_id,
                    settings=choices.as_dict(),
                    now=now,
                    expected_version=version,
                )
                if row is None:
                    return OutOfDate(scope)
                await repo.cancel_consents(scope.key(self.account_id), now)
                request.integration_version = row.version
                await repo.add_consent_request(request)
                event = await self.audit(
                    repo, actor, scope, Action.ENABLE_REQUESTED, "consent link sent", request.correlation_id,
                    grant.basis,
                )
        except Duplicate:
            # The same submission won a concurrent race on request_key; this one changed nothing.
            return AlreadySubmitted(scope)
        self.announce(event)
        url = self.deps.microsoft.consent_url(state)
        delivered = await self.deps.notifier.consent_link(actor, scope, url, request.expires_at)
        return ConsentLinkSent(scope, request.expires_at, delivered, url)

