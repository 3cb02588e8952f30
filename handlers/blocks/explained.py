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


def associated_line(preflight, organization: str) -> str | None:
    """Zoom's associated domains against the tenant's verified ones (the domain preflight), or None
    for a preflight stored before they were compared."""
    if preflight.associated_error:
        return (
            f":warning: Zoom's associated domains could not be compared with the domains {code(organization)} has "
            f"verified: {code(preflight.associated_error)}"
        )
    if preflight.associated_matched is None:
        return None
    if preflight.associated_matched:
        return f"Zoom's associated domains include one {code(organization)} has verified"
    names = ", ".join(code(d, 100) for d in preflight.associated[:20]) or "none"
    return (
        f":warning: None of the Zoom account's associated domains ({names}) is verified by {code(organization)}: "
        "Zoom's Application Permissions integration needs at least one associated domain that the Microsoft 365 "
        "tenant has verified. Add and verify one in Zoom (Account Management → Account Profile → Associated "
        "Domains) and in Microsoft Entra (Settings → Domain names)"
    )
