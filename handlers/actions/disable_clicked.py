""""Disable and Delete" (after Slack's confirm dialog): replace the message with the outcome."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from bot.services import Services
from bot.services.results import DATABASE_DOWN
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers.actions.clicks import Click
from handlers.blocks import messages
from handlers.errors import MalformedPayload, answers_errors
from handlers.replies import lane, reply
from storage.db import DatabaseUnavailable

JOB = "click.disable"


def disable_clicked(jobs: JobQueue, tasks: Tasks, workspaces: Workspaces):
    async def handle(ack: AsyncAck, body: dict) -> None:
        click = Click.read(body)
        click.scope()  # a forged value is refused before the ack
        if not click.response_url:
            raise MalformedPayload("response_url")
        try:
            await jobs.submit(JOB, click.job(), lane=lane(click.actor))
        except DatabaseUnavailable:  # nothing changed: said beside the message, whose button stays
            tasks.spawn(reply(workspaces.session, click.response_url, messages.answer(DATABASE_DOWN)), "tell")
        await ack()

    return handle


def run_disable(services: Services, workspaces: Workspaces):
    @answers_errors(workspaces)
    async def run(payload: dict) -> None:
        click = Click.from_job(payload)
        # The clicker, not whoever ran the command: anyone who sees the button can click it.
        scope = click.scope()
        result = await services.disable.disable(click.actor, scope.scope, scope.version)
        await reply(workspaces.session, click.response_url, messages.answer(result, replace=True))

    return run
