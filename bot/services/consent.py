"""Consent state: random, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

STATE_BYTES = 32  # 256 random bits; the contract asks for at least 128
MAX_STATE_LENGTH = 256


def new_state() -> str:
    return secrets.token_urlsafe(STATE_BYTES)


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def plausible_state(state: str | None) -> bool:
    return bool(state) and len(state) <= MAX_STATE_LENGTH and state.isascii() and state.isprintable()
