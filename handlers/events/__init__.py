from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers.errors import guarded
from handlers.events.app_home_opened import app_home_opened


def register(app: AsyncApp, services: Services) -> None:
    app.event("app_home_opened")(guarded(app_home_opened(services)))
