from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers import ids
from handlers.actions.consent_link_opened import consent_link_opened
from handlers.actions.disable_clicked import disable_clicked
from handlers.actions.home_clicked import home_disable_clicked, home_enable_clicked, home_page_clicked
from handlers.actions.page_clicked import page_clicked
from handlers.errors import guarded


def register(app: AsyncApp, services: Services) -> None:
    app.action(ids.CONSENT_LINK_ACTION)(guarded(consent_link_opened))
    app.action(ids.DISABLE_ACTION)(guarded(disable_clicked(services)))
    for action_id in (ids.PAGE_PREVIOUS_ACTION, ids.PAGE_NEXT_ACTION):
        app.action(action_id)(guarded(page_clicked(services)))
    app.action(ids.HOME_ENABLE_ACTION)(guarded(home_enable_clicked(services)))
    app.action(ids.HOME_DISABLE_ACTION)(guarded(home_disable_clicked(services)))
    for action_id in (ids.HOME_PAGE_PREVIOUS_ACTION, ids.HOME_PAGE_NEXT_ACTION):
        app.action(action_id)(guarded(home_page_clicked(services)))
