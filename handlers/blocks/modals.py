"""Modals: enable, the configuration dialog, its Disable and Delete confirmation, placeholders."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextObject,
    RadioButtonsElement,
)
from slack_sdk.models.views import View

from bot.domain import AUTHORIZE_WITH, SERVICES, SETUP_BY, THIRD_PARTY, Choices, Scope, Status
from bot.services.results import EnableForm
from handlers.blocks import ids
from handlers.blocks.common import (
    OAUTH,
    TITLE,
    code,
    encode_scope,
    escape,
    scope_words,
    section,
)
from handlers.blocks.messages import message

MODAL_TITLE = "Mail & Calendar"


def _modal(callback_id: str, blocks: list[Block], *, submit: str | None = None, close: str = "Cancel",
           metadata: str = "", title: str = MODAL_TITLE) -> dict:
    return View(
        type="modal",
        callback_id=callback_id,
        title=PlainTextObject(text=title[:24]),
        submit=PlainTextObject(text=submit) if submit else None,
        close=PlainTextObject(text=close),
        private_metadata=metadata,
        blocks=blocks,
        # Closing an outcome closes the whole stack (the dialog under a confirmation is done too).
        clear_on_close=submit is None,
    ).to_dict()


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


def choice_inputs(choices: Choices) -> list[Block]:
    """The portal's Mail & Calendar inputs, pre-set to ``choices``."""
    toggle = Option(value=ids.THIRD_PARTY_ON, text=PlainTextObject(text=THIRD_PARTY))
    return [
        InputBlock(
            block_id=ids.THIRD_PARTY_BLOCK,
            label="Mail & Calendar",
            optional=True,  # unticking must reach the service so it can explain or confirm
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


def enable_modal(form: EnableForm) -> dict:
    intro = section(
        f"*{TITLE}*\nScope: *{escape(scope_words(form.scope))}*\n"
        f"Pre-set as the Zoom portal does: {SETUP_BY['app_permissions']}."
    )
    standing = [section(now)] if (now := _standing(form)) else []
    return _modal(
        ids.ENABLE_VIEW, [intro, *standing, *choice_inputs(form.choices)], submit="Authorize and Save",
        metadata=encode_scope(form.scope, form.version),
    )


def _standing(form: EnableForm) -> str | None:
    """What enabling again replaces, for a scope that is active or waiting for consent."""
    name = escape(scope_words(form.scope))
    if form.status is Status.ACTIVE:
        who = f", with the Microsoft organization {code(form.organization, 200)}" if form.organization else ""
        return (
            f":information_source: *{name}* is already `active`{who}. Authorize and Save makes it `pending` and "
            "sends you a new consent link; the credentials of that new consent replace the stored ones."
        )
    if form.status is Status.PENDING:
        return (
            f":information_source: *{name}* is `pending`: a consent link was already sent. "
            "Authorize and Save sends a new one; the older link stops working."
        )
    return None


def configure_modal() -> dict:
    account = Option(value=scope_value(Scope.account()), text=PlainTextObject(text="Account"))
    scope_input = InputBlock(
        block_id=ids.SCOPE_BLOCK,
        label="Scope",
        hint="The whole Zoom account, or type to find a Zoom group.",
        element=ExternalDataSelectElement(
            action_id=ids.SCOPE_ACTION, placeholder="Account or a group", initial_option=account, min_query_length=0
        ),
    )
    return _modal(
        ids.CONFIGURE_VIEW, [section(f"*{TITLE}*"), scope_input, *choice_inputs(Choices())], submit="Save"
    )


def confirm_disable_modal(scope: Scope, version: int | None = None) -> dict:
    name = escape(scope_words(scope))
    text = (
        f"*{name}* switches to “{OAUTH}”, and the stored Microsoft credentials are deleted from the server. "
        "Open consent links for it stop working."
    )
    return _modal(
        ids.CONFIRM_DISABLE_VIEW, [section(text)], submit="Disable and Delete", metadata=encode_scope(scope, version),
        title="Disable and Delete",
    )


def loading_modal() -> dict:
    return _modal(ids.ENABLE_VIEW, [section("Checking your Zoom role and the group…")])


def progress_modal(scope: Scope) -> dict:
    return _modal(
        ids.ENABLE_VIEW, [section(f"Working on *{escape(scope_words(scope))}*…")], close="Close"
    )


def outcome_modal(title: str, result) -> dict:
    """A closing view that shows a service answer inside the modal the user just submitted."""
    return _modal(ids.ENABLE_VIEW, message(result)["blocks"], close="Close", title=title)


def scope_value(scope: Scope) -> str:
    """An option value for the scope select (Slack caps it at 150 characters)."""
    return "account" if scope.is_account else f"group:{scope.group_id}"


def scope_option(scope: Scope) -> dict:
    label = "Account" if scope.is_account else scope.name
    return Option(value=scope_value(scope), text=PlainTextObject(text=label[:75])).to_dict()
