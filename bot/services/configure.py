"""The configuration dialog: which path a submission takes (enable, confirm a disable, or fix inputs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from bot.domain import Actor, Choices, Scope
from bot.services.base import ServiceBase, answers_upstream_failures
from bot.services.disable import DisableService
from bot.services.results import ConfigureForm, Failure, NothingToDisable, Refused


class Path(Enum):
    ERRORS = "errors"  # answer the inputs' problems
    ENABLE = "enable"  # application permissions: consent link
    CONFIRM_DISABLE = "confirm"  # push "Disable and Delete"
    DISABLE = "disable"  # nothing stored to delete: switch at once
    NOTHING = "nothing"  # already users' OAuth


@dataclass(frozen=True)
class Plan:
    path: Path
    errors: dict[str, str] = field(default_factory=dict)
    nothing: NothingToDisable | None = None
    version: int | None = None  # the scope's version this plan was made for: its change needs it unchanged


class ConfigureService(ServiceBase):
    @answers_upstream_failures
    async def open(self, actor: Actor) -> ConfigureForm | Refused | Failure:
        if not await self.permitted(actor, None, "open the configuration dialog"):
            return Refused()
        return ConfigureForm()

    async def plan(self, scope: Scope | None, choices: Choices) -> Plan:
        """Decides inside Slack's 3-second ack: it reads the database but calls nobody outside."""
        errors: dict[str, str] = {}
        if scope is None:
            errors["scope"] = "Choose the account or a Zoom group."
        if choices.third_party and choices.service != "office365":
            errors["service"] = "zoomcal manages the Office 365 integration; choose Office 365."
        if choices.third_party and choices.authorize_with != "graph":
            errors["authorize_with"] = "zoomcal manages the Graph API integration; choose Graph API."
        if errors or scope is None:
            return Plan(Path.ERRORS, errors)
        if choices.third_party and choices.setup_by == "app_permissions":
            return Plan(Path.ENABLE, version=await self.shown_version(scope))
        review = await DisableService(self.deps).review(scope)
        if isinstance(review, NothingToDisable):
            return Plan(Path.NOTHING, nothing=review)
        # Turning the integration off always asks; switching to OAuth asks when credentials would go.
        if not choices.third_party or review.has_credentials:
            return Plan(Path.CONFIRM_DISABLE, version=review.version)
        return Plan(Path.DISABLE, version=review.version)
