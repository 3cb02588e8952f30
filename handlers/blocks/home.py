"""The App Home tab: the account and the groups with their state and Enable / Disable buttons."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain import Status
from bot.services.results import Dashboard, Failure
from handlers.blocks import ids
from handlers.blocks.common import (
    MAX_SECTION,
    TITLE,
    encode_scope,
    scope_words,
    section,
)
from handlers.blocks.explained import said
from handlers.blocks.messages import confirm_disable, message, pager, status_line

ENABLED = (Status.ACTIVE, Status.PENDING, Status.FAILED)


def home_view(dashboard: Dashboard | Failure, notice: object | None = None) -> dict:
    blocks: list[Block] = [HeaderBlock(text="zoomcal"), section(f"*{TITLE}*")]
    if notice is not None:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=message(notice)["text"][:MAX_SECTION])]))
    if isinstance(dashboard, Failure):
        blocks.append(section(message(dashboard)["text"]))
    elif dashboard.report is None:
        blocks.append(section("Only Zoom account owners and admins may see or change the integration."))
    else:
        report = dashboard.report
        if report.warning:  # bot-wide: Microsoft refuses zoomcal's own credential
            blocks.append(section(f":warning: {said(report.warning)}"))
        if dashboard.failing and report.page == 1:  # failures first: what needs an admin now
            blocks.append(section(f"*Failed ({len(dashboard.failing) + dashboard.more_failing})*"))
            blocks += [_scope_row(item, reason=True) for item in dashboard.failing]
            if dashboard.more_failing:
                blocks.append(section(f"…and {dashboard.more_failing} more: `/zoomcal status` lists every scope."))
            blocks.append(section("*All scopes*"))
        blocks += [_scope_row(item) for item in report.scopes]
        blocks += pager(report, ids.HOME_PAGE_PREVIOUS_ACTION, ids.HOME_PAGE_NEXT_ACTION)
    return View(type="home", blocks=blocks).to_dict()


def _scope_row(item, *, reason: bool = False) -> SectionBlock:
    if item.status in ENABLED:
        button = ButtonElement(
            text="Disable",
            action_id=ids.HOME_DISABLE_ACTION,
            value=encode_scope(item.scope, item.version),
            style="danger",
            confirm=confirm_disable(scope_words(item.scope)),
        )
    else:
        button = ButtonElement(text="Enable", action_id=ids.HOME_ENABLE_ACTION, value=encode_scope(item.scope, item.version))
    text = status_line(item)
    if reason and item.detail and not item.key_problem:  # status_line already names a key problem
        text += f"\n{said(item.detail)}"  # what it means, then Microsoft's words quoted inert
    return SectionBlock(text=MarkdownTextObject(text=text[:MAX_SECTION], verbatim=True), accessory=button)
