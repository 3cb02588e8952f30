from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from handlers.errors import guarded
from handlers.events import app_home_opened


def register(app: AsyncApp, services: Services, jobs: JobQueue) -> None:
    app.event("app_home_opened")(guarded(app_home_opened.app_home_opened(jobs)))
    jobs.register(app_home_opened.JOB, app_home_opened.run_publish(services, app.client))
