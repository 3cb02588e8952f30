"""Pieces every view shares: escaping, people, times, scopes carried in values."""

from __future__ import annotations

import json
from datetime import datetime

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot import logs
from bot.domain import HEALTH_CHECK_USER, Scope, ScopeKind
from handlers.errors import MalformedPayload

TITLE = "Office 365 calendar and mail integration via Graph API with Application Permissions"
OAUTH = "Users can set up the integration by using OAuth"
MAX_SECTION = 2900  # Slack caps a section's text at 3000 characters
ENTRA_ENTERPRISE_APPS = (
    "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"
)


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
    if user_id == HEALTH_CHECK_USER:  # not a Slack user: the health check changed it
        return "the health check"
    return f"<@{user_id}>" if user_id else "nobody"


def section(mrkdwn: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn[:MAX_SECTION]))


def sections(lines: list[str]) -> list[SectionBlock]:
    """Lines packed into as few sections as fit: a 40-line listing is one or two blocks, not 40."""
    packed: list[str] = []
    for line in lines:
        if packed and len(packed[-1]) + 1 + len(line) <= MAX_SECTION:
            packed[-1] += "\n" + line
        else:
            packed.append(line)
    return [section(text) for text in packed]


def message(text: str, *blocks: Block) -> dict:
    return {"text": text[:3000], "blocks": [b.to_dict() for b in blocks] or [section(text).to_dict()]}


def encode_scope(scope: Scope) -> str:
    # The request id rides along, so the click or submission that comes back continues this flow.
    return json.dumps(
        {"kind": scope.kind.value, "group_id": scope.group_id, "name": scope.name, "request": logs.request_id()}
    )


def decode_scope(raw: object) -> Scope:
    """A scope zoomcal put in a button value or private_metadata; continues the flow that put it there."""
    try:
        data = json.loads(raw)  # type: ignore[arg-type]
        kind = ScopeKind(data["kind"])
        group_id, name = str(data["group_id"]), str(data["name"])
    except (ValueError, KeyError, TypeError):
        raise MalformedPayload("scope") from None
    logs.follow(data.get("request"))
    if kind is ScopeKind.ACCOUNT:
        return Scope.account()
    if not group_id or not name:
        raise MalformedPayload("scope")
    return Scope.group(group_id, name)
