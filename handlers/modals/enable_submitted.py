""""Authorize and Save": check the choices inside the ack, then request consent in a job."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from bot.services import Services
from handlers import ids
from handlers.blocks import modals
from handlers.modals.outcomes import ENABLE_JOB, Submission
from handlers.replies import lane


def enable_submitted(services: Services, jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict, view: dict) -> None:
        submission = Submission.read(body, view)
        scope = modals.scope_from_metadata(view.get("private_metadata"))
        choices = modals.choices_from_state(submission.values)
        problems = services.enable.check_choices(choices)
        if problems:
            await ack(response_action="errors", errors={ids.FIELD_BLOCKS[f]: m for f, m in problems.items()})
            return
        await jobs.submit(ENABLE_JOB, submission.job(scope, choices=choices.as_dict()), lane=lane(submission.actor))
        # Keep the modal open with a progress note; the job shows the outcome once known.
        await ack(response_action="update", view=modals.progress_modal(scope))

    return handle
