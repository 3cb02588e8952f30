""""Disable and Delete" in the configuration dialog's confirmation."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from handlers.blocks import modals
from handlers.modals.outcomes import DISABLE_JOB, Submission
from handlers.replies import lane


def confirm_disable_submitted(jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict, view: dict) -> None:
        submission = Submission.read(body, view)
        scope = modals.scope_from_metadata(view.get("private_metadata"))
        await jobs.submit(DISABLE_JOB, submission.job(scope), lane=lane(submission.actor))
        # Replace the top view with progress; the job shows the outcome there.
        await ack(response_action="update", view=modals.progress_modal(scope))

    return handle
