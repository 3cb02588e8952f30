"""Queued-job payloads bound to their row (format b"\\x02"), next to the formats before it."""

import pytest

from bot.crypto import DecryptionError, Vault, generate_key, job_context


def test_a_bound_payload_opens_only_with_its_own_context():
    vault = Vault([generate_key()])
    sealed = vault.seal_transient(b'{"response_url":"https://hooks.slack.com/x"}', job_context("enable", 7))
    assert sealed[:1] == b"\x02" and b"hooks.slack.com" not in sealed
    assert vault.open_transient(sealed, b"enable:7") == b'{"response_url":"https://hooks.slack.com/x"}'
    for wrong in (job_context("enable", 8), job_context("disable", 7), b"", None):
        with pytest.raises(DecryptionError):
            vault.open_transient(sealed, wrong)


def test_rows_of_older_formats_open_whatever_the_context():
    vault = Vault([generate_key()])
    unbound = vault.seal_transient(b"old")  # how today's callers still seal
    assert unbound[:1] == b"\x01"
    assert vault.open_transient(unbound) == vault.open_transient(unbound, job_context("enable", 1)) == b"old"
    fernet = vault.encrypt_json({"n": 1})
    assert vault.open_transient(fernet, job_context("enable", 1)) == b'{"n":1}'


def test_bound_rows_rotate_with_the_keys():
    old, new = generate_key(), generate_key()
    sealed = Vault([old]).seal_transient(b"x", b"k:1")
    assert Vault([new, old]).open_transient(sealed, b"k:1") == b"x"
    with pytest.raises(DecryptionError):
        Vault([new]).open_transient(sealed, b"k:1")


def test_rotate_names_a_token_no_key_opens():
    with pytest.raises(DecryptionError):
        Vault([generate_key()]).rotate(Vault([generate_key()]).encrypt_json({}))
