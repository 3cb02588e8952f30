"""MS_TENANT at the callback: a consent from any other tenant stores nothing. Real HTTP against the fakes."""

from __future__ import annotations

from storage.models import Credential, Integration
from tests.flows import enable, rows, state_of
from tests.harness import ADMIN, Stack

LOCKED = "0f0e0d0c-0b0a-4909-8807-060504030201"


async def consent_from(stack: Stack, tenant: str) -> str:
    """Enables the account and completes its link with a consent from ``tenant``; returns the callback page."""
    _, url = await enable(stack, "enable account")
    status, page, _ = await stack.callback(stack.microsoft.callback_query(tenant, state_of(url)))
    assert status == 200, page
    return page


async def assert_failed_and_nothing_stored(stack: Stack, page: str, consented: str, locked: str) -> None:
    expected = f"The consent came from Microsoft tenant {consented}, but zoomcal accepts only tenant {locked}"
    assert expected in page and "Nothing was stored" in page
    assert await rows(stack, Credential) == []
    [integration] = await rows(stack, Integration)
    assert integration.status == "failed"
    dm = await stack.slack.wait_message(lambda m: m.get("channel") == ADMIN and "was not enabled" in str(m))
    assert consented in str(dm) and locked in str(dm)


async def test_a_consent_from_another_tenant_is_refused_when_ms_tenant_is_a_tenant_id(tmp_path, database_url):
    async with Stack(tmp_path, database_url, MS_TENANT=LOCKED) as stack:
        stack.microsoft.add_tenant(LOCKED, display_name="Northwind", domains=("northwind.example",))
        # stack.tenant_id (Contoso) has consented too: its token would be good, but it is not MS_TENANT's.
        page = await consent_from(stack, stack.tenant_id)
        await assert_failed_and_nothing_stored(stack, page, stack.tenant_id, LOCKED)
        assert not stack.microsoft.calls("/oauth2/v2.0/token"), "refused before asking Microsoft for a token"

        _, url = await enable(stack, "enable account")  # MS_TENANT's own consent still works
        status, page, _ = await stack.callback(stack.microsoft.callback_query(LOCKED, state_of(url)))
        assert status == 200 and "Integration active" in page and "Northwind" in page
        [credential] = await rows(stack, Credential)
        assert stack.runtime.services.deps.vault.decrypt_json(credential.ciphertext)["tenant_id"] == LOCKED


async def test_a_consent_from_another_tenant_is_refused_when_ms_tenant_is_a_domain(tmp_path, database_url):
    async with Stack(tmp_path, database_url, MS_TENANT="northwind.example") as stack:
        northwind = stack.microsoft.add_tenant(display_name="Northwind", domains=("northwind.example",))
        page = await consent_from(stack, stack.tenant_id)
        await assert_failed_and_nothing_stored(stack, page, stack.tenant_id, "northwind.example")
        tokens = stack.microsoft.calls("/oauth2/v2.0/token")
        assert tokens and all("/northwind.example/" in r.path for r in tokens), "only MS_TENANT's token is asked for"

        _, url = await enable(stack, "enable account")
        status, page, _ = await stack.callback(stack.microsoft.callback_query(northwind, state_of(url)))
        assert status == 200 and "Integration active" in page, page


async def test_a_domain_ms_tenant_that_never_consented_names_the_tenant_that_did(tmp_path, database_url):
    async with Stack(tmp_path, database_url, MS_TENANT="northwind.example") as stack:
        stack.microsoft.add_tenant(display_name="Northwind", domains=("northwind.example",), consented=False)
        page = await consent_from(stack, stack.tenant_id)
        await assert_failed_and_nothing_stored(stack, page, stack.tenant_id, "northwind.example")


async def test_organizations_accepts_any_tenant(stack):
    page = await consent_from(stack, stack.tenant_id)
    assert "Integration active" in page
