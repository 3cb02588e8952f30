"""`/zoomcal …`: persist the work, ack at once; the job answers privately (one service call per verb)."""

from __future__ import annotations

import asyncio
import time

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.command import Command, Verb, parse
from bot.domain import Actor
from bot.jobs import PROMISED_AT, JobQueue
from bot.services import Services
from bot.services.results import ConfigureForm, EnableForm
from bot.workspaces import Workspaces
from handlers.blocks import messages, modals
from handlers.errors import MalformedPayload, answers_errors
from handlers.opening import open_modal
from handlers.replies import actor_data, actor_from, reply

JOB = "command"


def zoomcal_command(jobs: JobQueue):
    async def handle(ack: AsyncAck, body: dict) -> None:
        payload = {
            "actor": actor_data(Actor(_field(body, "team_id"), _field(body, "user_id"))),
            "trigger_id": _field(body, "trigger_id"),
            "response_url": _field(body, "response_url"),
            "text": str(body.get("text") or "")[:4000],
        }
        await jobs.submit(JOB, payload)
        await ack()  # within Slack's 3 seconds; the answer follows through response_url

    return handle


# Slack expects an answer within 3 seconds of the command. When Zoom or Microsoft are slow,
# a holding note goes first (response_url takes up to five posts) and the answer follows.
HOLDING_AFTER = 2.0  # after the ack, so the user hears back within Slack's 3 seconds
HOLDING_AT_LEAST = 0.3  # a job that waited behind a burst of acks still gets a moment to answer
HOLDING = "Checking with Zoom and Microsoft… the answer follows in a moment."


def run_command(services: Services, workspaces: Workspaces):
    @answers_errors(workspaces)
    async def run(payload: dict) -> None:
        command = parse(payload["text"])
        answering = asyncio.ensure_future(
            _answer(services, workspaces, actor_from(payload["actor"]), command, payload["trigger_id"])
        )
        waited = time.time() - payload.get(PROMISED_AT, time.time())
        done, _ = await asyncio.wait({answering}, timeout=max(HOLDING_AT_LEAST, HOLDING_AFTER - waited))
        if not done:
            await reply(workspaces.session, payload["response_url"], {"text": HOLDING})
        result = await answering
        if result is not None:
            await reply(workspaces.session, payload["response_url"], messages.message(result), replace=not done)

    return run


async def _answer(services: Services, workspaces: Workspaces, actor: Actor, command: Command, trigger_id: str):
    """The service's answer to post, or None when a modal opened instead."""
    target = command.target
    if command.problem is not None or command.verb is Verb.HELP:
        return await services.overview.help(actor, command.problem)
    match command.verb:
        case Verb.CONFIGURE:
            client = await workspaces.client(actor.team_id)
            prepared = services.configure.open(actor)
            return await open_modal(client, trigger_id, prepared, ConfigureForm, lambda _: modals.configure_modal())
        case Verb.ENABLE:
            client = await workspaces.client(actor.team_id)
            prepared = services.enable.prepare(actor, target)
            return await open_modal(client, trigger_id, prepared, EnableForm, modals.enable_modal)
        case Verb.STATUS:
            return await services.overview.status(actor, target)
        case Verb.GROUPS:
            return await services.overview.groups(actor, command.text)
        case Verb.DISABLE:
            return await services.disable.prepare(actor, target)
        case Verb.VERIFY:
            return await services.verify.verify(actor, target)
        case Verb.AUDIT:
            return await services.audit_log.recent(actor, command.count)
    raise AssertionError(f"unhandled verb {command.verb}")


def _field(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise MalformedPayload(name)
    return value
