from slack_bolt.async_app import AsyncApp

from bot.jobs import JobQueue
from bot.services import Services
from bot.tasks import Tasks
from bot.workspaces import Workspaces
from handlers.actions import disable_clicked, group_picked, home_clicked, page_clicked
from handlers.actions.consent_link_opened import consent_link_opened
from handlers.blocks import ids
from handlers.errors import guarded


def register(app: AsyncApp, services: Services, jobs: JobQueue, tasks: Tasks, workspaces: Workspaces) -> None:
    # Pages turn most often: their listeners come first (see handlers.listeners).
    for action_id in (ids.PAGE_NEXT_ACTION, ids.PAGE_PREVIOUS_ACTION):
        app.action(action_id)(guarded(page_clicked.page_clicked(services, tasks, workspaces)))

    app.action(ids.DISABLE_ACTION)(guarded(disable_clicked.disable_clicked(jobs, tasks, workspaces)))
    jobs.register(disable_clicked.JOB, disable_clicked.run_disable(services, workspaces))

    app.action(ids.HOME_ENABLE_ACTION)(guarded(home_clicked.enable_clicked(services, tasks)))
    app.action(ids.HOME_DISABLE_ACTION)(guarded(home_clicked.disable_clicked(jobs, services, tasks)))
    for action_id in (ids.HOME_PAGE_NEXT_ACTION, ids.HOME_PAGE_PREVIOUS_ACTION):
        app.action(action_id)(guarded(home_clicked.page_clicked(services, tasks)))
    jobs.register(home_clicked.DISABLE_JOB, home_clicked.run_disable(services, workspaces))

    app.action(ids.GROUP_PICKED_ACTION)(guarded(group_picked.group_picked(services, jobs, tasks, workspaces)))

    app.action(ids.CONSENT_LINK_ACTION)(guarded(consent_link_opened))
