"""Slack listeners: each checks what Slack sent, persists the work as a job, and acks.

The job (beside its listener) makes one service call and answers Slack.
"""

from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.workspaces import Workspaces
from handlers import actions, commands, errors, events, modals, options


def register(app: AsyncApp, services: Services, jobs: JobQueue, workspaces: Workspaces) -> None:
    errors.register(app)
    commands.register(app, services, jobs, workspaces)
    modals.register(app, services, jobs, workspaces)
    actions.register(app, services, jobs, workspaces)
    options.register(app, services)
    events.register(app, services, jobs, workspaces)
