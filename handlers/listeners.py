"""Every listener and job handler, registered on the Bolt app and the job queue."""

from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers import actions, commands, errors, events, modals, options


def register(app: AsyncApp, services: Services, jobs: JobQueue, tasks: Tasks, workspaces: Workspaces) -> None:
    """In the order Bolt tries them for each request, the most frequent first: every listener tried
    before the one that matches costs the request a matcher call (about 8 µs each, measured)."""
    errors.register(app)
    commands.register(app, services, jobs, tasks, workspaces)
    actions.register(app, services, jobs, tasks, workspaces)
    options.register(app, services)
    modals.register(app, services, jobs, workspaces)
    events.register(app, services, jobs, tasks)
