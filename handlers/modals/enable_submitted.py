""""Authorize and Save": check the choices inside the ack, then request consent in a job."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from bot.services import Services
from handlers import values
from handlers.blocks import ids, modals
from handlers.modals.outcomes import ENABLE_JOB, Submission
from handlers.replies import lane


def enable_submitted(services: Services, jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict, view: dict) -> None:
        submission = Submission.read(body, view)
        scope = values.shown(view.get("private_metadata"))
        choices = values.choices(submission.values)
        problems = services.enable.check_choices(choices)
        if problems:
            await ack(response_action="errors", errors={ids.FIELD_BLOCKS[f]: m for f, m in problems.items()})
            return
        job = submission.job(scope.scope, scope.version, choices=choices.as_dict())
        await jobs.submit(ENABLE_JOB, job, lane=lane(submission.actor))
        # Keep the modal open with a progress note; the job shows the outcome once known.
        await ack(response_action="update", view=modals.progress_modal(scope.scope))

    return handle
