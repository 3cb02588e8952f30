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
    for verb in ("/zoomcal", "click N", "open N", "accept", "decline", "set N", "submit", "cancel", "quit",
                 "people", "revoke | restore", "health"):
        assert verb in help_text
    assert "I don't know the command “frobnicate”" in answer_to(out, "/zoomcal frobnicate")
    assert "Unknown command “frobnicate”" in answer_to(out, "frobnicate")
    assert "Only /zoomcal is installed" in answer_to(out, "/jira create")
    assert "There is no button or link [3]: the latest answer showed none." in answer_to(out, "click 3")
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


def test_people_check_the_domain_warning_and_a_health_check_failing_and_recovering():
    """The walk-through of docs/console.md: what a newcomer sees without waiting hours for a health check."""
    result = console(
        "health",
        "people",
        "/zoomcal enable group Sales",
        "submit",
        "open 1",
        "accept",
        "/zoomcal check ada@contoso.com",
        "/zoomcal check ben@contoso.com",
        "/zoomcal check cleo@contoso.com",
        "/zoomcal check dev@fabrikam.com",
        "/zoomcal check nobody@contoso.com",
        "health",
        "restore",
        "revoke",
        "revoke",
        "people",
        "health",
        "health",
        "restore",
        "health",
        "/zoomcal status group Sales",
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    answers = _answers(out)

    assert "No scope is active, nor failed by a health check: nothing to check" in answers["health"][0]
    listed = answers["people"][0]
    for row in (
        r"you@contoso\.com +Owner +- +reachable",
        r"ada@contoso\.com +Member +Sales +reachable +an Exchange Online mailbox",
        r"ben@contoso\.com +Member +Sales +no mailbox",
        r"cleo@contoso\.com +Member +Sales +access denied +an application access policy",
        r"dev@fabrikam\.com +Member +Sales +no mailbox +fabrikam\.com is not a domain Contoso has verified",
        r"eli@fabrikam\.com +Member +Sales +no mailbox",
    ):
        assert re.search(row, listed), f"{row!r} not in:\n{listed}"
    assert "deleted from Contoso" not in listed

    # The domain check after consent names the one foreign domain and its count, not the tenant's own.
    warning = next(line for line in answers["accept"][0].splitlines() if "not verified" in line)
    assert "2 of 5 Zoom users" in warning and "`fabrikam.com` (2 users)" in warning
    assert "contoso.com" not in warning

    assert "✅ reachable" in answers["/zoomcal check ada@contoso.com"][0]
    assert "no mailbox" in answers["/zoomcal check ben@contoso.com"][0]
    assert "MailboxNotEnabledForRESTAPI" in answers["/zoomcal check ben@contoso.com"][0]
    denied = answers["/zoomcal check cleo@contoso.com"][0]
    assert "⛔ access denied" in denied and "ErrorAccessDenied" in denied
    assert "no mailbox" in answers["/zoomcal check dev@fabrikam.com"][0]
    assert "not a Zoom user" in answers["/zoomcal check nobody@contoso.com"][0]

    passed, failed, failed_again, recovered = answers["health"][1:]
    assert "Sales: passed (still active)" in passed and "(the bot showed nothing in Slack)" in passed
    assert "consented in Contoso already: nothing to restore" in answers["restore"][0]
    assert "Enterprise applications → ms-client → Delete" in answers["revoke"][0]
    assert "already deleted from Contoso" in answers["revoke"][1]
    assert "deleted from Contoso now (`revoke`)" in answers["people"][1]
    in_order(
        failed,
        "Sales: active → failed: ", "AADSTS7000229",
        "zoomcal in #zoomcal-audit:", "the health check · the group `Sales` · health check failed · failed",
        "zoomcal → direct message:", "the group `Sales` failed its health check: ", "Its status is now `failed`.",
    )
    assert "Sales: failed (still failed; nobody is told again)" in failed_again
    assert "direct message" not in failed_again and "#zoomcal-audit" not in failed_again
    assert "you grant admin consent to ms-client again" in answers["restore"][1]
    in_order(
        recovered,
        "Sales: passed; it is active again",
        "zoomcal in #zoomcal-audit:", "health check recovered · active",
        "zoomcal → direct message:", "the group `Sales` passed its health check and is active again",
    )
    status = answers["/zoomcal status group Sales"][0]
    assert "Sales: active" in status and re.search(r"Last health check: .*: passed", status)
    assert "`fabrikam.com` (2 users)" in status


def test_numbers_name_the_latest_answers_buttons_and_links_and_say_which_is_which():
    result = console(
        "/zoomcal enable group Sales",
        "submit",
        "click 9",
        "open 1",
        "accept",
        "/zoomcal disable group Sales",
        "open 1",
        "click 1",
        "yes",
        "click 1",
        "/zoomcal help",
        "click 1",
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    answers = _answers(out)
    # After the consent link's DM: [9] names what the latest answer holds, the link among it.
    missing = answers["click 9"][0]
    assert missing.startswith("There is no button or link [9] in the latest answer: it showed [1] ")
    assert "[1] Grant admin consent (link)" in missing
    assert "+-- browser: Permissions requested" in answers["open 1"][0]
    assert "[1] is a button (Disable and Delete), not a link: type `click 1`." in answers["open 1"][1]
    assert "Slack asks: Disable for Sales" in answers["click 1"][0]
    assert "replacing the message" in answers["yes"][0]
    # The disable replaced its message: its button is gone, and nothing is sent to the bot again.
    gone = answers["click 1"][1]
    assert gone.strip() == "There is no button or link [1]: the latest answer showed none."
    assert gone.strip() == answers["click 1"][2].strip(), "help shows no buttons either"


def test_the_account_domain_check_flags_only_the_foreign_domain():
    """The tenant verifies the console user's own domain: only fabrikam.com is named for the account."""
    out = console("/zoomcal enable account", "submit", "open 1", "accept").stdout
    warning = next(line for line in answer_to(out, "accept").splitlines() if "not verified" in line)
    # you, ada, ben, cleo and the deputies cara and gus on contoso.com; dev and eli on fabrikam.com
    assert "2 of 8 Zoom users" in warning and "`fabrikam.com` (2 users)" in warning
    assert "contoso.com" not in warning


def _answers(transcript: str) -> dict[str, list[str]]:
    """Each command's answers, in the order it was typed (a command typed twice has two)."""
    found: dict[str, list[str]] = {}
    for chunk in transcript.split("\n> ")[1:]:
        command, _, answer = chunk.partition("\n")
        found.setdefault(command, []).append(answer)
    return found


def test_the_sandbox_runs_with_a_certificate_and_with_a_federated_token_file():
    for kind in ("certificate", "federated"):
        result = subprocess.run(
            [*CONSOLE, "--credential", kind], capture_output=True, text=True, timeout=60,
            input="\n".join(["/zoomcal enable group Sales", "submit", "open 1", "accept", "/zoomcal verify group Sales",
                             "/zoomcal status group Sales"]) + "\n",
        )
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
        in_order(result.stdout, "> accept", "# Integration active", "> /zoomcal verify group Sales",
                 "issued a fresh app-only token", "> /zoomcal status group Sales", "Sales: active")


def test_people_shows_custom_roles_and_group_admins_and_as_acts_as_them():
    """A newcomer tries Zoom's role model: a custom role with AccountSetting:Edit, and Sales' group admin."""
    result = console(
        "people",
        "as gus@contoso.com",
        "/zoomcal help",
        "/zoomcal status group Sales",
        "/zoomcal status",
        "as cara@contoso.com",
        "/zoomcal status",
        "as you",
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr
    listed = answer_to(out, "people")
    assert re.search(r"cara@contoso\.com +Calendar Admin \(AccountSetting:Edit\) +-", listed), listed
    assert re.search(r"gus@contoso\.com +Member +Sales \(group admin\)", listed), listed
    assert "Zoom role Member" in answer_to(out, "as gus@contoso.com")
    assert "groups you administer" in answer_to(out, "/zoomcal help")
    assert "Sales: inherits account" in answer_to(out, "/zoomcal status group Sales")
    statuses = out.split("> /zoomcal status\n")
    assert "only Zoom account owners and admins" in statuses[1].split("\n> ")[0], "a group admin reads no listing"
    assert "Zoom calendar integration status" in statuses[2].split("\n> ")[0], "a custom role with AccountSetting:Edit does"
    assert "Zoom role Owner" in answer_to(out, "as you")
