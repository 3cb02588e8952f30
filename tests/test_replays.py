"""A button or dialog acts on the state its message showed: replays and out-of-date clicks change nothing."""

from __future__ import annotations

from storage.models import AuditEvent, ConsentRequest, Integration
from tests.flows import (
    activate,
    buttons,
    click,
    disable_button,
    open_enable_modal,
    response_at,
    rows,
    text_of,
)
from tests.harness import ADMIN, OWNER

OUT_OF_DATE = "out of date"


async def test_a_captured_disable_click_replayed_after_a_re_enable_changes_nothing(stack):
    await activate(stack)
    button = await disable_button(stack)
    first = await response_at(stack, await click(stack, button["action_id"], button["value"]))
    assert "disabled" in text_of(first)
    await activate(stack)  # enabled again
    before = await rows(stack, AuditEvent)

    replayed = await response_at(stack, await click(stack, button["action_id"], button["value"]))
    assert OUT_OF_DATE in text_of(replayed) and "nothing was changed" in text_of(replayed)
    [integration] = await rows(stack, Integration)
    assert integration.status == "active", "the replay did not disable it again"
    assert len(await rows(stack, AuditEvent)) == len(before), "and wrote nothing"


async def test_a_home_tab_button_shown_before_a_change_is_out_of_date(stack):
    await activate(stack, "enable account")
    await click(stack, "home_page_next", '{"listing": "status", "query": "", "page": 1}', container="view")
    home = (await stack.slack.wait_for("views.publish"))[-1].args()["view"]
    [disable] = [b for b in buttons(home["blocks"]) if b["text"]["text"] == "Disable" and '"account"' in b["value"]]
    other = await disable_button(stack, "disable account", OWNER)  # another admin disables meanwhile…
    await response_at(stack, await click(stack, other["action_id"], other["value"], OWNER))
    await activate(stack, "enable account", OWNER)  # …and enables it again

    await click(stack, disable["action_id"], disable["value"], container="view")
    notice = (await stack.slack.wait_for("views.publish", count=2))[-1].args()["view"]
    assert OUT_OF_DATE in str(notice)
    assert (await rows(stack, Integration))[0].status == "active"


async def test_an_enable_dialog_opened_before_a_change_is_out_of_date(stack):
    stale = await open_enable_modal(stack, "enable group Sales")
    await activate(stack, "enable group Sales", OWNER)  # meanwhile another admin enables it
    links = len(await rows(stack, ConsentRequest))

    status, _ = await stack.submit_view(stale)
    assert status == 200
    update = (await stack.slack.wait_for(lambda r: "views.update" in r.path and b"out of date" in r.body))[-1]
    assert OUT_OF_DATE in str(update.args()["view"])
    assert len(await rows(stack, ConsentRequest)) == links, "no new consent link"
    assert (await rows(stack, Integration))[0].status == "active"


async def test_a_current_message_still_works(stack):
    await activate(stack)
    view = await open_enable_modal(stack, "enable group Engineering")
    status, _ = await stack.submit_view(view)
    assert status == 200
    await stack.slack.wait_for(lambda r: "chat.postMessage" in r.path and r.args().get("channel") == ADMIN, count=2)
    button = await disable_button(stack)
    answer = await response_at(stack, await click(stack, button["action_id"], button["value"]))
    assert OUT_OF_DATE not in text_of(answer) and "disabled" in text_of(answer)
