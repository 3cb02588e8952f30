from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers.blocks import ids
from handlers.errors import guarded
from handlers.options.scope_options import scope_options


def register(app: AsyncApp, services: Services) -> None:
    app.options(ids.SCOPE_ACTION)(guarded(scope_options(services)))
