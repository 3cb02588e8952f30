"""The Microsoft consent chain in a real headless Chromium.

Slack DM link → the sandbox Microsoft consent page → Accept/Cancel → the bot's /microsoft/callback,
with the pages checked through the DOM for their accessible structure.

The bot and the fakes run on the test's event loop, so every blocking WebDriver call runs in a thread.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import web
from sqlalchemy import text

from storage.models import Credential, Integration
from tests.flows import enable, last_response, rows, state_of
from tests.harness import Stack

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module, driven by the system chromedriver (never Selenium Manager)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if missing:
        pytest.skip(f"browser test needs Chromium and chromedriver: {', '.join(missing)} not found")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1024,768",
        "--ignore-certificate-errors",  # the fake Microsoft's certificate comes from a test CA
        "--no-first-run", "--no-default-browser-check", "--disable-gpu",
    ):
        options.add_argument(arg)
    # Chromium's profile and singleton-socket folders go in one of the module's own, removed at the end:
    # quit() leaves an org.chromium.Chromium.* folder behind in the temp folder.
    folder = tempfile.mkdtemp(prefix="zoomcal-browser-")
    service = Service(executable_path=CHROMEDRIVER, env={**os.environ, "TMPDIR": folder})
    try:
        driver = webdriver.Chrome(options=options, service=service)
        driver.set_page_load_timeout(30)
        try:
            yield driver
        finally:
            driver.quit()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def stack(tmp_path):
    """The bot whose public URL (hence Microsoft's redirect_uri) is a port the browser can reach.

    The harness's bot listens on a random port while its public URL is fixed, so a small forwarder,
    bound first (no port race), listens on the public URL's port and passes every request to the bot.
    """
    target: list[Stack] = []
    runner = await _forwarder(target)
    try:
        port = runner.addresses[0][1]
        database = f"sqlite+aiosqlite:///{tmp_path / 'zoomcal.db'}"
        async with Stack(tmp_path, database, ZOOMCAL_PUBLIC_URL=f"http://127.0.0.1:{port}/") as running:
            running.public_url = f"http://127.0.0.1:{port}"
            target.append(running)
            yield running
    finally:
        await runner.cleanup()


async def _forwarder(target: list[Stack]) -> web.AppRunner:
    hop_by_hop = {"connection", "content-length", "content-encoding", "transfer-encoding", "keep-alive"}

    async def forward(request: web.Request) -> web.Response:
        if not target:
            raise web.HTTPServiceUnavailable()
        stack = target[0]
        async with stack.http.request(
            request.method, f"{stack.url}{request.path_qs}", data=await request.read(), allow_redirects=False,
            headers={k: v for k, v in request.headers.items() if k.lower() not in hop_by_hop | {"host"}},
        ) as answer:
            headers = {k: v for k, v in answer.headers.items() if k.lower() not in hop_by_hop}
            return web.Response(status=answer.status, body=await answer.read(), headers=headers)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


# Blocking helpers (run in a thread) -------------------------------------------------------------

_SNAPSHOT = """
const all = s => Array.from(document.querySelectorAll(s));
const nav = performance.getEntriesByType('navigation')[0];
const style = getComputedStyle(document.body);
return {
  url: location.href,
  status: nav ? nav.responseStatus : null,
  doctype: document.doctype ? document.doctype.name : null,
  lang: document.documentElement.getAttribute('lang'),
  charset: document.characterSet,
  viewport: all('meta[name=viewport]').length,
  title: document.title,
  h1: all('h1').map(e => e.textContent.trim()),
  mains: all('main').length,
  outside_main: all('body > :not(main)').length,
  alerts: all('[role=alert]').map(e => e.textContent.trim()),
  facts: all('dt').map((dt, i) => [dt.textContent.trim(), (dt.nextElementSibling || {}).textContent]),
  external: all('script, link[href], img, iframe, object, embed, [style*="url("]').length,
  color: style.color,
  background: style.backgroundColor,
  text: document.body.innerText,
};
"""


def _snapshot(driver) -> dict:
    return driver.execute_script(_SNAPSHOT)


def _visit(driver, url: str) -> dict:
    driver.get(url)
    return _snapshot(driver)


def _choose(driver, button_id: str, lands_on: str) -> dict:
    """Clicks a button of the consent page and waits for the redirect to land on ``lands_on``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    button = driver.find_element(By.ID, button_id)
    assert button.tag_name == "button" and button.get_attribute("type") == "submit"
    button.click()
    WebDriverWait(driver, 15).until(
        lambda d: d.current_url.startswith(lands_on) and d.execute_script("return document.readyState") == "complete"
    )
    return _snapshot(driver)


def _screenshot(driver, name: str, tmp_path: Path) -> list[Path]:
    targets = [tmp_path / name]
    if os.environ.get("ZOOMCAL_SCREENSHOT_DIR"):
        targets.append(Path(os.environ["ZOOMCAL_SCREENSHOT_DIR"]) / name)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(target)), target
    return targets


# Checks -------------------------------------------------------------------------------------------


def _luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+(?:\.\d+)?", css)[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def assert_accessible(page: dict, title: str) -> None:
    assert page["doctype"] == "html"
    assert page["lang"] == "en"
    assert page["charset"].lower() == "utf-8"
    assert page["viewport"] == 1
    assert page["h1"] == [title], page["h1"]
    assert title in page["title"]
    assert page["mains"] == 1 and page["outside_main"] == 0, "all content is in one <main>"
    assert page["external"] == 0, "no scripts or external resources"
    lighter, darker = sorted((_luminance(page["color"]), _luminance(page["background"])), reverse=True)
    assert (lighter + 0.05) / (darker + 0.05) >= 7, (page["color"], page["background"])  # WCAG AAA


def assert_png(paths: list[Path]) -> None:
    for path in paths:
        assert path.is_file() and path.stat().st_size > 0, path
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path


# The tests ----------------------------------------------------------------------------------------


async def test_consent_chain_accept_lands_on_the_success_page(stack, browser, tmp_path):
    _, link = await enable(stack, "enable group Sales")
    assert link.startswith(f"{stack.microsoft.url}/")

    consent = await asyncio.to_thread(_visit, browser, link)
    assert consent["status"] == 200
    assert_accessible(consent, "Permissions requested")
    assert "Contoso Ltd" in consent["text"] and "Calendars.ReadWrite" in consent["text"]
    assert_png(await asyncio.to_thread(_screenshot, browser, "consent-page.png", tmp_path))

    page = await asyncio.to_thread(_choose, browser, "accept", f"{stack.public_url}/microsoft/callback?")
    assert page["status"] == 200
    assert_accessible(page, "Integration active")
    assert page["title"] == "Integration active · zoomcal"
    assert page["alerts"] == []
    assert dict(page["facts"]) == {"Zoom scope": "Group: Sales", "Microsoft organization": "Contoso Ltd"}
    assert "Sales" in page["text"] and "Contoso Ltd" in page["text"]
    assert_png(await asyncio.to_thread(_screenshot, browser, "consent-success.png", tmp_path))

    [integration] = await rows(stack, Integration)
    assert integration.status == "active"
    assert len(await rows(stack, Credential)) == 1
    await stack.command("status group Sales")
    answer = await last_response(stack)
    assert "active" in answer and "Contoso Ltd" in answer


async def test_consent_chain_cancel_shows_microsofts_error_as_an_alert(stack, browser, tmp_path):
    _, link = await enable(stack, "enable group Sales")
    await asyncio.to_thread(_visit, browser, link)

    page = await asyncio.to_thread(_choose, browser, "cancel", f"{stack.public_url}/microsoft/callback?")
    assert_accessible(page, "The integration was not enabled")
    [alert] = page["alerts"]
    assert "access_denied" in alert and "AADSTS65004: User declined to consent to access the app." in alert
    assert "/zoomcal enable group" in alert
    assert_png(await asyncio.to_thread(_screenshot, browser, "consent-declined.png", tmp_path))

    [integration] = await rows(stack, Integration)
    assert integration.status == "failed"
    assert await rows(stack, Credential) == []


async def test_microsoft_error_text_is_shown_escaped(stack, browser):
    _, link = await enable(stack, "enable account")
    query = {"error": "access_denied", "error_description": "AADSTS65004: declined <img src=x onerror=alert(1)>",
             "state": state_of(link)}
    page = await asyncio.to_thread(_visit, browser, f"{stack.public_url}/microsoft/callback?{urlencode(query)}")
    assert_accessible(page, "The integration was not enabled")
    [alert] = page["alerts"]
    assert "<img src=x onerror=alert(1)>" in alert, "shown as text, not markup"


async def test_expired_and_unknown_links_show_the_400_page(stack, browser, tmp_path):
    _, link = await enable(stack, "enable account")
    async with stack.runtime.db.transaction() as repo:
        await repo.session.execute(text("UPDATE consent_requests SET expires_at = created_at"))

    await asyncio.to_thread(_visit, browser, link)
    expired = await asyncio.to_thread(_choose, browser, "accept", f"{stack.public_url}/microsoft/callback?")
    assert expired["status"] == 400
    assert_accessible(expired, "This consent link has expired")
    [alert] = expired["alerts"]
    assert "/zoomcal enable" in alert
    assert_png(await asyncio.to_thread(_screenshot, browser, "consent-expired.png", tmp_path))

    unknown = await asyncio.to_thread(_visit, browser, f"{stack.public_url}/microsoft/callback?state=forged-state")
    assert unknown["status"] == 400
    assert_accessible(unknown, "Unknown consent link")
    assert len(unknown["alerts"]) == 1
    assert (await rows(stack, Integration))[0].status == "pending"
