"""The Home tab's buttons: Enable opens the enable dialog, Disable disables, pages turn."""

from __future__ import annotations

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.jobs import JobQueue
from bot.services import Services
from bot.services.results import DATABASE_DOWN, EnableForm
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers.actions.clicks import Click
from handlers.blocks import home, modals
from handlers.opening import open_dialog, prepare, trigger_expires
from handlers.replies import lane
from storage.db import DatabaseUnavailable

DISABLE_JOB = "home.disable"


async def publish(services: Services, client: AsyncWebClient, click: Click, notice=None, page: int = 1) -> None:
    dashboard = await services.overview.dashboard(click.actor, page)
    await client.views_publish(user_id=click.actor.user_id, view=home.home_view(dashboard, notice))


def enable_clicked(services: Services, tasks: Tasks):
    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        click = Click.read(body)
        expires = trigger_expires()
        preparing, _ = await prepare(services.enable.prepare_for(click.actor, click.scope().scope))

        async def opening() -> None:
            answer = await open_dialog(client, click.trigger_id, preparing, EnableForm, modals.enable_modal, expires)
            if answer is not None:  # refused, or Slack would not open it: say so on the tab
                await publish(services, client, click, answer)

        tasks.spawn(opening(), "open dialog")
        await ack()

    return handle


def disable_clicked(jobs: JobQueue, services: Services, tasks: Tasks):
    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        click = Click.read(body)
        click.scope()  # a forged value is refused before the ack
        try:
            await jobs.submit(DISABLE_JOB, click.job(), lane=lane(click.actor))
        except DatabaseUnavailable:  # nothing changed: said on the tab
            tasks.spawn(publish(services, client, click, DATABASE_DOWN), "publish the Home tab")
        await ack()

    return handle


def page_clicked(services: Services, tasks: Tasks):
    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        click = Click.read(body)
        page = click.page()[2]
        tasks.spawn(publish(services, client, click, page=page), "publish the Home tab")
        await ack()

    return handle


def run_disable(services: Services, workspaces: Workspaces):
    async def run(payload: dict) -> None:
        click = Click.from_job(payload)
        client = await workspaces.client(click.actor.team_id)
        scope = click.scope()
        notice = await services.disable.disable(click.actor, scope.scope, scope.version)
        await publish(services, client, click, notice)

    return run
