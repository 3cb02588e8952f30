"""Slack's request signature (v0), checked on the raw bytes before anything is parsed.

slack_sdk's SignatureVerifier decodes the body as UTF-8 and int()s the timestamp header, so a body
that is not UTF-8, or a timestamp that is not a number, raised (a 500) instead of answering 401.
Here every malformed header is simply not a valid signature.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

MAX_AGE = 5 * 60  # seconds: older (or newer) signatures are refused, as Slack advises against replays
_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only (int() would take "١٢٣" or " 1_0 ")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SlackSignature:
    def __init__(self, signing_secret: str):
        self._key = signing_secret.encode()

    def valid(self, body: bytes, timestamp: str | None, signature: str | None, now: float | None = None) -> bool:
        if not (timestamp and signature and _TIMESTAMP.fullmatch(timestamp) and _SIGNATURE.fullmatch(signature)):
            return False
        if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE:
            return False
        digest = hmac.new(self._key, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(f"v0={digest}", signature)
