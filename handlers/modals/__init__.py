from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.workspaces import Workspaces
from handlers.blocks import ids
from handlers.errors import guarded
from handlers.modals.configure_submitted import configure_submitted
from handlers.modals.confirm_disable_submitted import confirm_disable_submitted
from handlers.modals.enable_submitted import enable_submitted
from handlers.modals.outcomes import register_jobs


def register(app: AsyncApp, services: Services, jobs: JobQueue, workspaces: Workspaces) -> None:
    app.view_submission(ids.ENABLE_VIEW)(guarded(enable_submitted(services, jobs)))
    app.view_submission(ids.CONFIGURE_VIEW)(guarded(configure_submitted(services, jobs)))
    app.view_submission(ids.CONFIRM_DISABLE_VIEW)(guarded(confirm_disable_submitted(jobs)))
    register_jobs(jobs, services, workspaces)
