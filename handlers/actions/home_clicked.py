"""The Home tab's buttons: Enable opens the enable modal, Disable disables, pages turn."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.jobs import JobQueue
from bot.services import Services
from bot.services.results import EnableForm
from bot.workspaces import Workspaces
from handlers.actions.clicks import Click
from handlers.blocks import home, modals
from handlers.opening import open_modal

ENABLE_JOB, DISABLE_JOB, PAGE_JOB = "home.enable", "home.disable", "home.page"


def home_clicked(jobs: JobQueue, kind: str):
    """The listener for one of the tab's buttons: check the value, persist the job, ack."""

    async def handle(ack: AsyncAck, body: dict) -> None:
        click = Click.read(body)
        click.page() if kind == PAGE_JOB else click.scope()
        await jobs.submit(kind, click.job())
        await ack()

    return handle


def register_jobs(jobs: JobQueue, services: Services, workspaces: Workspaces) -> None:
    async def publish(click: Click, notice=None, page: int = 1) -> None:
        dashboard = await services.overview.dashboard(click.actor, page)
        client = await workspaces.client(click.actor.team_id)
        await client.views_publish(user_id=click.actor.user_id, view=home.home_view(dashboard, notice))

    async def enable(payload: dict) -> None:
        click = Click.from_job(payload)
        prepared = services.enable.prepare_for(click.actor, click.scope())
        client = await workspaces.client(click.actor.team_id)
        answer = await open_modal(client, click.trigger_id, prepared, EnableForm, modals.enable_modal)
        if answer is not None:  # refused, or Zoom failed: say so on the tab
            await publish(click, answer)

    async def disable(payload: dict) -> None:
        click = Click.from_job(payload)
        await publish(click, await services.disable.disable(click.actor, click.scope()))

    async def page(payload: dict) -> None:
        click = Click.from_job(payload)
        await publish(click, page=click.page()[2])

    jobs.register(ENABLE_JOB, enable)
    jobs.register(DISABLE_JOB, disable)
    jobs.register(PAGE_JOB, page)
