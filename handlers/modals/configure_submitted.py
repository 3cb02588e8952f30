"""The configuration dialog's Save: enable, ask to confirm a disable, or point at bad inputs."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from bot.services import Services
from bot.services.configure import Path
from handlers import values
from handlers.blocks import ids, modals
from handlers.modals.outcomes import DISABLE_JOB, ENABLE_JOB, Submission
from handlers.replies import lane


def configure_submitted(services: Services, jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict, view: dict) -> None:
        submission = Submission.read(body, view)
        scope = values.chosen_scope(submission.values)
        choices = values.choices(submission.values)
        plan = await services.configure.plan(scope, choices)
        if plan.path is Path.ERRORS:
            block_ids = ids.FIELD_BLOCKS | {"scope": ids.SCOPE_BLOCK}
            await ack(response_action="errors", errors={block_ids[f]: m for f, m in plan.errors.items()})
        elif plan.path is Path.CONFIRM_DISABLE:
            await ack(response_action="push", view=modals.confirm_disable_modal(scope, plan.version))
        elif plan.path is Path.NOTHING:
            await ack(response_action="update", view=modals.outcome_modal(modals.MODAL_TITLE, plan.nothing))
        else:
            if plan.path is Path.ENABLE:
                job = ENABLE_JOB, submission.job(scope, plan.version, choices=choices.as_dict())
            else:
                job = DISABLE_JOB, submission.job(scope, plan.version)
            await jobs.submit(*job, lane=lane(submission.actor))
            await ack(response_action="update", view=modals.progress_modal(scope))

    return handle

