"""A signed Slack body, bytes to payload, within cheap limits checked before any parser runs.

Bad bytes, runaway nesting and oversized forms are refused as Malformed (a 400), never left for a
parser to raise UnicodeDecodeError or RecursionError.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import NamedTuple
from urllib.parse import parse_qsl

MAX_DEPTH = 64  # Slack's payloads nest about a dozen levels (a modal's state values); json recurses
MAX_FIELDS = 64  # a slash command's form has about a dozen fields

_ESCAPE = re.compile(r"\\.", re.S)  # a backslash and what it escapes (in JSON, only inside strings)
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class Malformed(ValueError):
    """A correctly signed Slack request that zoomcal does not accept; the reason is short and names
    only fields zoomcal knows (never text from the request), so it can be answered and logged."""


class Body(NamedTuple):
    text: str
    payload: dict  # a slash command's form fields, or the JSON of an event or interaction
    form: bool  # the payload is a form's own fields (all strings)


def read(body: bytes, content_type: str) -> Body:
    """The JSON of an event (``application/json``) or of an interaction (a form's ``payload`` field),
    or a form's fields (a slash command), as Bolt would read them."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the body is not UTF-8") from None
    if content_type == "application/json" or text.startswith("{"):
        return Body(text, _json(text), form=False)
    fields = _form(text)
    if "payload" in fields:
        return Body(text, _json(fields["payload"]), form=False)
    return Body(text, fields, form=True)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON ``text`` nests arrays and objects deeper than ``limit``. Linear, and mostly in C:
    escapes go, then every byte but brackets and quotes; what lies between quotes is string text."""
    if text.count("[") + text.count("{") <= limit:
        return False
    structure = _ESCAPE.sub("", text).encode().translate(None, _NOT_STRUCTURE)
    brackets = b"".join(structure.split(b'"')[::2])
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def _json(text: str) -> dict:
    if too_deep(text):
        raise Malformed(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text)
    except ValueError:  # broken JSON, or an integer of more than 4,300 digits
        raise Malformed("broken JSON") from None
    if not isinstance(data, dict):
        raise Malformed("the payload is not a JSON object")
    return data


def _form(text: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:  # a %-escape that is not UTF-8
        raise Malformed("a form field is not UTF-8") from None
    except ValueError:
        raise Malformed(f"more than {MAX_FIELDS} form fields") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise Malformed("a form field is repeated")
    return fields
