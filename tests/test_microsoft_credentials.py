"""zoomcal's own Microsoft credential (secret, certificate, federated token file) and MSAL used as
designed (one app per tenant authority), against the fake Microsoft over TLS."""

from __future__ import annotations

import logging

import pytest

from bot import metrics
from bot.clients.credentials import ASSERTION_FILE, CERTIFICATE, SECRET, MicrosoftCredential
from bot.clients.errors import Refusal, UpstreamError
from bot.clients.http import client_session
from bot.clients.microsoft import CredentialError
from bot.sandbox.microsoft import make_certificate
from tests.harness import microsoft_client


def token_posts(microsoft) -> int:
    return len([r for r in microsoft.requests if r.method == "POST" and r.path.endswith("/oauth2/v2.0/token")])


def openid_gets(microsoft) -> int:
    return len(microsoft.calls("/.well-known/openid-configuration"))


async def test_a_certificate_signs_the_assertion_and_sends_no_secret(microsoft, tmp_path):
    pem = tmp_path / "zoomcal.pem"
    microsoft.add_certificate(make_certificate(pem))
    tenant = microsoft.add_tenant()
    credential = MicrosoftCredential.from_certificate(pem)
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft, client_secret=None, credential=credential)
        token = await client.app_token(tenant)
    assert token.tenant_id == tenant
    form = microsoft.calls("/oauth2/v2.0/token")[-1].form()
    assert "client_secret" not in form
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["client_info"] == "1", "MSAL's non-string form values are sent as text"
    assert "PRIVATE KEY" not in repr(credential)


async def test_a_certificate_not_uploaded_is_the_operators_problem(microsoft, tmp_path):
    pem = tmp_path / "zoomcal.pem"
    make_certificate(pem)  # never uploaded to the app
    tenant = microsoft.add_tenant()
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft, credential=MicrosoftCredential.from_certificate(pem))
        with pytest.raises(CredentialError) as caught:
            await client.app_token(tenant)
    assert caught.value.code == "AADSTS700027"
    assert caught.value.variable == CERTIFICATE
    assert not isinstance(caught.value, Refusal), "never taken for a tenant's refusal"


async def test_the_federated_token_file_is_read_again_for_each_token(microsoft, tmp_path):
    path = tmp_path / "token"
    microsoft.write_federated_token(path)
    tenant = microsoft.add_tenant()
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(
            session, microsoft, credential=MicrosoftCredential.from_assertion_file(path)
        )
        await client.app_token(tenant)
        microsoft.rotate_federated_token(path)  # the old token is refused from now on
        token = await client.app_token(tenant)  # fresh: a new request, with the file's new token
        assert token.tenant_id == tenant
        assert token_posts(microsoft) == 2
        assert microsoft.calls("/oauth2/v2.0/token")[-1].form()["client_assertion"] == path.read_text()
        microsoft.federated_subject = "system:serviceaccount:other:other"  # the app's credential changed
        with pytest.raises(CredentialError) as caught:
            await client.app_token(tenant)
    assert caught.value.code == "AADSTS700213"
    assert caught.value.variable == ASSERTION_FILE


async def test_one_app_per_tenant_authority_fetches_openid_configuration_once(microsoft):
    tenant = microsoft.add_tenant()
    other = microsoft.add_tenant(display_name="Fabrikam")
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft)
        for _ in range(3):
            await client.app_token(tenant)  # fresh each time (verify, health check)
        await client.app_token(other)
        assert openid_gets(microsoft) == 2, "once per tenant authority"
        assert token_posts(microsoft) == 4, "a fresh token is one token request"
        cached = await client.app_token(tenant, fresh=False)
        assert token_posts(microsoft) == 4, "a token in hand is reused (check)"
        fresh = await client.app_token(tenant)
        assert token_posts(microsoft) == 5
        assert fresh.access_token != cached.access_token


async def test_msal_does_not_replay_a_busy_answer_past_zoomcals_retries(microsoft):
    """MSAL remembers 429/5xx of token requests and replays them; zoomcal retries itself instead,
    so one busy answer costs one more request, and a later call asks again."""
    tenant = microsoft.add_tenant()
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft)
        await client.app_token(tenant)
        microsoft.fail_next("/oauth2/v2.0/token", 429, {"error": "temporarily_unavailable"},
                            headers={"Retry-After": "120"})
        token = await client.app_token(tenant)
        assert token.tenant_id == tenant
        assert token_posts(microsoft) == 3
        microsoft.fail_next("/oauth2/v2.0/token", 503, "busy", times=3)  # FAST_RETRIES: 3 attempts
        with pytest.raises(UpstreamError):
            await client.app_token(tenant)
        before = token_posts(microsoft)
        assert before == 6, "each of zoomcal's attempts was a request, none answered from MSAL's memory"
        assert await client.app_token(tenant)
        assert token_posts(microsoft) == before + 1, "the failure was not replayed from memory"


async def test_a_400_is_not_replayed_once_consent_is_granted(microsoft):
    tenant = microsoft.add_tenant(consented=False)
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft)
        with pytest.raises(Refusal):
            await client.app_token(tenant)
        microsoft.restore_consent(tenant)
        token = await client.app_token(tenant)
    assert token.tenant_id == tenant


async def test_credential_episode_logs_one_error_and_counts_every_failure(microsoft, caplog):
    tenant = microsoft.add_tenant()
    counter = metrics.MICROSOFT_CREDENTIAL_ERRORS.labels(SECRET)
    before = counter._value.get()
    changes = []
    async with client_session(microsoft.ca_path, timeout=5) as session:
        client = microsoft_client(session, microsoft)
        client.watch.on_change = lambda problem, episode: changes.append(problem is not None)
        microsoft.secret_expired = True
        with caplog.at_level(logging.ERROR, logger="bot.clients.microsoft"):
            for _ in range(3):
                with pytest.raises(CredentialError):
                    await client.app_token(tenant)
        assert client.watch.problem is not None and client.watch.problem.code == "AADSTS7000222"
        microsoft.secret_expired = False
        await client.app_token(tenant)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "MS_CLIENT_SECRET" in errors[0].getMessage()
    assert microsoft.client_secret not in errors[0].getMessage()
    assert counter._value.get() - before == 3
    assert changes == [True, False], "one report when the episode starts, one when a token is issued again"
    assert client.watch.problem is None


@pytest.mark.parametrize("code", ["AADSTS7000215", "AADSTS7000222", "AADSTS700027", "AADSTS70021", "AADSTS700211",
                                  "AADSTS700024"])
def test_the_contracts_credential_codes_name_the_variable_to_replace(code):
    from bot.clients.microsoft_errors import explained, is_credential_failure

    assert is_credential_failure(code)
    text = explained(code, f"{code}: Microsoft's words", ASSERTION_FILE)
    assert text.index("operator must") < text.index(code) and ASSERTION_FILE in text.split(code)[0]
