"""Microsoft's answers in Slack: our explanation as text, Microsoft's own words quoted inert."""

from __future__ import annotations

from bot.clients.microsoft_errors import split
from handlers.blocks.common import code, escape, message


def said(reason: str) -> str:
    """An explained reason (bot.services.explain): the explanation, then Microsoft's code and
    description in inline code. Anything else is outside text: all of it quoted, as before."""
    ours, theirs = split(reason)
    if theirs is None:
        return code(reason)
    return f"{escape(ours)} Microsoft said: {code(theirs)}"


def credential_failing(warning: str) -> dict:
    """The audit channel, once when an episode starts on a replica (bot.clients.microsoft.CredentialWatch)."""
    return message(f":rotating_light: {said(warning)}") | {"unfurl_links": False, "unfurl_media": False}


def credential_restored(variable: str) -> dict:
    return message(
        f":white_check_mark: Microsoft issues tokens for zoomcal's own credential ({escape(variable)}) again."
    ) | {"unfurl_links": False, "unfurl_media": False}
