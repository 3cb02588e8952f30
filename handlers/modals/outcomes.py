"""The jobs behind modal submissions: request consent, or disable, then show the outcome."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain import Actor, Scope
from bot.jobs import JobQueue
from bot.services import Services
from bot.workspaces import Workspaces
from handlers.blocks.common import encode_scope
from handlers.errors import MalformedPayload, answers_errors
from handlers.replies import actor_data, actor_from, choices_from, show_outcome
from handlers.values import shown

ENABLE_JOB = "modal.enable"
DISABLE_JOB = "modal.disable"


@dataclass(frozen=True)
class Submission:
    actor: Actor
    view_id: str
    values: dict

    @classmethod
    def read(cls, body: dict, view: dict) -> Submission:
        try:
            team = body.get("team") or {}
            actor = Actor(str(team.get("id") or body["user"]["team_id"]), str(body["user"]["id"]))
            values = view["state"]["values"]
            if not isinstance(values, dict):
                raise TypeError
            return cls(actor, str(view["id"]), values)
        except (KeyError, TypeError, AttributeError):
            raise MalformedPayload("view_submission") from None

    def job(self, scope: Scope, version: int | None, **extra) -> dict:
        """What the job needs: who, which dialog, the scope and the version it was shown at."""
        scoped = encode_scope(scope, version)
        return {"actor": actor_data(self.actor), "view_id": self.view_id, "scope": scoped, **extra}


def register_jobs(jobs: JobQueue, services: Services, workspaces: Workspaces) -> None:
    @answers_errors(workspaces)
    async def enable(payload: dict) -> None:
        actor = actor_from(payload["actor"])
        scope = shown(payload["scope"])
        result = await services.enable.request_consent(
            actor, scope.scope, choices_from(payload["choices"]), payload["view_id"], scope.version
        )
        await show_outcome(await workspaces.client(actor.team_id), actor, payload["view_id"], result)

    @answers_errors(workspaces)
    async def disable(payload: dict) -> None:
        actor = actor_from(payload["actor"])
        scope = shown(payload["scope"])
        result = await services.disable.disable(actor, scope.scope, scope.version)
        await show_outcome(await workspaces.client(actor.team_id), actor, payload["view_id"], result)

    jobs.register(ENABLE_JOB, enable)
    jobs.register(DISABLE_JOB, disable)
