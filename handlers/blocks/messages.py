"""Messages answering a service call (ephemeral answers, replaced messages, DMs)."""

from __future__ import annotations

import json
import unicodedata
from collections import OrderedDict
from datetime import datetime
from functools import singledispatch

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.domain import Status
from bot.services.results import (
    KEY_PROBLEM,
    AlreadySubmitted,
    AmbiguousGroup,
    AuditLog,
    ChangedMeanwhile,
    ConsentLinkSent,
    DisableConfirm,
    Disabled,
    DomainPreflight,
    Failure,
    HelpText,
    NothingToDisable,
    NotVerifiable,
    OutOfDate,
    Problem,
    Refused,
    ScopeStatus,
    StatusReport,
    UnknownGroup,
    UsageHint,
    UserCheck,
    Verified,
)
from handlers.blocks import ids
from handlers.blocks.explained import associated_line, said
from handlers.blocks.common import (
    ENTRA_ENTERPRISE_APPS,
    OAUTH,
    TITLE,
    code,
    encode_scope,
    escape,
    scope_words,
    section,
    sections,
    when,
    who,
)
from handlers.blocks.common import (
    message as _message,
)


@singledispatch
def message(result) -> dict:
    raise TypeError(f"no message for {type(result).__name__}")


_ANSWERS: OrderedDict[tuple[int, bool], tuple[object, str]] = OrderedDict()
_ANSWERS_KEPT = 256


def answer(result, *, replace: bool = False) -> str:
    """``result`` as a private answer: JSON text, for an ack's body (Bolt sends a body starting
    with "{" as application/json, and Slack shows it as the command's answer) or a response_url
    post (``replace``: it takes the place of the message it answers).

    Kept by identity: the services hand the same object to everyone who asks for the same page
    while the scopes' states are unchanged, and building and encoding its blocks costs more
    than the rest of the ack.
    """
    key = (id(result), replace)
    found = _ANSWERS.get(key)
    if found is None or found[0] is not result:
        body = {"response_type": "ephemeral", **({"replace_original": True} if replace else {}), **message(result)}
        found = (result, json.dumps(body, separators=(",", ":")))
        _ANSWERS[key] = found
        if len(_ANSWERS) > _ANSWERS_KEPT:
            _ANSWERS.popitem(last=False)
    return found[1]


def note(text: str) -> str:
    """A short private answer, as is (JSON text)."""
    return json.dumps({"response_type": "ephemeral", "text": text})


@message.register
def _(result: Refused) -> dict:
    return _message(result.message)


@message.register
def _(result: Failure) -> dict:
    # The message quotes Zoom's or Microsoft's own words: inert, in inline code.
    return _message(f":warning: {escape(result.service)}: {code(result.message)}. Nothing was changed.")


@message.register
def _(result: Problem) -> dict:
    return _message(escape(result.message))


@message.register
def _(result: UnknownGroup) -> dict:
    text = f"There is no Zoom group named {code(result.name, 100)}."
    if result.suggestions:
        text += " Did you mean: " + ", ".join(f"*{escape(s)}*" for s in result.suggestions) + "?"
    else:
        text += " Try `/zoomcal groups` to list the groups."
    return _message(text)


@message.register
def _(result: UsageHint) -> dict:
    if result.did_you_mean:  # the group named without the word `group`: what was likely meant says enough
        meant = [code(command, 200) for command in result.did_you_mean]
        first = "Did you mean " + (meant[0] if len(meant) == 1 else ", ".join(meant[:-1]) + " or " + meant[-1]) + "?"
    else:
        first = escape(result.problem)
    lines = [first, f"Usage: {code(result.usage)}"]
    if result.example:
        lines.append(f"For example: {code(result.example)}")
    return _message("\n".join(lines))


@message.register
def _(result: AmbiguousGroup) -> dict:
    shown = result.candidates[:MAX_CANDIDATES]
    text = (
        f"{len(result.candidates)} Zoom groups have names that match {code(result.name, 100)} when case and "
        "spacing are ignored, and none is spelled exactly so, so nothing was done. Pick one:"
    )
    blocks: list[Block] = [section(text)]
    for scope in shown:
        line = f"*{escape(scope.name)}*{_unusual(scope.name)} · Zoom group id {code(scope.group_id, 100)}"
        button = ButtonElement(
            text=PICK_WORDS.get(result.verb, "Pick"),
            action_id=ids.GROUP_PICKED_ACTION,
            value=json.dumps({"verb": result.verb, "group_id": scope.group_id, "name": scope.name[:200]}),
        )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line[:2900], verbatim=True), accessory=button))
    if len(result.candidates) > len(shown):
        blocks.append(section(f"…and {len(result.candidates) - len(shown)} more: type the name exactly as Zoom spells it."))
    return _message(text, *blocks)


MAX_CANDIDATES = 20  # a section each, under Slack's 50 blocks
PICK_WORDS = {"status": "Show status", "enable": "Enable", "disable": "Disable", "verify": "Verify"}


def _unusual(name: str) -> str:
    """Characters that look like others in Slack (a no-break space, a zero-width joiner…), named, so
    twins can be told apart."""
    odd = dict.fromkeys(
        ch for ch in name if not ch.isascii() and (ch.isspace() or unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp"))
    )
    if not odd:
        return ""
    named = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed').lower()}" for ch in odd)
    return f" (contains {escape(named)})"


@message.register
def _(result: HelpText) -> dict:
    lines = [f"`{escape(c)}`" + (" opens the configuration dialog" if c == "/zoomcal" else "") for c in result.commands]
    intro = "*zoomcal* manages Zoom's Office 365 calendar and mail integration. You may run:"
    if result.note:
        intro += f"\n_{escape(result.note)}_"
    elif not result.is_admin:
        intro += "\n_Only Zoom account owners and admins (and users Zoom lets edit these settings) may see or change the integration._"
    return _message("\n".join([*(escape(p) for p in [result.problem] if p), intro, *lines]))


@message.register
def _(result: AlreadySubmitted) -> dict:
    return _message(
        f"This dialog for *{escape(scope_words(result.scope))}* was already submitted; "
        "the consent link is in your direct messages."
    )


@message.register
def _(result: ConsentLinkSent) -> dict:
    name = escape(scope_words(result.scope))
    if result.delivered:
        text = f"*{name}* is now pending. I sent you a direct message with the Microsoft admin consent link."
    else:
        text = f"*{name}* is now pending. Slack did not take my direct message, so here is the consent link."
    return _message(text, section(text), *consent_blocks(result.url, result.expires_at))


# status and groups ------------------------------------------------------------------------


@message.register
def _(result: StatusReport) -> dict:
    warning = [section(f":warning: {said(result.warning)}")] if result.warning else []
    if result.single:
        item = result.scopes[0]
        return _message(f"{escape(scope_words(item.scope))}: {item.status.value}", *warning, section(status_detail(item)))
    title = "Zoom groups" if result.listing == "groups" else "Zoom calendar integration status"
    if result.query:
        title += f" matching “{result.query[:60]}”"
    blocks: list[Block] = [HeaderBlock(text=title[:150]), *warning]
    if not result.scopes:
        blocks.append(section("No Zoom groups match." if result.query else "No Zoom groups."))
    blocks += sections([listing_line(item) for item in result.scopes])
    blocks += pager(result, ids.PAGE_PREVIOUS_ACTION, ids.PAGE_NEXT_ACTION)
    # The notification's fallback text: the blocks show the lines (repeating them doubled the answer).
    text = "Zoom groups" if result.listing == "groups" else "Zoom calendar integration status"
    text += f" matching {code(result.query, 60)}" if result.query else ""
    text += f" (page {result.page} of {result.pages})" if result.pages > 1 else ""
    return _message(text, *blocks)


def pager(report: StatusReport, previous_id: str, next_id: str) -> list[Block]:
    if report.pages <= 1:
        return []
    value = {"listing": report.listing, "query": report.query[:500]}
    buttons = []
    if report.page > 1:
        buttons.append(ButtonElement(text="Previous", action_id=previous_id, value=json.dumps(value | {"page": report.page - 1})))
    if report.page < report.pages:
        buttons.append(ButtonElement(text="Next", action_id=next_id, value=json.dumps(value | {"page": report.page + 1})))
    return [
        ContextBlock(elements=[MarkdownTextObject(text=f"Page {report.page} of {report.pages} · {report.total} scopes")]),
        ActionsBlock(elements=buttons),
    ]


def status_line(item: ScopeStatus) -> str:
    line = f"*{escape(scope_words(item.scope))}*: {item.status.value}"
    if item.status is Status.INHERITS and item.account_status is not None:
        line += f" ({item.account_status.value})"
    if item.key_problem:
        line += " (its stored credentials open with no key in ZOOMCAL_ENCRYPTION_KEY here)"
    return line


def listing_line(item: ScopeStatus) -> str:
    """A scope in the `status` listing: a failed one with its reason (Microsoft's words, quoted)."""
    line = status_line(item)
    if item.status is Status.FAILED and item.detail and not item.key_problem:
        line += f": {code(item.detail, 200)}"
    return line


def status_detail(item: ScopeStatus) -> str:
    lines = [f"*{escape(scope_words(item.scope))}*: {item.status.value}"]
    if item.organization:
        lines.append(f"Microsoft organization: {code(item.organization)} (tenant {code(item.tenant_id or '')})")
    if item.roles:
        lines.append("Granted application permissions: " + ", ".join(code(r, 100) for r in item.roles))
    if item.enabled_by:
        lines.append(f"Enabled by {who(item.enabled_by)} on {when(item.enabled_at)}")
    if item.updated_by and item.status is not Status.ACTIVE:
        lines.append(f"Last changed by {who(item.updated_by)} on {when(item.updated_at)}")
    if item.consent_expires_at and item.status is Status.PENDING:
        lines.append(f"Consent link expires {when(item.consent_expires_at)}")
    if item.detail and item.status is Status.FAILED:  # our own words for a key problem, else Microsoft's, quoted
        reason = escape(item.detail) if item.key_problem and item.detail.startswith(KEY_PROBLEM) else said(item.detail)
        lines.append(f"Reason: {reason}")
    if item.key_problem and item.detail != KEY_PROBLEM:
        lines.append(f"{escape(KEY_PROBLEM)}.")
    if item.status is Status.ACTIVE and item.last_verified_at is not None:  # never: the consent and checks speak
        lines.append(f"Last verified: {when(item.last_verified_at)}")
    lines += health_lines(item)
    if item.status is Status.DISABLED:
        lines.append(OAUTH)
    return "\n".join(lines)


def health_lines(item: ScopeStatus) -> list[str]:
    """The last health check and the domain preflight, for scopes they speak for."""
    lines: list[str] = []
    if item.check_result is None and item.status is not Status.ACTIVE:
        return lines
    if not item.checks_on:
        lines.append("Health checks: off (ZOOMCAL_HEALTH_INTERVAL is 0)")
    elif item.check_result is None:
        lines.append("Last health check: never")
    else:
        line = f"Last health check: {when(item.last_checked_at)}: {escape(item.check_result)}"
        if item.check_detail and item.check_detail not in (item.detail or ""):  # not the reason again
            line += f" ({code(item.check_detail)})"
        if item.check_result == "inconclusive":
            line += "; it is tried again in a few minutes"
        lines.append(line)
    if item.preflight is not None:
        lines.append(preflight_line(item.preflight, item.organization or "the tenant") + ".")
        associated = associated_line(item.preflight, item.organization or "the tenant")
        lines += [associated + "."] if associated else []
    return lines


def preflight_line(preflight: DomainPreflight, organization: str) -> str:
    """What the domain preflight after consent found (status and the direct message say it alike)."""
    if preflight.error:
        return f"Domain check after consent: not done, {code(preflight.error)}"
    if not preflight.unverified:
        return f"Domain check after consent: all {preflight.users} Zoom users use domains {code(organization)} has verified"
    domains = ", ".join(f"{code(domain)} ({count} user{'s' * (count != 1)})" for domain, count in preflight.unverified)
    if preflight.more_domains:
        domains += f" and {preflight.more_domains} more domains ({preflight.more_users} users)"
    return (
        f":warning: {preflight.unverified_users} of {preflight.users} Zoom users use email domains "
        f"{code(organization)} has not verified: {domains}. Their calendars cannot be reached"
    )


# disable --------------------------------------------------------------------------------------


def confirm_disable(scope_text: str) -> ConfirmObject:
    short = scope_text if len(scope_text) <= 60 else scope_text[:59] + "…"  # Slack: title 100, text 300
    return ConfirmObject(
        title=PlainTextObject(text=f"Disable for {short}"[:100]),
        text=PlainTextObject(
            text=f"{short} switches to “{OAUTH}”, and the stored Microsoft credentials are deleted from the server."
        ),
        confirm=PlainTextObject(text="Disable and Delete"),
        deny=PlainTextObject(text="Cancel"),
        style="danger",
    )


@message.register
def _(result: DisableConfirm) -> dict:
    name = scope_words(result.scope)
    deleting = (
        "The stored Microsoft credentials will be deleted from the server."
        if result.has_credentials
        else "No Microsoft credentials are stored for it."
    )
    text = (
        f"*{escape(name)}* is {result.status.value}. Disabling switches it to “{OAUTH}”. {deleting}"
    )
    button = ButtonElement(
        text="Disable and Delete",
        action_id=ids.DISABLE_ACTION,
        value=encode_scope(result.scope, result.version),
        style="danger",
        confirm=confirm_disable(name),
    )
    return _message(text, section(text), ActionsBlock(elements=[button]))


@message.register
def _(result: Disabled) -> dict:
    name = escape(scope_words(result.scope))
    text = (
        f":white_check_mark: {who(result.user_id)} disabled *{name}* on {when(result.at)}. "
        f"It now uses “{OAUTH}”."
    )
    text += " Its Microsoft credentials were deleted from the server." if result.credentials_deleted else ""
    if result.links_cancelled:
        text += f" {result.links_cancelled} open consent link(s) were cancelled."
    note = (
        "Microsoft's admin consent stays granted in the tenant until an Entra admin removes the "
        f"enterprise application (app ID `{escape(result.app_id)}`) in the "
        f"<{ENTRA_ENTERPRISE_APPS}|Entra admin center → Enterprise applications>."
    )
    return _message(text, section(text), ContextBlock(elements=[MarkdownTextObject(text=note)]))


@message.register
def _(result: OutOfDate) -> dict:
    name = scope_words(result.scope)
    return _message(
        f"This message is out of date: {code(name, 100)} changed since it was shown, so nothing was changed. "
        f"Run {code('/zoomcal status ' + _target(result.scope), 200)} to see it now."
    )


@message.register
def _(result: NothingToDisable) -> dict:
    name = escape(scope_words(result.scope))
    if result.status is Status.DISABLED:
        text = f"*{name}* is already disabled"
        if result.user_id:
            text += f" (by {who(result.user_id)} on {when(result.at)})"
        text += f"; it uses “{OAUTH}”. Nothing was changed."
    elif result.status is Status.INHERITS:
        text = f"*{name}* has no setting of its own (it inherits the account's), so there is nothing to disable."
    else:
        text = f"The integration was never enabled for *{name}*; nothing to disable or delete."
    return _message(text)


# verify and audit ---------------------------------------------------------------------------------


@message.register
def _(result: Verified) -> dict:
    name = escape(scope_words(result.scope))
    if result.ok:
        text = (
            f":white_check_mark: *{name}*: Microsoft issued a fresh app-only token for "
            f"{code(result.organization or '')} (tenant {code(result.tenant_id or '')}) and Graph answered. "
            f"Roles: {', '.join(code(r, 100) for r in result.roles)}."
        )
    else:
        text = f":x: *{name}*: verification failed. {said(result.error or '')}"
    return _message(text)


@message.register
def _(result: ChangedMeanwhile) -> dict:
    return _message(
        f"*{escape(scope_words(result.scope))}* changed while it was being verified (disabled, enabled again or "
        f"consented anew), so verify wrote nothing. Run {code('/zoomcal status ' + _target(result.scope), 200)} "
        "to see it now."
    )


@message.register
def _(result: NotVerifiable) -> dict:
    name = escape(scope_words(result.scope))
    state = "inherits the account's setting" if result.status is Status.INHERITS else f"is {result.status.value}"
    return _message(f"*{name}* {state} and holds no Microsoft credentials to verify.")


# check ---------------------------------------------------------------------------------------------

ACCESS_ICONS = {"reachable": ":white_check_mark:", "no mailbox": ":x:", "access denied": ":no_entry:"}


@message.register
def _(result: UserCheck) -> dict:
    email = code(result.email)
    if not result.zoom_user:
        return _message(f"{email} is not a Zoom user in this Zoom account, so no setting applies.")
    name = _scope_quoted(result.scope)
    if result.candidates:
        names = ", ".join(code(s.name, 200) for s in result.candidates)
        lines = [
            f"Several of {email}'s Zoom groups have their own setting: {names}. Zoom applies the user's "
            "primary group (by default the first group the user was added to). Checked here: "
            f"{name}, the first of them in the order Zoom lists the user's groups."
        ]
    elif result.scope.is_account:
        lines = [f"None of {email}'s Zoom groups has its own setting: the account's applies."]
    else:
        lines = [f"The setting of {name} applies to {email}."]
    if result.key_problem:
        lines.append(f"Microsoft Graph was not asked: {name} shows `failed` on this server. {escape(KEY_PROBLEM)}.")
    elif result.status is not Status.ACTIVE:
        lines.append(f"Microsoft Graph was not asked: the status of {name} is `{result.status.value}`.")
    elif result.error:
        lines.append(f":warning: The calendar could not be checked: {said(result.error)}.")
    else:
        line = f"{ACCESS_ICONS.get(result.access, '')} *{result.access}*: "
        if result.access == "reachable":
            line += f"Microsoft Graph answered for {email}'s calendar with {name}'s credentials."
        else:
            words = ": ".join(part for part in (result.code, result.message) if part)
            line += f"{escape(result.explanation)} " if result.explanation else ""
            line += f"Microsoft Graph said {code(words) if words else 'no'} for {email}'s calendar."
        lines.append(line)
    text = "\n".join(lines)
    return _message(text, section(text)) | NO_UNFURL


@message.register
def _(result: AuditLog) -> dict:
    if not result.entries:
        return _message("The audit log is empty.")
    lines = [
        f"{when(e.at)} · {who(e.user_id)} · {escape(scope_words(e.scope))} · {escape(e.action)} · "
        f"{escape(e.outcome)}" + (f" · {code(e.detail, 200)}" if e.detail else "")
        + f" · `{escape(e.correlation_id[:8])}`"
        for e in result.entries
    ]
    blocks: list[Block] = [HeaderBlock(text=f"Audit log: last {len(result.entries)} events")]
    chunk: list[str] = []
    for line in lines:  # pack lines into sections under Slack's size limit
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(section("\n".join(chunk)))
    return _message("\n".join(lines), *blocks[:50])


# direct messages and the audit channel ---------------------------------------------------------------
# Each quotes outside text (group names, Microsoft's organisation and errors, what a user typed) only
# in inline code, in verbatim sections, and asks Slack not to unfurl anything.

NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}


def _quoted(group_name: str | None) -> str:
    """The account, or a group by its name (Zoom's, or as typed when refused) in inline code."""
    return "*Account*" if group_name is None else f"the group {code(group_name, 200)}"


def _scope_quoted(scope) -> str:
    return _quoted(None if scope.is_account else scope.name)


def consent_link(scope, url: str, expires_at: datetime) -> dict:
    # The link is a capability: it travels in the button only, never in the notification text
    # (push and e-mail notifications carry that) nor as visible text.
    text = f"Admin consent is needed to enable the Office 365 integration for {_scope_quoted(scope)}."
    blocks = [
        section(f"*{TITLE}* for {_scope_quoted(scope)}\nA Microsoft 365 admin must grant admin consent to finish."),
        *consent_blocks(url, expires_at),
    ]
    return {"text": text, "blocks": [b.to_dict() for b in blocks], **NO_UNFURL}


def consent_blocks(url: str, expires_at: datetime) -> list[Block]:
    return [
        ActionsBlock(
            elements=[
                ButtonElement(text="Grant admin consent", url=url, action_id=ids.CONSENT_LINK_ACTION, style="primary")
            ]
        ),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"The link works once and expires {when(expires_at)}.", verbatim=True)]
        ),
    ]


def consent_granted(scope, organization: str, tenant_id: str) -> dict:
    return _message(
        f":white_check_mark: The Office 365 integration for {_scope_quoted(scope)} is active, "
        f"using {code(organization)} (tenant {code(tenant_id)})."
    ) | NO_UNFURL


def consent_failed(scope, reason: str) -> dict:
    return _message(
        f":x: The Office 365 integration for {_scope_quoted(scope)} was not enabled: {said(reason)}"
    ) | NO_UNFURL


def health_failed(scope, reason: str) -> dict:
    return _message(
        f":x: The Office 365 integration for {_scope_quoted(scope)} failed its health check: "
        f"{said(reason)}\nIts status is now `failed`. Its stored credentials are kept: once admin consent is granted again in the tenant, the "
        f"next passing check makes it active again. {code('/zoomcal enable ' + _target(scope))} sends a new consent link."
    ) | NO_UNFURL


def health_recovered(scope) -> dict:
    return _message(
        f":white_check_mark: The Office 365 integration for {_scope_quoted(scope)} passed its health "
        "check and is active again."
    ) | NO_UNFURL


def domain_preflight(scope, organization: str, preflight: DomainPreflight) -> dict:
    name = _scope_quoted(scope)
    associated = associated_line(preflight, organization) if preflight.associated_problem else None
    if associated and not (preflight.error or preflight.unverified):
        text = f"{associated}. The integration for {name} is active in zoomcal" + (
            ", but Zoom cannot use it until then." if preflight.associated_matched is False else "."
        )
    elif preflight.error:
        text = (
            f":warning: The integration for {name} is active, but I could not compare its Zoom users' email "
            f"domains with the domains {code(organization)} has verified: {code(preflight.error)}. "
            "`/zoomcal check &lt;email&gt;` tells whether a user's calendar can be reached."
        )
    else:
        text = (
            f"{preflight_line(preflight, organization)} through the integration for {name}. "
            "Add and verify those domains in Microsoft Entra (Settings → Domain names), or change the users' "
            f"Zoom email addresses. {code('/zoomcal status ' + _target(scope))} shows this too."
        )
    if associated and (preflight.error or preflight.unverified):
        text += f"\n{associated}."
    return _message(text) | NO_UNFURL


def _target(scope) -> str:
    return "account" if scope.is_account else f"group {scope.name}"


def refusals_folded(user_id: str, count: int, *, team: str | None = None) -> dict:
    """A refused user's further refusals of the last minute, as one line (their audit events are all kept)."""
    actor = who(user_id) + (f" (workspace {code(team, 30)})" if team else "")
    text = f"{actor} · refused {count} more time{'s' * (count != 1)} in the last minute · `/zoomcal audit` lists each"
    return _message(text) | NO_UNFURL


def audit_post(
    group_name: str | None, user_id: str, action: str, outcome: str, detail: str | None, *, team: str | None = None
) -> dict:
    """An audit event for the channel; ``group_name`` None for the account, ``team`` when not the home team."""
    actor = who(user_id) + (f" (workspace {code(team, 30)})" if team else "")
    text = f"{actor} · {_quoted(group_name)} · {escape(action)} · {escape(outcome)}"
    if detail:
        text += f"\n{code(detail)}"
    return _message(text) | NO_UNFURL
