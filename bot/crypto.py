r"""Encryption at rest: MultiFernet so keys can rotate (first encrypts, all decrypt).

Short-lived rows (queued jobs) are sealed with AES-256-GCM under a key derived from each
Fernet key instead: every Slack ack writes one, and Fernet (AES-CBC, an HMAC and base64, new
cipher objects each time) costs several times as much. The same keys rotate both.

Transient formats, by their first byte:
- b"\x02": AES-GCM whose associated data binds a context (a job's kind and id, ``job_context``),
  so a payload copied onto another job row does not open there.
- b"\x01": AES-GCM without a context (``context=None``: what callers that pass none write,
  as older versions did).
- anything else: a Fernet token (the oldest rows).
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_TRANSIENT = b"\x01"  # format byte of sealed transient rows; Fernet tokens begin with "g"
_BOUND = b"\x02"  # format byte of transient rows bound to a context
_TRANSIENT_INFO = b"zoomcal transient rows v1"
_NONCE = 12


class DecryptionError(Exception):
    """Stored data could not be decrypted with any configured key."""


class Vault:
    def __init__(self, keys: tuple[str, ...] | list[str]):
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._transient = [AESGCM(_derive(k)) for k in keys]

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
        """A Fernet token re-encrypted under the first key (DecryptionError if no key opens it)."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise DecryptionError("stored data cannot be decrypted with the configured keys") from exc

    def seal_transient(self, plaintext: bytes, context: bytes | None = None) -> bytes:
        r"""Ciphertext for a row that lives minutes (a queued job): AES-GCM under the first key.

        With a ``context`` (``job_context(kind, id)``) the row opens only with that same context
        (format b"\x02"). Without one it is written as before (b"\x01"), for callers that do not
        know their row's id yet.
        """
        nonce = os.urandom(_NONCE)  # random, so equal plaintexts never share a ciphertext
        if context is None:
            return _TRANSIENT + nonce + self._transient[0].encrypt(nonce, plaintext, _TRANSIENT)
        return _BOUND + nonce + self._transient[0].encrypt(nonce, plaintext, _BOUND + context)

    def open_transient(self, sealed: bytes, context: bytes | None = None) -> bytes:
        r"""Opens a transient row under any configured key.

        A b"\x02" row opens only with the ``context`` it was sealed with; b"\x01" rows and Fernet
        tokens (older versions) open whatever the context.
        """
        sealed = bytes(sealed)
        if sealed.startswith(_BOUND):
            if context is None:
                raise DecryptionError("a queued job bound to its row was opened without its context")
            associated = _BOUND + context
        elif sealed.startswith(_TRANSIENT):
            associated = _TRANSIENT
        else:
            try:
                return self._fernet.decrypt(sealed)
            except InvalidToken as exc:
                raise DecryptionError("a queued job cannot be decrypted with the configured keys") from exc
        nonce, ciphertext = sealed[1:1 + _NONCE], sealed[1 + _NONCE:]
        for key in self._transient:
            try:
                return key.decrypt(nonce, ciphertext, associated)
            except InvalidTag:
                continue
        raise DecryptionError("a queued job cannot be decrypted with the configured keys (or with this context)")


def job_context(kind: str, job_id: int) -> bytes:
    """The context a queued job's payload is bound to: its kind and its row's id."""
    return f"{kind}:{job_id}".encode()


def _derive(fernet_key: str) -> bytes:
    """An AES-256 key of its own for transient rows, from a Fernet key (HKDF-SHA256)."""
    material = base64.urlsafe_b64decode(fernet_key)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_TRANSIENT_INFO).derive(material)


def generate_key() -> str:
    return Fernet.generate_key().decode()
