"""The configuration dialog (`/zoomcal`) and the App Home dashboard."""

from __future__ import annotations

import json

from storage.models import Credential, Integration
from tests.flows import (
    activate,
    buttons,
    click,
    command_answer,
    consent_link,
    enable,
    rows,
    text_of,
)
from tests.harness import ADMIN, MEMBER, TEAM, Stack, initial_values


async def open_configure(stack: Stack, user: str = ADMIN) -> dict:
    _, _, trigger_id = await stack.command("", user)
    return await stack.slack.form_opened_by(trigger_id)


def with_choice(view: dict, *, scope: tuple[str, str] | None = ("account", "Account"), **changes) -> dict:
    """The dialog's state after the admin picks a scope and changes some inputs."""
    values = initial_values(view)
    if scope is None:
        values["scope"] = {"scope_choice": {"type": "external_select", "selected_option": None}}
    else:
        values["scope"] = {
            "scope_choice": {"type": "external_select",
                             "selected_option": {"value": scope[0], "text": {"type": "plain_text", "text": scope[1]}}}
        }
    for block_id, value in changes.items():
        [state] = values[block_id].values()
        if block_id == "third_party":
            state["selected_options"] = [] if not value else state["selected_options"]
        else:
            state["selected_option"] = {"value": value}
    return values


async def submit(stack: Stack, view: dict, values: dict, user: str = ADMIN) -> dict:
    status, body = await stack.submit_view(view, user, values=values)
    assert status == 200, body
    return json.loads(body) if body else {}


async def group_id(stack: Stack, name: str) -> str:
    return next(g["id"] for g in stack.zoom.groups if g["name"] == name)


async def test_bare_command_opens_the_configuration_dialog(stack):
    view = await open_configure(stack)
    assert view["callback_id"] == "zoomcal_configure" and view["submit"]["text"] == "Save"
    scope = next(b for b in view["blocks"] if b.get("block_id") == "scope")
    assert scope["element"]["type"] == "external_select"
    rendered = json.dumps(view)
    for words in ("Integrate third-party mail and calendar services", "Office 365", "Graph API",
                  "Office 365 admin can set up the integration", "Users can set up the integration"):
        assert words in rendered


async def test_members_get_no_dialog(stack):
    payload = await command_answer(stack, "", MEMBER)
    assert "only Zoom account owners and admins" in payload["text"]
    assert not stack.slack.calls("views.open")


async def test_typeahead_offers_the_account_and_matching_groups(stack):
    payload = {
        "type": "block_suggestion", "team": {"id": TEAM}, "user": {"id": ADMIN, "team_id": TEAM},
        "action_id": "scope_choice", "block_id": "scope", "value": "sal",
        "view": {"id": "V1", "type": "modal", "callback_id": "zoomcal_configure"},
    }
    status, body = await stack.interact(payload)
    assert status == 200
    options = json.loads(body)["options"]
    assert [o["text"]["text"] for o in options] == ["Sales", "Sales EMEA"]
    everything = json.loads((await stack.interact(payload | {"value": ""}))[1])["options"]
    assert everything[0] == {"text": {"type": "plain_text", "text": "Account"}, "value": "account"}
    assert len(everything) == 5


async def test_saving_application_permissions_sends_the_consent_link(stack):
    view = await open_configure(stack)
    sales = await group_id(stack, "Sales")
    answer = await submit(stack, view, with_choice(view, scope=(f"group:{sales}", "Sales")))
    assert answer["response_action"] == "update"
    await consent_link(stack)
    [integration] = await rows(stack, Integration)
    assert (integration.group_id, integration.status) == (sales, "pending")


async def test_oauth_on_a_scope_with_credentials_asks_to_disable_and_delete(stack):
    await activate(stack, "enable account")
    view = await open_configure(stack)
    answer = await submit(stack, view, with_choice(view, setup_by="user_oauth"))
    assert answer["response_action"] == "push"
    confirm = answer["view"]
    assert confirm["submit"]["text"] == "Disable and Delete"
    assert (await rows(stack, Integration))[0].status == "active", "nothing happens before the confirmation"

    confirm["id"] = "VCONFIRM1"
    stack.slack.views["VCONFIRM1"] = confirm
    final = await submit(stack, confirm, {})
    assert final["response_action"] == "update"
    [update] = await stack.slack.wait_for(lambda r: "views.update" in r.path and r.args()["view_id"] == "VCONFIRM1")
    assert "disabled" in json.dumps(update.args()["view"])
    assert (await rows(stack, Integration))[0].status == "disabled"
    assert await rows(stack, Credential) == []


async def test_turning_the_toggle_off_asks_first(stack):
    await enable(stack, "enable account")  # pending: no credentials yet
    view = await open_configure(stack)
    answer = await submit(stack, view, with_choice(view, third_party=False))
    assert answer["response_action"] == "push"
    assert answer["view"]["submit"]["text"] == "Disable and Delete"


async def test_oauth_on_a_scope_never_configured_changes_nothing(stack):
    view = await open_configure(stack)
    answer = await submit(stack, view, with_choice(view, setup_by="user_oauth"))
    assert answer["response_action"] == "update"
    assert "never enabled" in json.dumps(answer["view"])
    assert await rows(stack, Integration) == []


async def test_invalid_submissions_answer_errors_on_the_right_block(stack):
    view = await open_configure(stack)
    answer = await submit(stack, view, with_choice(view, service="google"))
    assert answer == {"response_action": "errors", "errors": {"service": answer["errors"]["service"]}}
    answer = await submit(stack, view, with_choice(view, scope=None))
    assert set(answer["errors"]) == {"scope"}
    assert await rows(stack, Integration) == []


async def home_opened(stack: Stack, user: str = ADMIN) -> dict:
    body = {
        "type": "event_callback", "team_id": TEAM, "api_app_id": "A0ZOOMCAL", "event_id": "Ev1",
        "event_time": 1, "event": {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"},
    }
    before = len(stack.slack.calls("views.publish"))
    status, _ = await stack.post_slack(json.dumps(body).encode(), content_type="application/json")
    assert status == 200
    published = (await stack.slack.wait_for("views.publish", count=before + 1))[-1].args()
    assert published["user_id"] == user
    return published["view"]


async def test_home_tab_shows_every_scope_with_buttons(stack):
    await activate(stack)
    home = await home_opened(stack)
    shown = text_of(home)
    assert "Account*: not configured" in shown and "Sales*: active" in shown
    by_label = {}
    for block in home["blocks"]:
        if block.get("accessory"):
            by_label[block["text"]["text"]] = block["accessory"]
    assert by_label["*Sales*: active"]["text"]["text"] == "Disable"
    assert by_label["*Sales*: active"]["confirm"]["confirm"]["text"] == "Disable and Delete"
    assert by_label["*Engineering*: inherits account (not configured)"]["text"]["text"] == "Enable"


async def test_home_tab_for_members_says_admins_only(stack):
    home = await home_opened(stack, MEMBER)
    assert "Only Zoom account owners and admins" in text_of(home)
    assert not buttons(home["blocks"])


async def test_home_disable_and_enable_buttons_start_the_same_flows(stack):
    await activate(stack)
    home = await home_opened(stack)
    disable = next(b for b in buttons(home["blocks"]) if b["text"]["text"] == "Disable")
    await click(stack, disable["action_id"], disable["value"], container="view")
    republished = (await stack.slack.wait_for("views.publish", count=2))[-1].args()["view"]
    assert "Sales*: disabled" in text_of(republished)
    assert await rows(stack, Credential) == []

    enable_button = next(
        b for blk in republished["blocks"] if (b := blk.get("accessory")) and "Sales*" in blk["text"]["text"]
    )
    assert enable_button["text"]["text"] == "Enable"
    await click(stack, enable_button["action_id"], enable_button["value"], container="view")
    await stack.slack.wait_for("views.open", count=2)
    *_, trigger_id = stack.slack.opened_by  # the dialog the click opened
    opened = await stack.slack.form_opened_by(trigger_id)
    assert opened["submit"]["text"] == "Authorize and Save"
    assert json.loads(opened["private_metadata"])["name"] == "Sales"
