from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers import ids
from handlers.commands.zoomcal import zoomcal_command
from handlers.errors import guarded


def register(app: AsyncApp, services: Services) -> None:
    app.command(ids.COMMAND)(guarded(zoomcal_command(services)))
