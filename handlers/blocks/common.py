"""Pieces every view shares: escaping, people, times, scopes carried in values."""

from __future__ import annotations

import json
from datetime import datetime

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot import logs
from bot.domain import HEALTH_CHECK_USER, Scope

TITLE = "Office 365 calendar and mail integration via Graph API with Application Permissions"
OAUTH = "Users can set up the integration by using OAuth"
MAX_SECTION = 2900  # Slack caps a section's text at 3000 characters
ENTRA_ENTERPRISE_APPS = (
    "https://entra.microsoft.com/#view/Microsoft_AAD_IAM/StartboardApplicationsMenuBlade/~/AppAppsPreview"
)


def escape(text: str) -> str:
    """Makes user or Zoom text inert in mrkdwn: no mentions, links or formatting tricks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str, limit: int = 500) -> str:
    """Outside text (typed by a user, or from Microsoft or Zoom) quoted inert in inline code.

    In a code span Slack shows no bold, italics, strike or emoji; escaping keeps out <…> links and
    <!here>-style mentions; line breaks and backticks, which would end the span, are replaced. Bare
    URLs and @here are still auto-parsed unless the text object is verbatim: section() sets it.
    """
    flat = " ".join(str(text).split()).replace("`", "\u02cb")  # ˋ looks like a backtick, ends nothing
    if len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return f"`{escape(flat)}`" if flat else "“”"


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
    # verbatim: Slack links no bare URL and parses no @here or #channel; our own <@U…> and <!date…> still work.
    return SectionBlock(text=MarkdownTextObject(text=mrkdwn[:MAX_SECTION], verbatim=True))


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


def encode_scope(scope: Scope, version: int | None = None) -> str:
    """A scope in a button value or private_metadata (handlers.values reads it back).

    ``version``: the scope's version when shown, so a click on an older message changes nothing.
    The request id rides along, so the click or submission that comes back continues this flow.
    """
    value = {"kind": scope.kind.value, "group_id": scope.group_id, "name": scope.name, "request": logs.request_id()}
    return json.dumps(value if version is None else value | {"version": version})
