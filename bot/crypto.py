"""Encryption at rest: MultiFernet so keys can rotate (first encrypts, all decrypt)."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DecryptionError(Exception):
    """Stored data could not be decrypted with any configured key."""


class Vault:
    def __init__(self, keys: tuple[str, ...] | list[str]):
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt_json(self, value: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(value, separators=(",", ":")).encode())

    def decrypt_json(self, token: bytes) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(token))
        except InvalidToken as exc:
            raise DecryptionError("stored credentials cannot be decrypted with the configured keys") from exc

    def seal(self, text: str) -> str:
        """A secret string as Fernet ciphertext (text), for string columns."""
        return self._fernet.encrypt(text.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise DecryptionError("a stored token cannot be decrypted with the configured keys") from exc

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the first key."""
        return self._fernet.rotate(token)


def generate_key() -> str:
    return Fernet.generate_key().decode()
