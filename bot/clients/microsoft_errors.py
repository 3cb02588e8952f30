"""What Microsoft's answers mean and what to do next: one map for every place a person reads one.

Keys are Microsoft's own codes: AADSTS codes of the identity platform (Microsoft's reference:
learn.microsoft.com/entra/identity-platform/reference-error-codes), the OAuth ``error`` of the
consent redirect, and Graph's error codes. An explanation always comes with Microsoft's code and
description; an unknown code keeps Microsoft's words alone.

The codes of ``CREDENTIAL_CODES`` are zoomcal's own credential failing (a secret, certificate or
federated assertion the token endpoint refused): the operator's problem, never a tenant's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Between the explanation and Microsoft's own words in a reason: renderers show the part before
# it as our text and the part after it quoted (it is outside text).
MICROSOFT_SAID = " Microsoft said: "

_AADSTS = re.compile(r"\bAADSTS(\d+)\b")

UNREADABLE_CREDENTIAL = "credential file unreadable"
# Codes that are zoomcal's own words, not Microsoft's: nothing of theirs is quoted.
OWN_CODES = frozenset({UNREADABLE_CREDENTIAL})

# zoomcal's own client credential is invalid, expired or refused (the contract's list).
CREDENTIAL_CODES = frozenset(
    {"AADSTS7000215", "AADSTS7000222", "AADSTS700027", "AADSTS70021", "AADSTS700211", "AADSTS700024",
     # Also zoomcal's own credential: an assertion without a matching federated credential, a
     # certificate key not registered, an assertion that is not a JWT, an expired assertion.
     "AADSTS700213", "AADSTS700212", "AADSTS70025", "AADSTS700023", "AADSTS50027", "AADSTS7000216",
     # zoomcal's own word, not Microsoft's: the credential file could not be read (nothing was sent)
     UNREADABLE_CREDENTIAL}
)

_CONSENT_DECLINED = (
    "The Microsoft admin declined or cancelled the consent",
    "run /zoomcal enable again and accept the permissions on Microsoft's page",
)
_NOT_IN_TENANT = (
    "zoomcal's Entra app is not (or no longer) registered in that tenant: its consent was removed or never "
    "granted, or the tenant is in another Microsoft cloud",
    "run /zoomcal enable again so a Microsoft admin grants consent",
)

# code → (what it means, what to do next)
_MEANINGS: dict[str, tuple[str, str]] = {
    # the consent redirect's `error=`
    "access_denied": _CONSENT_DECLINED,
    "consent_required": _CONSENT_DECLINED,
    "AADSTS65004": _CONSENT_DECLINED,
    "AADSTS65001": (
        "Consent to zoomcal's Entra app has not been granted in that tenant",
        "run /zoomcal enable again so a Microsoft admin grants admin consent",
    ),
    "AADSTS90094": (
        "The Microsoft account that signed in cannot grant tenant-wide (admin) consent",
        "open the consent link again and sign in as a Global Administrator or Privileged Role Administrator "
        "of the tenant",
    ),
    "AADSTS90008": (
        "The Microsoft account that signed in cannot grant tenant-wide (admin) consent",
        "open the consent link again and sign in as a Global Administrator or Privileged Role Administrator "
        "of the tenant",
    ),
    "AADSTS50020": (
        "The Microsoft account that signed in is from another tenant, or is a personal Microsoft account",
        "open the consent link again and sign in with an admin account of the organization's own tenant",
    ),
    "AADSTS50011": (
        "The redirect URI of the consent link is not registered on zoomcal's Entra app",
        "the bot's operator must add {ZOOMCAL_PUBLIC_URL}/microsoft/callback as a Web redirect URI of the app",
    ),
    "AADSTS500113": (
        "zoomcal's Entra app has no redirect URI registered",
        "the bot's operator must add {ZOOMCAL_PUBLIC_URL}/microsoft/callback as a Web redirect URI of the app",
    ),
    "AADSTS700016": _NOT_IN_TENANT,
    "AADSTS7000229": _NOT_IN_TENANT,
    "AADSTS500011": (
        "Microsoft Graph is not known to that tenant in this cloud (zoomcal's app is not consented there, "
        "or MS_GRAPH_URL names another Microsoft cloud)",
        "run /zoomcal enable again; the bot's operator checks MS_GRAPH_URL and MS_AUTHORITY_HOST",
    ),
    "AADSTS90002": (
        "No such tenant exists (in this Microsoft cloud)",
        "the bot's operator checks MS_TENANT and MS_AUTHORITY_HOST",
    ),
    "AADSTS900023": (
        "The tenant named is not a valid tenant id or domain",
        "the bot's operator checks MS_TENANT",
    ),
    "AADSTS53003": (
        "A Conditional Access policy of the tenant blocked the token",
        "a Microsoft admin of the tenant excludes zoomcal's app (a workload identity) from that policy, "
        "or allows this server's network location",
    ),
    "AADSTS7000112": (
        "zoomcal's Entra app is disabled (in that tenant, or by its owner)",
        "a Microsoft admin enables the enterprise application again",
    ),
    "AADSTS50105": (
        "The tenant requires users to be assigned to zoomcal's app, and the admin who signed in is not",
        "a Microsoft admin of the tenant assigns themselves to the app, or grants consent as a Global "
        "Administrator",
    ),
    "AADSTS650056": (
        "zoomcal's Entra app asks for permissions the tenant cannot grant (a misconfigured app)",
        "the bot's operator checks the app's API permissions (Microsoft Graph application permissions)",
    ),
    "AADSTS700082": (
        "The consent has expired after a long time unused",
        "run /zoomcal enable again",
    ),
    "temporarily_unavailable": (
        "Microsoft's sign-in service is temporarily unavailable",
        "try again in a few minutes",
    ),
    "server_error": (
        "Microsoft's sign-in service had an internal error",
        "try again in a few minutes",
    ),
    # zoomcal's own credential
    UNREADABLE_CREDENTIAL: (
        "zoomcal could not read its own Microsoft credential file, so it asked Microsoft for no token",
        "the bot's operator must fix the file {variable} names (a federated token file must be kept there by "
        "its issuer)",
    ),
    "AADSTS7000215": (
        "zoomcal's own Microsoft client secret is invalid (a secret id instead of its value, or a removed secret)",
        "the bot's operator must replace {variable}",
    ),
    "AADSTS7000222": (
        "zoomcal's own Microsoft client secret has expired",
        "the bot's operator must create a new secret for the Entra app and replace {variable}",
    ),
    "AADSTS7000216": (
        "zoomcal sent no client credential Microsoft accepts",
        "the bot's operator must replace {variable}",
    ),
    "AADSTS700027": (
        "zoomcal's own client assertion was refused: its certificate is not registered on the Entra app, has "
        "expired, or the signature does not match",
        "the bot's operator must upload the certificate to the app or replace {variable}",
    ),
    "AADSTS70021": (
        "zoomcal's federated token matches no federated credential of the Entra app (issuer, subject or "
        "audience differ)",
        "the bot's operator must fix the app's federated credential or replace {variable}",
    ),
    "AADSTS700211": (
        "zoomcal's federated token comes from an issuer the Entra app does not trust",
        "the bot's operator must fix the app's federated credential or replace {variable}",
    ),
    "AADSTS700212": (
        "zoomcal's federated token has an audience the Entra app's federated credential does not expect",
        "the bot's operator must fix the app's federated credential or replace {variable}",
    ),
    "AADSTS700213": (
        "zoomcal's federated token has a subject no federated credential of the Entra app names",
        "the bot's operator must fix the app's federated credential or replace {variable}",
    ),
    "AADSTS70025": (
        "zoomcal's Entra app has no federated credential for the token zoomcal sent",
        "the bot's operator must add a federated credential to the app or replace {variable}",
    ),
    "AADSTS700024": (
        "zoomcal's own client assertion is outside its valid time range (expired, or a clock is off)",
        "the bot's operator must replace {variable} (a federated token file must be refreshed by its issuer) "
        "and check the server's clock",
    ),
    "AADSTS700023": (
        "zoomcal's own client assertion was refused (its audience or format is not what Microsoft expects)",
        "the bot's operator must replace {variable}",
    ),
    "AADSTS50027": (
        "zoomcal's own client assertion is not a valid token",
        "the bot's operator must replace {variable}",
    ),
    # Graph
    "ErrorAccessDenied": (
        "The tenant limits which mailboxes this app may read (an application access policy or RBAC for "
        "Applications in Exchange Online), and this user is outside it",
        "a Microsoft 365 admin adds the user to the policy's scope, if zoomcal should reach them",
    ),
    "MailboxNotEnabledForRESTAPI": (
        "The user has no Exchange Online mailbox (on-premises, inactive, soft-deleted or unlicensed)",
        "a Microsoft 365 admin gives the user an Exchange Online licence",
    ),
    "ErrorInvalidUser": (
        "Exchange Online knows no mailbox for this address",
        "check the address, or give the user an Exchange Online mailbox",
    ),
    "Request_ResourceNotFound": (
        "The tenant has no user with this address",
        "check that the Zoom user's email is their Microsoft 365 address",
    ),
    "ResourceNotFound": (
        "The tenant has no user with this address",
        "check that the Zoom user's email is their Microsoft 365 address",
    ),
    "Authorization_RequestDenied": (
        "zoomcal's app holds no permission to read this in the tenant (consent was incomplete or revoked)",
        "run /zoomcal enable again so a Microsoft admin grants the application permissions",
    ),
    "InvalidAuthenticationToken": (
        "Microsoft Graph did not accept the token (expired, or for another cloud)",
        "try again; if it persists, the bot's operator checks MS_GRAPH_URL",
    ),
    "no roles": (
        "The token carries no application permissions: admin consent is incomplete or was revoked",
        "grant the app's application permissions in Entra (or run /zoomcal enable again)",
    ),
}


@dataclass(frozen=True)
class Explanation:
    code: str
    meaning: str
    next_step: str
    operator: bool  # zoomcal's own credential: the operator's problem

    def text(self, variable: str | None = None) -> str:
        step = self.next_step.replace("{variable}", variable or "the Microsoft credential variable")
        return f"{self.meaning}: {step}."


def code_in(error: str | None, description: str | None = None) -> str | None:
    """The code an answer names: an AADSTS code in the description wins over the OAuth ``error``."""
    found = _AADSTS.search(description or "") or _AADSTS.search(error or "")
    return f"AADSTS{found.group(1)}" if found else (error or None)


def explain(code: str | None) -> Explanation | None:
    if not code:
        return None
    found = _MEANINGS.get(code)
    if found is None:
        return None
    return Explanation(code, found[0], found[1], code in CREDENTIAL_CODES)


def is_credential_failure(code: str | None) -> bool:
    return code in CREDENTIAL_CODES


def explained(code: str | None, said: str, variable: str | None = None) -> str:
    """The explanation first, then Microsoft's own words (``said``, which should hold the code).

    Unknown codes: ``said`` alone, as zoomcal always answered.
    """
    explanation = explain(code)
    if explanation is None:
        return said
    if code in OWN_CODES:
        return f"{explanation.text(variable)} ({said})"
    if code and code not in said:
        said = f"{code}: {said}" if said else code
    return f"{explanation.text(variable)}{MICROSOFT_SAID}{said}"


def split(reason: str) -> tuple[str, str | None]:
    """``(our explanation, Microsoft's words)`` of an ``explained`` text; ``(reason, None)`` otherwise."""
    ours, sep, theirs = reason.partition(MICROSOFT_SAID)
    return (ours, theirs) if sep else (reason, None)
