"""`zoomcal console` as a newcomer scripts it: a real process, commands on stdin, a transcript on stdout."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

CONSOLE = [sys.executable, "-m", "bot.cli", "console"]


def console(*lines: str) -> subprocess.CompletedProcess:
    result = subprocess.run(CONSOLE, input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def in_order(transcript: str, *expected: str) -> None:
    """Each expected text appears, after the one before it."""
    position = 0
    for text in expected:
        found = transcript.find(text, position)
        assert found >= 0, f"{text!r} not found after position {position} in:\n{transcript}"
        position = found + len(text)


def answer_to(transcript: str, command: str) -> str:
    """What the console printed between ``> command`` and the next command."""
    after = transcript.split(f"> {command}\n", 1)[1]
    return after.split("\n> ", 1)[0]


def test_enable_consent_status_and_disable_end_to_end():
    result = console(
        "/zoomcal enable group Sales",
        "submit",
        "open 1",
        "accept",
        "/zoomcal status group Sales",
        "/zoomcal disable group Sales",
        "click 1",
        "no",
        "click 1",
        "yes",
        "/zoomcal status group Sales",
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    in_order(
        out,
        "/zoomcal enable group Sales",  # the banner suggests it
        "> /zoomcal enable group Sales", "+-- dialog: Mail & Calendar", "Scope: Sales",
        "[x] 1. Integrate third-party mail and calendar services", "(*) 1. Office 365",
        "`submit` = Authorize and Save",
        "> submit", "zoomcal → direct message:", "[1] Grant admin consent", "+-- dialog: Consent needed",
        "> open 1", "+-- browser: Permissions requested", "Calendars.ReadWrite", "[Accept]",
        "> accept", "Microsoft redirects your browser to http://127.0.0.1:", "/microsoft/callback",
        "# Integration active", "Group: Sales", "Contoso",
        "zoomcal → direct message:", "The Office 365 integration for the group `Sales` is active, using `Contoso`",
        "> /zoomcal status group Sales", "Sales: active",
        "> /zoomcal disable group Sales", "[1] Disable and Delete",
        "> click 1", "Slack asks: Disable for Sales", "`yes` = Disable and Delete", "`no` = Cancel",
        "> no", "Cancelled: nothing was sent to the bot.",
        "> click 1", "Slack asks", "> yes", "replacing the message", "disabled Sales",
        "> /zoomcal status group Sales", "Sales: disabled",
    )
    assert "state=" not in answer_to(out, "accept"), "the consent state stays out of the shown callback URL"
    assert "Sales: active" in answer_to(out, "/zoomcal status group Sales")
    # The bot's logs went to the sandbox's temp dir, and that is gone after the console ends.
    log = Path(re.search(r"the bot logs to (\S+)\)", out)[1])
    assert not log.parent.exists()
    assert "INFO" not in result.stderr and "INFO" not in out, "the bot's logs stay out of the terminal"


def test_help_and_unclear_input_get_clear_answers():
    result = console(
        "help",
        "/zoomcal frobnicate",
        "frobnicate",
        "/jira create",
        "click 3",
        "click",
        "submit",
        "accept",
        "/zoomcal",
        "set 1 Supp",
        "set 9 x",
        "cancel",
        "quit",
        "/zoomcal help",  # after quit: never read
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    help_text = answer_to(out, "help")
    for verb in ("/zoomcal", "click N", "open N", "accept", "decline", "set N", "submit", "cancel", "quit"):
        assert verb in help_text
    assert "I don't know the command “frobnicate”" in answer_to(out, "/zoomcal frobnicate")
    assert "Unknown command “frobnicate”" in answer_to(out, "frobnicate")
    assert "Only /zoomcal is installed" in answer_to(out, "/jira create")
    assert "There is no button [3]" in answer_to(out, "click 3")
    assert "Usage: click N" in answer_to(out, "click")
    assert "No dialog is open" in answer_to(out, "submit")
    assert "No consent page is open" in answer_to(out, "accept")
    assert "`submit` = Save" in answer_to(out, "/zoomcal")
    assert "Scope: Support" in answer_to(out, "set 1 Supp"), "typing a name asks the bot's typeahead"
    assert "no input 9" in answer_to(out, "set 9 x")
    assert "> /zoomcal help" not in out


def test_declined_consent_fails_the_scope():
    result = console("/zoomcal enable account", "submit", "cancel", "open 1", "decline", "/zoomcal status account")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    in_order(
        out,
        "> decline", "# The integration was not enabled", "access_denied",
        "zoomcal → direct message:", "was not enabled",
        "> /zoomcal status account", "Account: failed",
    )
