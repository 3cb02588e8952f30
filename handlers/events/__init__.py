from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.tasks import Tasks
from handlers.errors import guarded
from handlers.events import app_home_opened, app_uninstalled, tokens_revoked


def register(app: AsyncApp, services: Services, jobs: JobQueue, tasks: Tasks) -> None:
    app.event("app_home_opened")(guarded(app_home_opened.app_home_opened(services, tasks)))
    app.event("app_uninstalled")(guarded(app_uninstalled.app_uninstalled(jobs)))
    app.event("tokens_revoked")(guarded(tokens_revoked.tokens_revoked(jobs)))
    jobs.register(app_uninstalled.JOB, app_uninstalled.run_forget(services))
