"""Slack listeners: each translates between Slack and one service call."""

from slack_bolt.async_app import AsyncApp

from bot.services.integrations import IntegrationService
from handlers import actions, commands, errors, modals


def register(app: AsyncApp, service: IntegrationService) -> None:
    errors.register(app)
    commands.register(app, service)
    modals.register(app, service)
    actions.register(app, service)
