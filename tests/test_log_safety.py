"""Log lines cannot stall the server, be forged from a request path, or carry a response_url."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import statistics
import time

import pytest

from bot import logs
from tests.flows import activate, buttons, click, command_answer, response_at
from tests.harness import Stack

HOSTILE = {
    "eyJ run": "eyJ" * 20_000,
    "eyJ runs between spaces": ("eyJ" * 300 + " ") * 66,
    "eyJ segments": "eyJaaaa." * 7_500,
    "Slack token prefix": "xoxb-" + "-" * 59_995,
    "Bearer": "Bearer " * 8_571,
    "state=": "state=" * 10_000,
    "state=&": "state=&" * 8_571,
    "dots": "." * 60_000,
    "equals": "=" * 60_000,
    "response URL prefix": "/commands" * 6_666,
}
PLAIN = ("user=alice path=/home/alice/docs size=1024 " * 1_500)[:60_000]


def cpu_per_call(function, argument, at_least: float = 0.05) -> float:
    """Process CPU seconds per call, over enough calls to measure."""
    calls, started = 0, time.process_time()
    while (elapsed := time.process_time() - started) < at_least or calls == 0:
        function(argument)
        calls += 1
    return elapsed / calls


def test_redaction_costs_the_same_for_hostile_and_plain_text():
    """The patterns cannot backtrack and a long line is cut before it is scanned."""
    redact = logs.RedactingFilter(["s3cr3t-value"]).redact
    plain = cpu_per_call(redact, PLAIN)
    for name, text in HOSTILE.items():
        assert len(text) == pytest.approx(len(PLAIN), rel=0.01)
        ratio = cpu_per_call(redact, text) / plain
        assert ratio < 10, f"{name}: {ratio:.0f}× the CPU of plain text of the same length"


def test_a_long_line_is_cut_at_a_word_so_no_secret_is_half_shown():
    token = "xoxb-" + "1" * 200
    line = logs.RedactingFilter([]).redact("a " * (logs.MAX_MESSAGE // 2 - 50) + token + " tail")
    assert "xoxb" not in line and "111" not in line and "characters dropped" in line
    assert len(line) < logs.MAX_MESSAGE + 100


@pytest.fixture
async def sqlite_stack(tmp_path):
    async with Stack(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}") as running:
        yield running


async def _get(stack: Stack, path: str) -> int:
    async with stack.http.get(stack.url + path) as response:
        await response.read()
        return response.status


async def test_hostile_paths_cost_what_plain_paths_cost(sqlite_stack, captured):
    """Over HTTP, with the access log on: 8,000 characters fit aiohttp's request line, 60,000 do not."""
    stack = sqlite_stack
    logs.configure(stack.settings.secrets, logging.INFO, stream=captured)
    for length in (8_000, 60_000):
        plain_path = "/" + ("user/alice/docs/" * 4_000)[: length - 1]
        hostile_paths = ["/" + ("eyJ" * 20_000)[: length - 1], "/" + (("eyJ" * 300 + "%20") * 200)[: length - 1]]
        await _get(stack, plain_path)  # warm up
        started = time.process_time()
        for _ in range(5):
            plain_status = await _get(stack, plain_path)
        plain = time.process_time() - started
        for path in hostile_paths:
            started = time.process_time()
            for _ in range(5):
                assert await _get(stack, path) == plain_status
            ratio = (time.process_time() - started) / plain
            assert ratio < 4, f"a {length}-character hostile path cost {ratio:.1f}× a plain one"
    assert "characters dropped" in captured.getvalue(), "long paths were cut in the access log"


async def _ack_times(stack: Stack, hammer_path: str, count: int = 15) -> list[float]:
    """Ack times of signed `/zoomcal help` while four clients keep requesting ``hammer_path``."""
    stop = asyncio.Event()

    async def hammer() -> None:
        while not stop.is_set():
            await _get(stack, hammer_path)

    hammers = [asyncio.create_task(hammer()) for _ in range(4)]
    await asyncio.sleep(0.1)
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            status, _, _ = await stack.command("help")
            times.append(time.perf_counter() - started)
            assert status == 200
    finally:
        stop.set()
        await asyncio.gather(*hammers)
    return times


async def test_hostile_paths_do_not_delay_slack_acks(sqlite_stack, captured):
    stack = sqlite_stack
    logs.configure(stack.settings.secrets, logging.INFO, stream=captured)
    await stack.command("help")  # warm up
    plain = statistics.median(await _ack_times(stack, "/" + ("user/alice/docs/" * 500)[:7_999]))
    hostile = statistics.median(await _ack_times(stack, "/" + ("eyJ" * 2_700)[:7_999]))
    assert hostile / plain < 3, f"acks took {hostile / plain:.1f}× longer beside hostile paths"


FORGING_PATHS = ["/x%0aFORGED", "/x%0d%0aFORGED", "/x%1b[2KFORGED", "/x%E2%80%A8FORGED", "/x%C2%85FORGED", '/x"%20500%20FORGED']
TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+ \[\S+\]: ")


@pytest.mark.parametrize("json_lines", [False, True], ids=["text", "json"])
async def test_a_request_path_cannot_forge_a_log_line(sqlite_stack, captured, json_lines):
    logs.configure(sqlite_stack.settings.secrets, logging.INFO, stream=captured, json_lines=json_lines)
    for path in FORGING_PATHS:
        assert await _get(sqlite_stack, path) == 404
    lines = captured.getvalue().splitlines()  # splits at \r, \x1c-\x1e, \x85, \u2028 and \u2029 too
    access = [line for line in lines if "FORGED" in line]
    assert len(access) == len(FORGING_PATHS), "one line per request"
    for line in lines:
        if json_lines:
            assert json.loads(line)["logger"]
        else:
            assert TEXT_LINE.match(line), line
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", line)
    assert all('\\"' in line for line in access if "500" in line), "a quote in the path is escaped"


async def test_response_urls_never_reach_the_log_even_at_debug(sqlite_stack, captured):
    stack = sqlite_stack
    logs.configure(stack.settings.secrets, logging.DEBUG, stream=captured)
    await activate(stack, "enable account")
    await command_answer(stack, "status")  # answered in the ack: its response_url was only received
    sent = [stack.last_response_url]
    await stack.command("verify account")  # a job posts its answer
    sent.append(stack.last_response_url)
    await response_at(stack, stack.last_response_url)
    [button] = buttons((await command_answer(stack, "disable account"))["blocks"])
    sent.append(stack.last_response_url)
    sent.append(await click(stack, button["action_id"], button["value"]))
    await response_at(stack, sent[-1])

    text = captured.getvalue()
    posted = [r.path for r in stack.slack.requests if stack.slack.is_response(r)]
    assert len(posted) >= 2 and "Sending a request" in text, "answers were posted and logged at DEBUG"
    for url in sent:
        secret = url.rstrip("/").rsplit("/", 1)[-1]
        assert secret not in text, f"a response_url ({url[:12]}…) reached the log"


def test_the_database_password_is_redacted():
    from bot.config import load_settings
    from bot.crypto import generate_key

    env = {
        "SLACK_SIGNING_SECRET": "s" * 20, "SLACK_BOT_TOKEN": "xoxb-1", "ZOOMCAL_ENCRYPTION_KEY": generate_key(),
        "ZOOM_ACCOUNT_ID": "a", "ZOOM_CLIENT_ID": "b", "ZOOM_CLIENT_SECRET": "c" * 10, "MS_CLIENT_ID": "d",
        "MS_CLIENT_SECRET": "e" * 10,
        "ZOOMCAL_DATABASE_URL": "postgresql+asyncpg://zoomcal:p%40ssw0rd-db@db.internal/zoomcal",
    }
    redact = logs.RedactingFilter(load_settings(env).secrets).redact
    for line in ("connect failed: password p%40ssw0rd-db", "authentication failed for p@ssw0rd-db"):
        assert "ssw0rd" not in redact(line), "as written in the URL, and decoded"


def test_the_routes_written_as_they_are_are_the_apps_own():
    from bot.app import create_web_app
    from bot.config import load_settings
    from bot.crypto import generate_key

    env = {
        "SLACK_SIGNING_SECRET": "s" * 20, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c" * 10,
        "ZOOMCAL_SLACK_TEAMS": "T0001", "ZOOMCAL_ENCRYPTION_KEY": generate_key(), "ZOOM_ACCOUNT_ID": "a",
        "ZOOM_CLIENT_ID": "b", "ZOOM_CLIENT_SECRET": "c" * 10, "MS_CLIENT_ID": "d", "MS_CLIENT_SECRET": "e" * 10,
    }
    app = create_web_app(load_settings(env))  # multi-workspace: every route
    served = {resource.canonical for resource in app.router.resources()}
    assert served == logs.ROUTES


@pytest.mark.parametrize("json_lines", [True, False])
async def test_a_routes_access_line_reads_as_any_other(sqlite_stack, captured, json_lines):
    """The access line of a route's own path is written without the logging machinery: the same line."""
    logs.configure(sqlite_stack.settings.secrets, stream=captured, json_lines=json_lines)
    await command_answer(sqlite_stack, "help")
    async with sqlite_stack.http.get(f"{sqlite_stack.url}/nowhere") as response:  # not a route: the usual path
        assert response.status == 404
    lines = [line for line in captured.getvalue().splitlines() if "/slack/events" in line or "/nowhere" in line]
    assert len(lines) == 2
    if json_lines:
        fast, usual = (json.loads(line) for line in lines)
        assert fast.keys() == usual.keys() and fast["logger"] == usual["logger"] == "aiohttp.access"
        assert re.fullmatch(r'127\.0\.0\.1 "POST /slack/events" 200 [0-9.]+ms', fast["message"])
        assert re.fullmatch(r"[0-9T:.-]+\+00:00", fast["time"]) and re.fullmatch(r"[0-9a-f]{32}", fast["request_id"])
        assert len(fast["time"]) == len(usual["time"])
    else:
        fast, usual = lines
        pattern = r'[0-9-]+ [0-9:]+,[0-9]{3} INFO aiohttp\.access \[[0-9a-f-]+\]: 127\.0\.0\.1 "(POST /slack/events|GET /nowhere)" [0-9]+ [0-9.]+ms'
        assert re.fullmatch(pattern, fast) and re.fullmatch(pattern, usual)
