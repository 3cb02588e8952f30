"""Microsoft's answers as the services word them: the explanation first, then Microsoft's own words
(bot.clients.microsoft_errors holds the map; handlers show the explanation and quote the rest)."""

from __future__ import annotations

from bot.clients.errors import UpstreamError
from bot.clients.microsoft import CredentialError, CredentialProblem
from bot.clients.microsoft_errors import OWN_CODES, code_in, explained


def reason(exc: UpstreamError) -> str:
    """What a failing call to Microsoft means, with the service's own words (and code) after it."""
    said = f"{exc.service} {exc.message}"
    if exc.code and exc.code not in said and exc.code not in OWN_CODES:
        said = f"{said} ({exc.code})"
    return explained(exc.code, said, exc.variable if isinstance(exc, CredentialError) else None)


def consent_error(error: str, description: str) -> str:
    """The consent redirect's ``error`` and ``error_description`` (trimmed, as received)."""
    said = f"Microsoft reported {error[:100]}: {description[:500]}".rstrip(": ")
    return explained(code_in(error, description), said)


def credential_warning(problem: CredentialProblem) -> str:
    """The bot-wide line while Microsoft refuses zoomcal's own credential (status, audit channel)."""
    return (
        f"Microsoft refuses zoomcal's own credential ({problem.variable}), so no scope can get a token: the bot's "
        f"operator must replace {problem.variable}. Scopes keep their status meanwhile. {problem.explanation}"
    )
