""""Disable and Delete" in the configuration dialog's confirmation."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from handlers import values
from handlers.blocks import modals
from handlers.modals.outcomes import DISABLE_JOB, Submission
from handlers.replies import lane


def confirm_disable_submitted(jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict, view: dict) -> None:
        submission = Submission.read(body, view)
        scope = values.shown(view.get("private_metadata"))
        await jobs.submit(DISABLE_JOB, submission.job(scope.scope, scope.version), lane=lane(submission.actor))
        # Replace the top view with progress; the job shows the outcome there.
        await ack(response_action="update", view=modals.progress_modal(scope.scope))

    return handle
