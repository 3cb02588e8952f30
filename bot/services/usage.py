"""Commands of a known verb that were not understood: that verb's usage, and what was likely meant."""

from __future__ import annotations

from bot.command import EXAMPLES, USAGE, Command
from bot.domain import Actor
from bot.services.base import ServiceBase, answers_upstream_failures
from bot.services.results import Failure, UsageHint

MAX_MEANT = 3  # the closest groups offered in "Did you mean"


class UsageService(ServiceBase):
    @answers_upstream_failures
    async def hint(self, actor: Actor, command: Command) -> UsageHint | Failure:
        """``/zoomcal enable Sales`` (the likeliest slip) suggests ``/zoomcal enable group Sales``.

        Only to those who may see the groups' list anyway: an answer naming a group, even in the
        spelling typed, would tell anyone else that Zoom has it (nobody learns group names from
        zoomcal without the right to list them)."""
        meant: tuple[str, ...] = ()
        if command.misnamed and await self.is_admin(actor):
            match = await self.deps.directory.find(command.misnamed)
            if match.group is not None:
                names: tuple[str, ...] = (match.group.name,)
            else:
                names = tuple(g.name for g in match.candidates)[:MAX_MEANT] or match.suggestions[:MAX_MEANT]
            meant = tuple(f"/zoomcal {command.verb} group {name}" for name in names)
        return UsageHint(command.problem or "", USAGE[command.verb], EXAMPLES.get(command.verb, ""), meant)
