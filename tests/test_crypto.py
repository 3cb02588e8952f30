import pytest

from bot.crypto import DecryptionError, Vault, generate_key


def test_round_trip_and_no_plaintext():
    vault = Vault([generate_key()])
    token = vault.encrypt_json({"tenant_id": "abc-123", "token_cache": "secret-token-value"})
    assert b"secret-token-value" not in token and b"abc-123" not in token
    assert vault.decrypt_json(token)["token_cache"] == "secret-token-value"


def test_rotation_first_key_encrypts_all_decrypt():
    old, new = generate_key(), generate_key()
    stored = Vault([old]).encrypt_json({"x": 1})
    rotated_vault = Vault([new, old])
    assert rotated_vault.decrypt_json(stored) == {"x": 1}
    fresh = rotated_vault.encrypt_json({"y": 2})
    assert Vault([new]).decrypt_json(fresh) == {"y": 2}
    with pytest.raises(DecryptionError):
        Vault([old]).decrypt_json(fresh)
    assert Vault([new]).decrypt_json(rotated_vault.rotate(stored)) == {"x": 1}


def test_wrong_key_is_a_clear_error():
    with pytest.raises(DecryptionError):
        Vault([generate_key()]).decrypt_json(Vault([generate_key()]).encrypt_json({}))


def test_transient_rows_are_sealed_and_rotate_with_the_keys():
    old, new = generate_key(), generate_key()
    sealed = Vault([old]).seal_transient(b'{"response_url":"https://hooks.slack.com/commands/secret"}')
    assert b"hooks.slack.com" not in sealed
    assert Vault([old]).seal_transient(b"same") != Vault([old]).seal_transient(b"same"), "a fresh nonce each time"
    rotated = Vault([new, old])
    assert rotated.open_transient(sealed).startswith(b'{"response_url"')
    with pytest.raises(DecryptionError):
        Vault([new]).open_transient(sealed)
    assert Vault([new]).open_transient(rotated.seal_transient(b"x")) == b"x", "the first key seals"


def test_transient_rows_written_as_fernet_tokens_still_open():
    key = generate_key()
    older = Vault([key]).encrypt_json({"n": 1})  # how queued jobs were sealed before
    assert Vault([key]).open_transient(older) == b'{"n":1}'
    with pytest.raises(DecryptionError):
        Vault([generate_key()]).open_transient(older)


def test_a_tampered_transient_row_is_refused():
    vault = Vault([generate_key()])
    sealed = bytearray(vault.seal_transient(b"payload"))
    sealed[-1] ^= 1
    with pytest.raises(DecryptionError):
        vault.open_transient(bytes(sealed))
