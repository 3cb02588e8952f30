"""Logging that never prints a secret, as JSON lines carrying the request id of the flow.

A request id starts with each HTTP request (or Socket Mode envelope) and follows its flow:
into the jobs it queues, the Slack buttons and modals it sends (so a later click continues
it), the consent request it stores, and the Microsoft callback that completes it.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime, timezone

from aiohttp.abc import AbstractAccessLogger

_PATTERNS = [
    re.compile(r"xox[abposer]-[A-Za-z0-9-]+"),  # Slack tokens
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"(?i)((?:state|code|client_secret|token|access_token)=)[^&\s\"']+"),
]
# What every pattern above needs somewhere in the text: one scan clears most lines (the access
# log's above all) instead of one per pattern.
_MAYBE = re.compile(r"(?i)xox|xapp-|bearer|eyJ|=")


_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_WELL_FORMED_ID = re.compile(r"^[0-9a-f]{32}$")


def start_request() -> str:
    """A new request id for what runs in this context from now on."""
    request_id = os.urandom(16).hex()  # as random as uuid4, without building a UUID on every request
    _REQUEST_ID.set(request_id)
    return request_id


def follow(request_id: object) -> None:
    """Continue the flow of an earlier request (an id zoomcal issued and stored or sent to Slack)."""
    if isinstance(request_id, str) and _WELL_FORMED_ID.match(request_id):
        _REQUEST_ID.set(request_id)


def request_id() -> str | None:
    return _REQUEST_ID.get()


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        if not _MAYBE.search(text):
            return text
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "[redacted]", text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message or record.args:  # formatted once: the formatter reads it as is
            record.msg, record.args = redacted, None
        if record.exc_info:
            # A traceback can quote locals and URLs: keep the type and a redacted message only.
            exc = record.exc_info[1]
            record.msg = f"{record.getMessage()} ({type(exc).__name__}: {self.redact(str(exc))})"
            record.args, record.exc_info, record.exc_text = None, None, None
        record.request_id = _REQUEST_ID.get() or "-"  # for the text format
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log collectors (Loki, CloudWatch, Datadog) parse without rules."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": _REQUEST_ID.get(),  # null outside any request (upkeep, start-up)
        }
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure(
    secrets: Iterable[str], level: int = logging.INFO, stream=None, *, json_lines: bool = True
) -> logging.Handler:
    # Every Slack request writes an access line. Neither format shows the caller's file and line,
    # the thread or the process, so records skip looking them up (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    return handler


class AccessLogger(AbstractAccessLogger):
    """Access log without query strings: /microsoft/callback?state=… must not reach the log."""

    def log(self, request, response, time: float) -> None:
        self.logger.info(
            '%s "%s %s" %s %.1fms', request.remote, request.method, request.path, response.status, time * 1000
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
