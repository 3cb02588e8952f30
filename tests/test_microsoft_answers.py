"""Microsoft's answers explained where people read them, zoomcal's own credential as the operator's
problem, secretless credentials end to end, and the calls each operation makes (through the stack)."""

from __future__ import annotations

import logging

import pytest

from bot import metrics
from bot.sandbox.microsoft import Mailbox, make_certificate
from storage.models import AuditEvent, Integration
from tests.flows import activate, command_answer, enable, response_at, rows, state_of, text_of
from bot.domain import Actor
from tests.harness import ADMIN, TEAM, Stack

AUDIT = "C0AUDIT01"
DOMAIN = "contoso.onmicrosoft.com"


def token_error(code: int, error: str, description: str, status: int = 400) -> tuple[int, dict]:
    return status, {"error": error, "error_description": f"AADSTS{code}: {description}", "error_codes": [code]}


async def verified(stack: Stack, text: str = "verify group Sales") -> str:
    status, body, _ = await stack.command(text)
    assert status == 200 and body == ""
    return text_of(await response_at(stack, stack.last_response_url))


async def checked(stack: Stack, email: str) -> str:
    status, body, _ = await stack.command(f"check {email}")
    assert status == 200
    if body:
        return text_of(command_answer_body(body))
    return text_of(await response_at(stack, stack.last_response_url, timeout=15))


def command_answer_body(body: str) -> dict:
    import json

    return json.loads(body)


async def sales(stack: Stack) -> Integration:
    return next(i for i in await rows(stack, Integration) if i.scope_name == "Sales")


def token_posts(stack: Stack) -> int:
    return len([r for r in stack.microsoft.requests if r.method == "POST" and r.path.endswith("/oauth2/v2.0/token")])


# the callback ------------------------------------------------------------------------------------

CALLBACK_ROWS = [
    ("access_denied", "AADSTS65004: User declined to consent to access the app.", "declined or cancelled"),
    ("consent_required", "AADSTS65001: consent required", "has not been granted"),
    ("consent_required", "", "declined or cancelled"),
    ("access_denied", "AADSTS90094: The grant requires admin permission.", "Global Administrator or Privileged Role"),
    ("invalid_request", "AADSTS50020: User account from identity provider does not exist in tenant.",
     "personal Microsoft account"),
    ("unauthorized_client", "AADSTS700016: Application not found in the directory.", "run /zoomcal enable again"),
    ("invalid_request", "AADSTS90002: Tenant not found.", "MS_TENANT and MS_AUTHORITY_HOST"),
    ("access_denied", "AADSTS53003: Access has been blocked by Conditional Access policies.", "Conditional Access"),
]


async def test_the_callback_explains_microsofts_error_first_and_quotes_it(stack):
    for error, description, meaning in CALLBACK_ROWS:
        _, url = await enable(stack, "enable group Sales")
        query = {"error": error, "error_description": description, "state": state_of(url), "admin_consent": "True"}
        status, page, _ = await stack.callback(query)
        assert status == 200 and meaning in page, (error, description, page)
        code = description.split(":")[0] if description else error
        assert code in page, "Microsoft's code is quoted"
        assert page.index(meaning) < page.index(code), "the explanation comes first"
        dm = await stack.slack.wait_until(
            lambda: [m for m in stack.slack.dms(ADMIN) if "was not enabled" in m["text"] and code in m["text"]
                     and meaning in m["text"]],
            what=f"the DM for {code}",
        )
        assert dm
        assert (await sales(stack)).status == "failed"


async def test_an_unknown_code_keeps_microsofts_words(stack):
    _, url = await enable(stack, "enable group Sales")
    status, page, _ = await stack.callback(
        {"error": "invalid_request", "error_description": "AADSTS999999: Something new.", "state": state_of(url)}
    )
    assert status == 200 and "Microsoft reported invalid_request: AADSTS999999: Something new" in page
    assert "Microsoft said" not in page


async def test_markup_in_microsofts_description_stays_inert(stack):
    _, url = await enable(stack, "enable group Sales")
    await stack.callback({"error": "access_denied", "error_description": "AADSTS90094: <b>x</b> <!here>",
                          "state": state_of(url)})
    [dm] = await stack.slack.wait_until(lambda: [m for m in stack.slack.dms(ADMIN) if "AADSTS90094" in m["text"]])
    assert "<!here>" not in dm["text"] and "&lt;!here&gt;" in dm["text"]
    text = dm["text"]
    assert "Global Administrator" in text and text.index("Global Administrator") < text.index("`Microsoft reported"), (
        "the explanation is our text, before the quote"
    )


# the token endpoint during verify, health checks and check ------------------------------------------

TOKEN_ROWS = [
    (token_error(700016, "unauthorized_client", "Application with identifier 'x' was not found in the directory."),
     "AADSTS700016", "not (or no longer) registered in that tenant"),
    (token_error(7000229, "invalid_client", "The client application is missing service principal in the tenant.",
                 401), "AADSTS7000229", "not (or no longer) registered in that tenant"),
    (token_error(53003, "invalid_grant", "Access has been blocked by Conditional Access policies."),
     "AADSTS53003", "Conditional Access policy"),
]


@pytest.mark.parametrize("answer,code,meaning", TOKEN_ROWS, ids=[row[1] for row in TOKEN_ROWS])
async def test_token_refusals_are_explained_in_verify_check_and_health(stack, answer, code, meaning):
    await activate(stack, "enable group Sales")
    status, body = answer
    stack.microsoft.fail_next("/oauth2/v2.0/token", status, body)
    shown = await verified(stack)
    assert "verification failed" in shown and code in shown and meaning in shown
    assert shown.index(meaning) < shown.index(code)

    stack.microsoft.fail_next("/oauth2/v2.0/token", status, body)
    [check] = await stack.runtime.services.health.check_now()
    assert check.result == "failed"
    integration = await sales(stack)
    assert integration.status == "failed" and code in integration.detail and meaning in integration.detail
    shown = text_of(await command_answer(stack, "status group Sales"))
    assert meaning in shown and code in shown


async def test_graph_mailbox_errors_in_check_are_explained(stack):
    await activate(stack, "enable account")
    stack.zoom.add_user(f"bob@{DOMAIN}", role_name="Member")
    stack.zoom.add_user(f"cy@{DOMAIN}", role_name="Member")
    stack.microsoft.add_user(stack.tenant_id, f"bob@{DOMAIN}", Mailbox.NONE)
    stack.microsoft.add_user(stack.tenant_id, f"cy@{DOMAIN}", Mailbox.BLOCKED)
    shown = await checked(stack, f"bob@{DOMAIN}")
    assert "*no mailbox*" in shown and "no Exchange Online mailbox" in shown and "MailboxNotEnabledForRESTAPI" in shown
    shown = await checked(stack, f"cy@{DOMAIN}")
    assert "*access denied*" in shown and "application access policy" in shown and "ErrorAccessDenied" in shown


# zoomcal's own credential -----------------------------------------------------------------------------


async def test_the_bots_own_credential_is_the_operators_problem(tmp_path, database_url, caplog):
    counter = metrics.MICROSOFT_CREDENTIAL_ERRORS.labels("MS_CLIENT_SECRET")
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL=AUDIT) as stack:
        await activate(stack, "enable group Sales")
        before = counter._value.get()
        stack.microsoft.secret_expired = True  # AADSTS7000222
        with caplog.at_level(logging.ERROR):
            [check] = await stack.runtime.services.health.check_now()
            shown = await verified(stack)
            await verified(stack)
        assert check.status.value == "active" and not check.changed
        assert (await sales(stack)).status == "active", "no scope's status changes"
        assert not [m for m in stack.slack.dms(ADMIN) if "failed its health check" in m["text"]]
        assert "MS_CLIENT_SECRET" in shown and "operator must" in shown and "AADSTS7000222" in shown
        sales_id = next(g["id"] for g in stack.zoom.groups if g["name"] == "Sales")
        stack.zoom.add_user(f"ann@{DOMAIN}", role_name="Member")
        stack.zoom.add_members(sales_id, [f"ann@{DOMAIN}"])
        with caplog.at_level(logging.ERROR):
            checked_now = await checked(stack, f"ann@{DOMAIN}")  # verify dropped the token: check asks for one
        assert "MS_CLIENT_SECRET" in checked_now and "operator must" in checked_now
        errors = [r for r in caplog.records if r.levelno == logging.ERROR and "own credential" in r.getMessage()]
        assert len(errors) == 1 and "MS_CLIENT_SECRET" in errors[0].getMessage()
        assert counter._value.get() - before == 4, "every refusal is counted"
        assert not [e for e in await rows(stack, AuditEvent) if e.action == "health check failed"]

        status = text_of(await command_answer(stack, "status"))
        assert "MS_CLIENT_SECRET" in status and "operator must replace" in status
        single = text_of(await command_answer(stack, "status group Sales"))
        assert "MS_CLIENT_SECRET" in single
        home = await stack.runtime.services.overview.dashboard(Actor(TEAM, ADMIN))
        assert "MS_CLIENT_SECRET" in (home.report.warning or ""), "the App Home shows it too"

        def audit_posts(words: str):
            return [m for m in stack.slack.messages if m["channel"] == AUDIT and words in m["text"]]

        await stack.slack.wait_until(lambda: audit_posts("refuses zoomcal's own credential"))
        stack.microsoft.secret_expired = False
        shown = await verified(stack)
        assert "issued a fresh app-only token" in shown
        await stack.slack.wait_until(lambda: audit_posts("again"))
        assert len(audit_posts("refuses zoomcal's own credential")) == 1, "one post when the episode started"
        assert len(audit_posts("issues tokens for zoomcal's own credential (MS_CLIENT_SECRET) again")) == 1
        assert "MS_CLIENT_SECRET" not in text_of(await command_answer(stack, "status"))


async def test_a_consent_callback_with_the_bots_credential_failing_stores_nothing_and_says_why(stack):
    _, url = await enable(stack, "enable group Sales")
    stack.microsoft.client_secret = "rotated-by-someone"  # the configured secret is no longer valid
    status, page, _ = await stack.callback(stack.microsoft.callback_query(stack.tenant_id, state_of(url)))
    assert "Nothing was stored" in page and "MS_CLIENT_SECRET" in page and "AADSTS7000215" in page
    from storage.models import Credential

    assert await rows(stack, Credential) == []


# secretless credentials end to end ----------------------------------------------------------------------


async def test_a_certificate_credential_end_to_end(tmp_path, database_url):
    pem = tmp_path / "zoomcal.pem"
    certificate = make_certificate(pem)
    async with Stack(tmp_path, database_url, MS_CLIENT_SECRET="", MS_CLIENT_CERTIFICATE=str(pem)) as stack:
        stack.microsoft.add_certificate(certificate)
        await activate(stack, "enable group Sales")
        assert (await sales(stack)).status == "active"
        assert "issued a fresh app-only token" in await verified(stack)
        forms = [r.form() for r in stack.microsoft.calls("/oauth2/v2.0/token")]
        assert forms and all("client_assertion" in f and "client_secret" not in f for f in forms)


async def test_a_federated_token_file_end_to_end_read_again_after_rotation(tmp_path, database_url):
    path = tmp_path / "azure-identity-token"
    path.write_text("header.payload.signature")  # the issuer writes the real one once running
    async with Stack(tmp_path, database_url, MS_CLIENT_SECRET="", AZURE_FEDERATED_TOKEN_FILE=str(path)) as stack:
        stack.microsoft.write_federated_token(path)
        await activate(stack, "enable group Sales")
        assert (await sales(stack)).status == "active"
        stack.microsoft.rotate_federated_token(path)  # the old token is refused from now on
        assert "issued a fresh app-only token" in await verified(stack)
        assert stack.microsoft.calls("/oauth2/v2.0/token")[-1].form()["client_assertion"] == path.read_text()


# calls per operation ----------------------------------------------------------------------------------


async def test_calls_per_operation(stack):
    microsoft = stack.microsoft
    stack.zoom.add_user(f"ann@{DOMAIN}", role_name="Member")
    microsoft.add_user(stack.tenant_id, f"ann@{DOMAIN}")
    await activate(stack, "enable account")
    assert token_posts(stack) == 1, "a callback: one token request"
    assert len(microsoft.calls("/v1.0/organization")) == 1, "and one Graph call"
    for n in range(1, 4):
        await verified(stack, "verify account")
        assert token_posts(stack) == 1 + n, "verify: a fresh token each time"
        assert len(microsoft.calls("/v1.0/organization")) == 1 + n
    [check] = await stack.runtime.services.health.check_now()
    assert check.result == "passed" and token_posts(stack) == 5 and len(microsoft.calls("/v1.0/organization")) == 5
    for n in range(1, 3):
        assert "*reachable*" in await checked(stack, f"ann@{DOMAIN}")
        assert token_posts(stack) == 5, "check: the token in hand, no token request"
        assert len(microsoft.calls("/calendar")) == n
    assert len(microsoft.calls("/.well-known/openid-configuration")) == 1, "once per tenant authority"


async def test_a_token_from_the_cache_does_not_end_a_credential_episode(tmp_path, database_url, caplog):
    """Only Microsoft issuing a token ends the episode: a `check` answered with a token MSAL held
    since before says nothing about the bot's credential (another tenant's token, still valid)."""
    async with Stack(tmp_path, database_url, ZOOMCAL_AUDIT_CHANNEL=AUDIT) as stack:
        fabrikam = stack.microsoft.add_tenant(display_name="Fabrikam", domains=("fabrikam.onmicrosoft.com",))
        await activate(stack, "enable group Sales")
        await activate(stack, "enable group Support", tenant=fabrikam)  # Fabrikam's token stays in MSAL's cache
        support_id = next(g["id"] for g in stack.zoom.groups if g["name"] == "Support")
        stack.zoom.add_user("bob@fabrikam.onmicrosoft.com", role_name="Member")
        stack.zoom.add_members(support_id, ["bob@fabrikam.onmicrosoft.com"])

        stack.microsoft.secret_expired = True
        with caplog.at_level(logging.ERROR):
            assert "MS_CLIENT_SECRET" in await verified(stack)  # the episode starts
            posts = token_posts(stack)
            assert "MS_CLIENT_SECRET" not in await checked(stack, "bob@fabrikam.onmicrosoft.com")
            assert token_posts(stack) == posts, "the check used Fabrikam's token from the cache"
            assert "MS_CLIENT_SECRET" in text_of(await command_answer(stack, "status")), "the warning stays"
            assert "MS_CLIENT_SECRET" in await verified(stack)
        errors = [r for r in caplog.records if r.levelno == logging.ERROR and "own credential" in r.getMessage()]
        assert len(errors) == 1, "one episode: one ERROR"
        assert not [m for m in stack.slack.messages if m["channel"] == AUDIT and "again" in m["text"]]


async def test_a_federated_token_file_gone_at_run_time_is_the_operators_problem(tmp_path, database_url, caplog):
    """The file is read for each token request: when it is gone, zoomcal's own credential fails
    (the operator's problem, naming the variable), not Microsoft, and nothing is asked of Microsoft."""
    path = tmp_path / "azure-identity-token"
    path.write_text("header.payload.signature")
    async with Stack(tmp_path, database_url, MS_CLIENT_SECRET="", MS_CLIENT_ASSERTION_FILE=str(path)) as stack:
        stack.microsoft.write_federated_token(path)
        await activate(stack, "enable group Sales")
        path.unlink()  # the projected token file went missing
        posts = token_posts(stack)
        with caplog.at_level(logging.ERROR):
            shown = await verified(stack)
            [check] = await stack.runtime.services.health.check_now()
        assert "MS_CLIENT_ASSERTION_FILE" in shown and "operator" in shown, shown
        assert "answered unexpectedly" not in shown, shown
        assert token_posts(stack) == posts, "Microsoft was not asked"
        assert (check.result, check.changed) == ("inconclusive", False)
        assert (await sales(stack)).status == "active"
        errors = [r for r in caplog.records if r.levelno == logging.ERROR and "own credential" in r.getMessage()]
        assert len(errors) == 1 and "MS_CLIENT_ASSERTION_FILE" in errors[0].getMessage()
        assert "MS_CLIENT_ASSERTION_FILE" in text_of(await command_answer(stack, "status"))
