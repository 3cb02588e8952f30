"""Next / Previous on a status or groups listing: replace the message with that page."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from bot.services import Services
from bot.workspaces import Workspaces
from handlers.actions.clicks import Click
from handlers.blocks import messages
from handlers.errors import MalformedPayload, answers_errors
from handlers.replies import reply

JOB = "click.page"


def page_clicked(jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict) -> None:
        click = Click.read(body)
        click.page()
        if not click.response_url:
            raise MalformedPayload("response_url")
        await jobs.submit(JOB, click.job())
        await ack()

    return handle


def run_page(services: Services, workspaces: Workspaces):
    @answers_errors(workspaces)
    async def run(payload: dict) -> None:
        click = Click.from_job(payload)
        listing, query, page = click.page()
        if listing == "groups":
            result = await services.overview.groups(click.actor, query, page)
        else:
            result = await services.overview.status(click.actor, None, page)
        await reply(workspaces.session, click.response_url, messages.message(result), replace=True)

    return run
