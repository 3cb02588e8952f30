"""Slack listeners: each translates between Slack and one service call."""

from slack_bolt.async_app import AsyncApp

from bot.services import Services
from handlers import actions, commands, errors, events, modals, options


def register(app: AsyncApp, services: Services) -> None:
    errors.register(app)
    commands.register(app, services)
    modals.register(app, services)
    actions.register(app, services)
    options.register(app, services)
    events.register(app, services)
