from slack_bolt.async_app import AsyncApp

from bot.services.integrations import IntegrationService
from handlers import ids
from handlers.errors import guarded
from handlers.modals.enable_submitted import enable_submitted


def register(app: AsyncApp, service: IntegrationService) -> None:
    app.view_submission(ids.ENABLE_VIEW)(guarded(enable_submitted(service)))
