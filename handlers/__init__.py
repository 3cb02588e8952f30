"""Slack listeners: each checks what Slack sent, makes one service call, and acks.

Reads answer inside the ack; dialogs and Home tab updates run beside it (bot.tasks); changes
are persisted as jobs before the ack (bot.jobs), whose handlers live beside their listeners.
"""

from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers import actions, commands, errors, events, modals, options


def register(app: AsyncApp, services: Services, jobs: JobQueue, tasks: Tasks, workspaces: Workspaces) -> None:
    errors.register(app)
    commands.register(app, services, jobs, tasks, workspaces)
    modals.register(app, services, jobs, workspaces)
    actions.register(app, services, jobs, tasks, workspaces)
    options.register(app, services)
    events.register(app, services, jobs, tasks)
