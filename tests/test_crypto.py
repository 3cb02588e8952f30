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
