from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.workspaces import Workspaces
from handlers import ids
from handlers.actions import disable_clicked, home_clicked, page_clicked
from handlers.actions.consent_link_opened import consent_link_opened
from handlers.errors import guarded


def register(app: AsyncApp, services: Services, jobs: JobQueue, workspaces: Workspaces) -> None:
    app.action(ids.CONSENT_LINK_ACTION)(guarded(consent_link_opened))

    app.action(ids.DISABLE_ACTION)(guarded(disable_clicked.disable_clicked(jobs)))
    jobs.register(disable_clicked.JOB, disable_clicked.run_disable(services, workspaces))

    for action_id in (ids.PAGE_PREVIOUS_ACTION, ids.PAGE_NEXT_ACTION):
        app.action(action_id)(guarded(page_clicked.page_clicked(jobs)))
    jobs.register(page_clicked.JOB, page_clicked.run_page(services, workspaces))

    app.action(ids.HOME_ENABLE_ACTION)(guarded(home_clicked.home_clicked(jobs, home_clicked.ENABLE_JOB)))
    app.action(ids.HOME_DISABLE_ACTION)(guarded(home_clicked.home_clicked(jobs, home_clicked.DISABLE_JOB)))
    for action_id in (ids.HOME_PAGE_PREVIOUS_ACTION, ids.HOME_PAGE_NEXT_ACTION):
        app.action(action_id)(guarded(home_clicked.home_clicked(jobs, home_clicked.PAGE_JOB)))
    home_clicked.register_jobs(jobs, services, workspaces)
