"""Exactly one Microsoft credential: MS_CLIENT_SECRET, MS_CLIENT_CERTIFICATE or MS_CLIENT_ASSERTION_FILE
(AZURE_FEDERATED_TOKEN_FILE when none is set); anything else names the variables and exits 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import hashes

from bot.clients.credentials import ASSERTION_FILE, AKS_TOKEN_FILE, CERTIFICATE, SECRET
from bot.config import Purpose, SettingsError, load_settings
from bot.sandbox.microsoft import make_certificate
from tests.test_config import MINIMAL

WITHOUT_SECRET = {k: v for k, v in MINIMAL.items() if k != "MS_CLIENT_SECRET"}
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"


def problems(env: dict) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    return caught.value.problems


def test_a_certificate_is_loaded_with_its_thumbprints_and_no_key_in_repr(tmp_path):
    pem = tmp_path / "app.pem"
    certificate = make_certificate(pem)
    settings = load_settings(WITHOUT_SECRET | {CERTIFICATE: str(pem)})
    credential = settings.ms_credential
    assert credential.variable == CERTIFICATE
    assert credential.thumbprint_sha1 == certificate.fingerprint(hashes.SHA1()).hex().upper()
    assert credential.private_key_pem in settings.secrets, "logging redacts the key"
    assert "PRIVATE KEY" not in repr(settings) and "PRIVATE KEY" not in repr(credential)
    msal = credential.msal()
    assert set(msal) == {"private_key", "public_certificate"}


def test_the_aks_token_file_serves_when_no_credential_is_set(tmp_path):
    token = tmp_path / "token"
    token.write_text(JWT)
    settings = load_settings(WITHOUT_SECRET | {AKS_TOKEN_FILE: str(token)})
    assert settings.ms_credential.variable == AKS_TOKEN_FILE
    token.write_text(JWT.replace("c2ln", "bmV3"))
    assert settings.ms_credential.msal()["client_assertion"]().endswith("bmV3"), "read again for each request"
    # An explicit credential wins over what AKS sets.
    assert load_settings(MINIMAL | {AKS_TOKEN_FILE: str(token)}).ms_credential.variable == SECRET


def test_two_credentials_are_refused_naming_both(tmp_path):
    token = tmp_path / "token"
    token.write_text(JWT)
    [line] = [p for p in problems(MINIMAL | {ASSERTION_FILE: str(token)}) if "credential" in p]
    assert SECRET in line and ASSERTION_FILE in line and "exactly one" in line


def test_none_is_refused_naming_all_three():
    [line] = [p for p in problems(WITHOUT_SECRET) if SECRET in p]
    assert CERTIFICATE in line and ASSERTION_FILE in line


@pytest.mark.parametrize("content,words", [
    (None, "no such file"),
    ("", "is empty"),
    ("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "no PEM certificate"),
])
def test_a_certificate_file_that_cannot_be_used_is_named(tmp_path, content, words):
    pem = tmp_path / "app.pem"
    if content is not None:
        pem.write_text(content)
    [line] = [p for p in problems(WITHOUT_SECRET | {CERTIFICATE: str(pem)}) if p.startswith(CERTIFICATE)]
    assert words in line


def test_a_certificate_without_its_key_is_named(tmp_path):
    pem = tmp_path / "app.pem"
    make_certificate(pem)
    pem.write_text(pem.read_text().split("-----BEGIN PRIVATE KEY-----")[0])
    [line] = [p for p in problems(WITHOUT_SECRET | {CERTIFICATE: str(pem)}) if p.startswith(CERTIFICATE)]
    assert "no private key" in line


def test_an_assertion_file_that_holds_no_token_is_named(tmp_path):
    token = tmp_path / "token"
    token.write_text("not a jwt")
    [line] = [p for p in problems(WITHOUT_SECRET | {ASSERTION_FILE: str(token)}) if p.startswith(ASSERTION_FILE)]
    assert "JWT" in line and "not a jwt" not in line, "the file's content is never echoed"


def test_only_serving_needs_a_credential():
    load_settings({"ZOOMCAL_DATABASE_URL": "sqlite+aiosqlite:///x.db"}, Purpose.DATABASE)


def test_serve_exits_2_naming_the_variables(tmp_path):
    token = tmp_path / "token"
    token.write_text(JWT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ZOOM", "MS_", "AZURE_"))}
    env |= MINIMAL | {ASSERTION_FILE: str(token), "ZOOMCAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/z.db"}
    result = subprocess.run([sys.executable, "-m", "bot.cli", "serve"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert any(SECRET in line and ASSERTION_FILE in line for line in result.stderr.splitlines())
    assert not (tmp_path / "z.db").exists(), "nothing created before the settings are known good"
