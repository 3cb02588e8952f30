from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers.blocks import ids
from handlers.commands import zoomcal
from handlers.errors import guarded


def register(app: AsyncApp, services: Services, jobs: JobQueue, tasks: Tasks, workspaces: Workspaces) -> None:
    begun: dict = {}  # reads begun in an ack and finished by their job
    app.command(ids.COMMAND)(guarded(zoomcal.zoomcal_command(services, jobs, tasks, workspaces, begun)))
    jobs.register(zoomcal.JOB, zoomcal.run_command(services, workspaces, begun))
