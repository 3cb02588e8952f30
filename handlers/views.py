"""Every message and modal zoomcal shows in Slack, built with slack_sdk.models."""

from __future__ import annotations

import json
from datetime import datetime
from functools import singledispatch

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain import AUTHORIZE_WITH, SERVICES, SETUP_BY, THIRD_PARTY, Choices, Scope, ScopeKind, Status
from bot.services.results import (
    ConsentLinkSent,
    EnableForm,
    Failure,
    HelpText,
    Problem,
    Refused,
    ScopeStatus,
    StatusReport,
    UnknownGroup,
)
from handlers import ids
from handlers.errors import MalformedPayload

TITLE = "Office 365 calendar and mail integration via Graph API with Application Permissions"
MAX_SECTION = 2900  # Slack caps a section's text at 3000 characters


def escape(text: str) -> str:
    """Makes user or Zoom text inert in mrkdwn: no mentions, links or formatting tricks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def scope_words(scope: Scope) -> str:
    return "Account" if scope.is_account else scope.name


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    # Slack shows the reader's own time zone; the fallback is UTC.
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def who(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "nobody"


def _message(text: str, *blocks: Block) -> dict:
    return {"text": text, "blocks": [b.to_dict() for b in blocks] or [_section(text).to_dict()]}


def _section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn[:MAX_SECTION]))


# Messages answering a service call -------------------------------------------


@singledispatch
def message(result) -> dict:
    raise TypeError(f"no message for {type(result).__name__}")


@message.register
def _(result: Refused) -> dict:
    return _message(result.message)


@message.register
def _(result: Failure) -> dict:
    return _message(f":warning: {result.service} {escape(result.message)}. Nothing was changed.")


@message.register
def _(result: Problem) -> dict:
    return _message(escape(result.message))


@message.register
def _(result: UnknownGroup) -> dict:
    text = f"There is no Zoom group named “{escape(result.name)}”."
    if result.suggestions:
        text += " Did you mean: " + ", ".join(f"*{escape(s)}*" for s in result.suggestions) + "?"
    else:
        text += " Try `/zoomcal groups` to list the groups."
    return _message(text)


@message.register
def _(result: HelpText) -> dict:
    lines = [f"`{escape(c)}`" for c in result.commands]
    intro = "*zoomcal* manages Zoom's Office 365 calendar and mail integration. You may run:"
    if not result.is_admin:
        intro += "\n_Only Zoom account owners and admins may see or change the integration._"
    text = "\n".join([*(escape(p) for p in [result.problem] if p), intro, *lines])
    return _message(text)


@message.register
def _(result: ConsentLinkSent) -> dict:
    name = escape(scope_words(result.scope))
    if result.delivered:
        text = f"*{name}* is now pending. I sent you a direct message with the Microsoft admin consent link."
    else:
        text = f"*{name}* is now pending. Slack did not take my direct message, so here is the consent link."
    return _message(text, _section(text), *_consent_blocks(result.url, result.expires_at))


@message.register
def _(result: StatusReport) -> dict:
    if result.single:
        item = result.scopes[0]
        return _message(f"{escape(scope_words(item.scope))}: {item.status.value}", _section(_status_detail(item)))
    lines = [_status_line(item) for item in result.scopes]
    blocks = [HeaderBlock(text="Zoom calendar integration status")]
    chunk: list[str] = []
    for line in lines:  # pack lines into sections without crossing Slack's size limit
        if sum(len(x) + 1 for x in chunk) + len(line) > MAX_SECTION:
            blocks.append(_section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(_section("\n".join(chunk)))
    return _message("\n".join(lines)[:3000], *blocks[:50])


def _status_line(item: ScopeStatus) -> str:
    line = f"*{escape(scope_words(item.scope))}*: {item.status.value}"
    if item.status is Status.INHERITS and item.account_status is not None:
        line += f" ({item.account_status.value})"
    return line


def _status_detail(item: ScopeStatus) -> str:
    lines = [f"*{escape(scope_words(item.scope))}*: {item.status.value}"]
    if item.organization:
        lines.append(f"Microsoft organization: {escape(item.organization)} (tenant `{escape(item.tenant_id or '')}`)")
    if item.roles:
        lines.append("Granted application permissions: " + ", ".join(escape(r) for r in item.roles))
    if item.enabled_by:
        lines.append(f"Enabled by {who(item.enabled_by)} on {when(item.enabled_at)}")
    if item.updated_by and item.status is not Status.ACTIVE:
        lines.append(f"Last changed by {who(item.updated_by)} on {when(item.updated_at)}")
    if item.consent_expires_at and item.status is Status.PENDING:
        lines.append(f"Consent link expires {when(item.consent_expires_at)}")
    if item.detail and item.status is Status.FAILED:
        lines.append(f"Reason: {escape(item.detail)}")
    if item.status in (Status.ACTIVE,):
        lines.append(f"Last verified: {when(item.last_verified_at)}")
    return "\n".join(lines)


# Direct messages ---------------------------------------------------------------


def consent_link(scope: Scope, url: str, expires_at: datetime) -> dict:
    name = escape(scope_words(scope))
    text = (
        f"Admin consent is needed to enable the Office 365 integration for {scope_words(scope)}. "
        f"A Microsoft 365 global admin must open this link: {url}"
    )
    blocks = [
        _section(f"*{TITLE}* for *{name}*\nA Microsoft 365 admin must grant admin consent to finish."),
        *_consent_blocks(url, expires_at),
    ]
    return {"text": text, "blocks": [b.to_dict() for b in blocks]}


def _consent_blocks(url: str, expires_at: datetime) -> list[Block]:
    return [
        ActionsBlock(
            elements=[
                ButtonElement(text="Grant admin consent", url=url, action_id=ids.CONSENT_LINK_ACTION, style="primary")
            ]
        ),
        ContextBlock(elements=[PlainTextObject(text=url)]),
        ContextBlock(elements=[MarkdownTextObject(text=f"The link works once and expires {when(expires_at)}.")]),
    ]


def consent_granted(scope: Scope, organization: str, tenant_id: str) -> dict:
    return _message(
        f":white_check_mark: The Office 365 integration for *{escape(scope_words(scope))}* is active, "
        f"using {escape(organization)} (tenant `{escape(tenant_id)}`)."
    )


def consent_failed(scope: Scope, reason: str) -> dict:
    return _message(
        f":x: The Office 365 integration for *{escape(scope_words(scope))}* was not enabled. {escape(reason)}"
    )


def audit_post(scope_name: str, user_id: str, action: str, outcome: str, detail: str | None) -> dict:
    text = f"{who(user_id)} · {escape(scope_name)} · {escape(action)} · {escape(outcome)}"
    if detail:
        text += f"\n{escape(detail)}"
    return _message(text)


# The enable modal ----------------------------------------------------------------


def _option(value: str, text: str) -> Option:
    # Slack caps option text at 75 characters; longer portal wording continues in the description.
    if len(text) <= 75:
        return Option(value=value, text=PlainTextObject(text=text))
    head, _, tail = text.rpartition(" by ")
    return Option(value=value, text=PlainTextObject(text=head), description=PlainTextObject(text=f"by {tail}"))


def _radio(block_id: str, action_id: str, label: str, options: dict[str, str], chosen: str) -> InputBlock:
    items = [_option(value, text) for value, text in options.items()]
    initial = next(o for o in items if o.value == chosen)
    return InputBlock(
        block_id=block_id,
        label=label,
        element=RadioButtonsElement(action_id=action_id, options=items, initial_option=initial),
    )


def enable_modal(form: EnableForm) -> dict:
    choices = form.choices
    toggle = Option(value=ids.THIRD_PARTY_ON, text=PlainTextObject(text=THIRD_PARTY))
    blocks = [
        _section(
            f"*{TITLE}*\nScope: *{escape(scope_words(form.scope))}*\n"
            f"Pre-set as the Zoom portal does: {SETUP_BY['app_permissions']}."
        ),
        InputBlock(
            block_id=ids.THIRD_PARTY_BLOCK,
            label="Mail & Calendar",
            optional=True,  # unticking must reach the service so it can explain
            element=CheckboxesElement(
                action_id=ids.THIRD_PARTY_ACTION,
                options=[toggle],
                initial_options=[toggle] if choices.third_party else None,
            ),
        ),
        _radio(ids.SERVICE_BLOCK, ids.SERVICE_ACTION, "Default service", SERVICES, choices.service),
        _radio(ids.AUTHORIZE_BLOCK, ids.AUTHORIZE_ACTION, "Authorize with", AUTHORIZE_WITH, choices.authorize_with),
        _radio(ids.SETUP_BLOCK, ids.SETUP_ACTION, "Who can set up the integration", SETUP_BY, choices.setup_by),
    ]
    view = View(
        type="modal",
        callback_id=ids.ENABLE_VIEW,
        title=PlainTextObject(text="Mail & Calendar"),
        submit=PlainTextObject(text="Authorize and Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=json.dumps(
            {"kind": form.scope.kind.value, "group_id": form.scope.group_id, "name": form.scope.name}
        ),
        blocks=blocks,
    )
    return view.to_dict()


def outcome_modal(title: str, result) -> dict:
    """A closing view that shows a service answer inside the modal the user just submitted."""
    body = message(result)
    view = View(
        type="modal",
        callback_id=ids.ENABLE_VIEW,
        title=PlainTextObject(text=title[:24]),
        close=PlainTextObject(text="Close"),
        blocks=body["blocks"],
    )
    return view.to_dict()


def choices_from_state(values: dict) -> Choices:
    """Reads the enable modal's state back into the portal's choices."""

    def radio(block: str, action: str) -> str:
        selected = (values.get(block, {}).get(action) or {}).get("selected_option") or {}
        return str(selected.get("value") or "")

    toggled = (values.get(ids.THIRD_PARTY_BLOCK, {}).get(ids.THIRD_PARTY_ACTION) or {}).get("selected_options") or []
    return Choices(
        third_party=any(o.get("value") == ids.THIRD_PARTY_ON for o in toggled),
        service=radio(ids.SERVICE_BLOCK, ids.SERVICE_ACTION),
        authorize_with=radio(ids.AUTHORIZE_BLOCK, ids.AUTHORIZE_ACTION),
        setup_by=radio(ids.SETUP_BLOCK, ids.SETUP_ACTION),
    )


def scope_from_metadata(raw: str) -> Scope:
    """The scope enable_modal stored in private_metadata."""
    try:
        data = json.loads(raw)
        kind = ScopeKind(data["kind"])
        group_id, name = str(data["group_id"]), str(data["name"])
    except (ValueError, KeyError, TypeError):
        raise MalformedPayload("private_metadata") from None
    if kind is ScopeKind.ACCOUNT:
        return Scope.account()
    if not group_id or not name:
        raise MalformedPayload("private_metadata")
    return Scope.group(group_id, name)


def progress_modal(scope: Scope) -> dict:
    view = View(
        type="modal",
        callback_id=ids.ENABLE_VIEW,
        title=PlainTextObject(text="Mail & Calendar"),
        close=PlainTextObject(text="Close"),
        blocks=[_section(f"Preparing the Microsoft admin consent link for *{escape(scope_words(scope))}*…")],
    )
    return view.to_dict()


def loading_modal() -> dict:
    view = View(
        type="modal",
        callback_id=ids.ENABLE_VIEW,
        title=PlainTextObject(text="Mail & Calendar"),
        close=PlainTextObject(text="Cancel"),
        blocks=[_section("Checking your Zoom role and the group…")],
    )
    return view.to_dict()
