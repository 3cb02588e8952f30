"""Property-based: the parser, and everything echoed back, stays safe for any text."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.command import QUOTES, Verb, clean_name, parse
from bot.services.results import UnknownGroup
from handlers.blocks.common import escape
from handlers.blocks.messages import message
from tests.harness import ADMIN

NASTY = st.one_of(
    st.text(),
    st.sampled_from(["<!channel>", "<!here>", "<@U123>", "<http://x|y>", "&", "&amp;", "*bold*", "`code`",
                     "\u202egnp.exe", "\u200f", "\x00", "\x1b[31m", "x" * 5000, "", " ", "“”", '"'])
    .flatmap(lambda s: st.builds(lambda a, b: a + s + b, st.text(max_size=5), st.text(max_size=5))),
)
MRKDWN_CONTROL = re.compile(r"<[!@#]|<https?:|<mailto:")


@given(NASTY)
@settings(max_examples=400, deadline=None)
def test_parse_never_raises_and_always_decides(text):
    command = parse(text)
    assert isinstance(command.verb, Verb)
    assert command.problem is None or isinstance(command.problem, str)


@given(st.text(min_size=1).filter(lambda s: clean_name(s) != ""))
@settings(max_examples=300, deadline=None)
def test_a_group_name_is_the_rest_of_the_line(name):
    command = parse(f"enable group {name}")
    assert command.verb is Verb.ENABLE and command.target is not None
    expected = clean_name(name)
    assert command.target.group_name == expected
    assert "  " not in expected and expected == expected.strip()
    assert "\x00" not in expected
    assert not (len(expected) >= 2 and expected[0] in QUOTES and expected[-1] in QUOTES)


@given(NASTY)
@settings(max_examples=400, deadline=None)
def test_escaped_text_cannot_mention_link_or_format(text):
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped
    assert re.sub(r"&(amp|lt|gt);", "", escaped).count("&") == 0


@given(NASTY, st.lists(NASTY, max_size=5))
@settings(max_examples=200, deadline=None)
def test_unknown_group_answers_are_inert(name, suggestions):
    body = message(UnknownGroup(name, tuple(suggestions)))
    rendered = body["text"] + json.dumps(body["blocks"])
    assert not MRKDWN_CONTROL.search(body["text"])
    assert not MRKDWN_CONTROL.search(json.loads(json.dumps(body["blocks"]))[0]["text"]["text"])
    assert len(rendered) < 60_000


def _samples(strategy, count: int) -> list[str]:
    found: list[str] = []

    @given(strategy)
    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def collect(value):
        found.append(value)

    collect()
    return found[:count]


async def test_commands_with_hostile_text_get_private_inert_answers(stack):
    texts = _samples(NASTY.map(lambda t: "status group " + t), 25) + [
        "enable group <!channel>", "disable group <@U123>", "groups <http://evil|click>", "audit 99999999",
        "status group \u202eSales", "enable group " + "A" * 3000, "groups \x00\x01",
    ]
    for text in texts:
        status, body, _ = await stack.command(text)
        assert status == 200 and "Traceback" not in body
    answers = await stack.slack.wait_for(stack.slack.is_response, count=len(texts), timeout=30)
    for answer in answers:
        payload = answer.json()
        assert payload.get("response_type") == "ephemeral"
        visible = payload["text"] + "".join(
            b["text"]["text"]
            for b in payload.get("blocks", [])
            if isinstance(b.get("text"), dict) and b["text"]["type"] == "mrkdwn"  # plain_text shows literally
        )
        for mention in re.findall(r"<@[A-Z0-9]+>", visible):
            assert mention == f"<@{ADMIN}>", "only the asking admin may be mentioned"
        assert "<!channel>" not in visible and "<http://evil" not in visible


async def test_malformed_callback_parameters_never_500(stack):
    cases = [
        "", "?state", "?state=&state=&state=", "?admin_consent=True&tenant=%00&state=%FF%FE",
        "?error=" + "x" * 5000 + "&state=abc", "?state=" + "%E2%80%AE" * 100, "?tenant[]=1&state[]=2",
    ]
    for query in cases:
        async with stack.http.get(f"{stack.url}/microsoft/callback{query}") as response:
            assert 400 <= response.status < 500, query
            assert "Traceback" not in await response.text()
