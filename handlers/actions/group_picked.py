"""One of several Zoom groups whose names fold together, picked by its id: run the command for it."""

from __future__ import annotations

import asyncio

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.command import Verb
from bot.jobs import JobQueue
from bot.services import Services
from bot.services.results import DATABASE_DOWN, EnableForm
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers import values
from handlers.actions.clicks import Click
from handlers.blocks import messages, modals
from handlers.commands.zoomcal import JOB
from handlers.errors import MalformedPayload
from handlers.opening import open_dialog, prepare, trigger_expires
from handlers.replies import actor_data, lane, reply
from handlers.timing import settled
from storage.db import DatabaseUnavailable


def group_picked(services: Services, jobs: JobQueue, tasks: Tasks, workspaces: Workspaces):
    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        click = Click.read(body)
        verb, target = values.picked(click.value)  # a forged value is refused before the ack
        if verb is Verb.ENABLE:  # the dialog opens with this click's trigger_id, as after the command
            expires = trigger_expires()
            preparing, _ = await prepare(services.enable.prepare(click.actor, target))

            async def opening() -> None:
                answer = await open_dialog(client, click.trigger_id, preparing, EnableForm, modals.enable_modal, expires)
                if answer is not None and click.response_url:
                    await reply(workspaces.session, click.response_url, messages.answer(answer, replace=True))

            tasks.spawn(opening(), "open dialog")
            await ack()
            return
        if not click.response_url:
            raise MalformedPayload("response_url")
        if verb is Verb.VERIFY:  # calls Microsoft: a job, as the command is, once the door lets it by
            door = asyncio.ensure_future(services.verify.door(click.actor, target))
            if await settled(door):
                if door.result() is not None:  # a refusal known now leaves no job behind
                    tasks.spawn(reply(workspaces.session, click.response_url, messages.answer(door.result(), replace=True)), "picked group")
                    await ack()
                    return
            else:  # a cold lookup against a slow Zoom: the ack cannot wait; the job judges afresh anyway
                door.cancel()
            job = {"actor": actor_data(click.actor), "response_url": click.response_url,
                   "text": f"verify group {target.group_name}", "group_id": target.group_id}
            try:
                await jobs.submit(JOB, job, lane=lane(click.actor))
            except DatabaseUnavailable:  # nothing changed: said beside the message, whose buttons stay
                tasks.spawn(reply(workspaces.session, click.response_url, messages.answer(DATABASE_DOWN)), "tell")
            await ack()
            return

        async def answer() -> None:  # a read: nothing to keep if the replica dies, the user clicks again
            if verb is Verb.STATUS:
                result = await services.overview.status(click.actor, target)
            else:
                result = await services.disable.prepare(click.actor, target)
            await reply(workspaces.session, click.response_url, messages.answer(result, replace=True))

        tasks.spawn(answer(), "picked group")
        await ack()

    return handle
