"""Slack: the listeners (one package per kind of request, each with its register()), and the
Block Kit they answer with (handlers.blocks, which depends on nothing else in handlers).

Reads answer inside the ack; dialogs and Home tab updates run beside it (bot.tasks); changes
are persisted as jobs before the ack (bot.jobs), whose handlers live beside their listeners.
handlers.listeners registers them all. This module imports nothing, so importing the blocks
does not pull in every listener.
"""
