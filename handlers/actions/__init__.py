from slack_bolt.async_app import AsyncApp

from bot.services.integrations import IntegrationService
from handlers import ids
from handlers.errors import guarded
from handlers.actions.consent_link_opened import consent_link_opened


def register(app: AsyncApp, service: IntegrationService) -> None:
    app.action(ids.CONSENT_LINK_ACTION)(guarded(consent_link_opened))
