"""`/zoomcal …`: reads answer in the ack, dialogs open beside it, the rest becomes a job.

- help, status, groups, audit, disable (its confirmation) and unknown commands change
  nothing: their answer comes from memory within ANSWER_BUDGET and rides in the ack. When an
  upstream call makes it slower (a cold role lookup against a slow Zoom), the ack says so and
  a job posts the answer through response_url.
- enable and `/zoomcal` alone open a dialog with the command's trigger_id, beside the ack.
- verify and check call Microsoft (check also Zoom) every time: a job answers them, once the
  ack has checked that the user may run them (a refusal rides in the ack).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk.web.async_client import AsyncWebClient

from bot.command import Command, Verb, parse
from bot.domain import Actor
from bot.jobs import PROMISED_AT, JobQueue
from bot.services import Services
from bot.services.results import ConfigureForm, EnableForm
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers.blocks import messages, modals
from handlers.errors import MalformedPayload, answers_errors
from handlers.opening import open_dialog, prepare, trigger_expires
from handlers.replies import actor_data, actor_from, lane, reply
from handlers.timing import settled
from storage.db import DatabaseUnavailable

JOB = "command"
DIALOGS = (Verb.ENABLE, Verb.CONFIGURE)
JOBS = (Verb.VERIFY, Verb.CHECK)

# When a job's answer needs Zoom or Microsoft and they are slow, a holding note goes first
# (response_url takes up to five posts) and the answer follows.
HOLDING_AFTER = 2.0  # after the ack, so the user hears back within Slack's 3 seconds
HOLDING = "Checking with Zoom and Microsoft… the answer follows in a moment."


def zoomcal_command(services: Services, jobs: JobQueue, tasks: Tasks, workspaces: Workspaces, begun: dict):
    """``begun``: reads too slow for their ack, by response_url, for their job to finish here."""

    async def handle(ack: AsyncAck, body: dict, client: AsyncWebClient) -> None:
        actor = Actor(_field(body, "team_id"), _field(body, "user_id"))
        text = str(body.get("text") or "")[:4000]
        command = parse(text)
        response_url = _field(body, "response_url")
        if command.problem is None and command.verb in DIALOGS:
            await _dialog(ack, client, services, tasks, workspaces, actor, command, _field(body, "trigger_id"), response_url)
            return
        job = {"actor": actor_data(actor), "response_url": response_url, "text": text}
        if command.problem is None and command.verb in JOBS:
            # Who may not run them is known at the door, like every other refusal: answered in the
            # ack, with no job left behind. The job judges again (verify afresh: it is a change).
            door = asyncio.ensure_future(_door(services, actor, command))
            if await settled(door):
                if door.result() is not None:
                    await ack(messages.answer(door.result()))
                    return
            else:  # a cold lookup: the job (starting here) answers once it is known, without asking again
                begun[response_url] = answering = asyncio.ensure_future(_past(door, services, actor, command))
                tasks.spawn(answering, "slow door")
            try:
                await jobs.submit(JOB, job, lane=lane(actor))
            except DatabaseUnavailable:  # the ack says nothing was changed: so nothing goes on behind it
                if (started := begun.pop(response_url, None)) is not None:
                    started.cancel()
                raise
            await ack()  # the answer follows through response_url
            return
        answering = asyncio.ensure_future(read(services, actor, command))
        if await settled(answering):
            await ack(messages.answer(answering.result()))
            return
        try:
            await jobs.submit(JOB, job | {"held": True}, lane=lane(actor))
            begun[response_url] = answering  # the job (starting here) takes it over; another replica's asks again
            tasks.spawn(answering, "slow answer")
        except DatabaseUnavailable:  # a read needs no record: this replica answers it, or the user asks again
            tasks.spawn(_answer_later(workspaces, response_url, answering), "slow answer")
        await ack(messages.note(HOLDING))

    return handle


async def _answer_later(workspaces: Workspaces, response_url: str, answering: asyncio.Future) -> None:
    await reply(workspaces.session, response_url, messages.answer(await answering, replace=True))


async def _door(services: Services, actor: Actor, command: Command):
    """A refusal of verify or check known now (None: allowed, or not known yet)."""
    if command.verb is Verb.VERIFY:
        return await services.verify.door(actor, command.target)
    return await services.check.door(actor)


async def _past(door: asyncio.Future, services: Services, actor: Actor, command: Command):
    """The door's refusal, or else the command's answer."""
    refused = await door
    return refused if refused is not None else await read(services, actor, command)


async def read(services: Services, actor: Actor, command: Command):
    """The answer of a command that changes nothing."""
    if command.verb is Verb.HELP:  # asked for, or a verb zoomcal does not know
        return await services.overview.help(actor, command.problem)
    if command.problem is not None:
        return await services.usage.hint(actor, command)
    match command.verb:
        case Verb.STATUS:
            return await services.overview.status(actor, command.target)
        case Verb.GROUPS:
            return await services.overview.groups(actor, command.text)
        case Verb.DISABLE:
            return await services.disable.prepare(actor, command.target)
        case Verb.VERIFY:
            return await services.verify.verify(actor, command.target)
        case Verb.CHECK:
            return await services.check.check(actor, command.email)
        case Verb.AUDIT:
            return await services.audit_log.recent(actor, command.count)
    raise AssertionError(f"unhandled verb {command.verb}")


async def _dialog(ack, client, services, tasks, workspaces, actor: Actor, command: Command, trigger_id: str, response_url: str):
    expires = trigger_expires()
    if command.verb is Verb.ENABLE:
        checks, form_type, build = services.enable.prepare(actor, command.target), EnableForm, modals.enable_modal
    else:
        checks, form_type, build = services.configure.open(actor), ConfigureForm, lambda _: modals.configure_modal()
    preparing, ready = await prepare(checks)
    if ready and not isinstance(preparing.result(), form_type):
        await ack(messages.answer(preparing.result()))  # refused, or no such group
        return

    async def opening() -> None:
        answer = await open_dialog(client, trigger_id, preparing, form_type, build, expires)
        if answer is not None:
            await reply(workspaces.session, response_url, messages.answer(answer))

    tasks.spawn(opening(), "open dialog")
    await ack()


def run_command(services: Services, workspaces: Workspaces, begun: dict):
    @answers_errors(workspaces)
    async def run(payload: dict) -> None:
        answering = begun.pop(payload["response_url"], None)
        if answering is None:
            command = parse(payload["text"])
            if payload.get("group_id") and command.target is not None:  # a group picked among same-named ones
                command = dataclasses.replace(
                    command, target=dataclasses.replace(command.target, group_id=str(payload["group_id"]))
                )
            answering = asyncio.ensure_future(read(services, actor_from(payload["actor"]), command))
        held = bool(payload.get("held"))  # the ack already said the answer follows
        if not held:
            waited = time.time() - payload.get(PROMISED_AT, time.time())
            done, _ = await asyncio.wait({answering}, timeout=max(0.0, HOLDING_AFTER - waited))
            if not done:
                await reply(workspaces.session, payload["response_url"], messages.note(HOLDING))
                held = True
        result = await answering
        await reply(workspaces.session, payload["response_url"], messages.answer(result, replace=held))

    return run


def _field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedPayload(name)
    return value
