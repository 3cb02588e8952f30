from slack_bolt.async_app import AsyncApp

from bot.services.integrations import IntegrationService
from handlers import ids
from handlers.errors import guarded
from handlers.commands.zoomcal import zoomcal_command


def register(app: AsyncApp, service: IntegrationService) -> None:
    app.command(ids.COMMAND)(guarded(zoomcal_command(service)))
