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
import time
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import datetime, timezone

from aiohttp.abc import AbstractAccessLogger

# Token shapes and what replaces them. Each starts with a literal (the regex engine
# finds those with a fast search), looks behind only after it, and uses possessive quantifiers, so
# nothing makes it backtrack: a line costs time linear in its length. (A JWT pattern that retried at
# every "eyJ" of a run once let one 8 KB request path take 40 ms of the event loop.)
_SHAPES = [
    (re.compile(r"xox[abposer]-[A-Za-z0-9-]++"), "[redacted]"),  # Slack tokens
    (re.compile(r"xapp-[A-Za-z0-9-]++"), "[redacted]"),
    (re.compile(r"((?:[Bb]earer|BEARER)\s++)[A-Za-z0-9._~+/=-]++"), r"\1[redacted]"),
    (re.compile(r"eyJ(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]++\.[A-Za-z0-9_-]*+"), "[redacted]"),  # JWTs
    (  # state=, code=, token= (access_token= too), client_secret=
        re.compile(r"=(?:(?<=(?i:state)=)|(?<=(?i:code)=)|(?<=(?i:token)=)|(?<=(?i:client_secret)=))[^&\s\"']++"),
        "=[redacted]",
    ),
    # response_url (https://hooks.slack.com/commands/T…/…/…, or …/actions/…): a capability to post in
    # a channel. Plain, percent-encoded (a form body) or JSON-escaped.
    (re.compile(r"((?:/|%2[Ff]|\\/)(?:commands|actions)(?:/|%2[Ff]|\\/))[A-Za-z0-9%/\\_.~-]++"), r"\1[redacted]"),
]
# What some shape above needs somewhere in the text: a few substring searches clear most lines (the
# access log's above all) without running the patterns.
_TRIGGERS = ("=", "xox", "xapp-", "earer", "EARER", "eyJ", "commands", "actions")
# Past this many characters a message is cut (at a word boundary, so no secret is left half-shown)
# rather than scanned: a hostile request cannot make a line cost more than this.
MAX_MESSAGE = 4096
_WORD_ENDS = " \t\n\"'&,;"
# Control characters (line breaks above all) and bidirectional overrides are written escaped, so
# text from outside (a request path with %0a, an exception message) cannot forge or disguise a line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {
    c: f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"
    for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def _capped(text: str, limit: int = MAX_MESSAGE) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    end = max(cut.rfind(c) for c in _WORD_ENDS) + 1  # a token cut in two is dropped whole
    return f"{cut[:end]}… [{len(text) - end} characters dropped]"


def printable(text: str) -> str:
    """``text`` with control characters escaped (\\x0a for a newline): one log line stays one line."""
    return text.translate(_ESCAPES) if _CONTROL.search(text) else text


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
        """``text`` capped, without secrets or token shapes, on one line."""
        text = _capped(text)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        if any(trigger in text for trigger in _TRIGGERS):
            for pattern, replacement in _SHAPES:
                text = pattern.sub(replacement, text)
        return printable(text)

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
    global _ACCESS
    # Neither format shows the caller's file and line, the thread or the process, so records skip
    # looking them up (the logging HOWTO's "Optimization").
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT))
    redacting = RedactingFilter(secrets)
    handler.addFilter(redacting)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic names each of its built-in plugins at INFO as it loads them: seven lines of every start.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(level, logging.WARNING))
    _ACCESS = _AccessLines(handler, redacting, json_lines)
    return handler


class _AccessLines:
    """Access lines written straight to the configured handler's stream, in its format.

    Every Slack request writes one, and the logging machinery (a record, a filter, a formatter, a
    dict for json.dumps, an ISO time) cost as much as a fifth of an ack's CPU (measured by taking it
    out of `zoomcal serve`: 53 µs of 390 per `/zoomcal status`). The line is the same: redacted
    once, control characters escaped, under the handler's lock so lines never interleave.
    """

    def __init__(self, handler: logging.StreamHandler, redacting: RedactingFilter, json_lines: bool):
        self._handler = handler
        self._redact = redacting.redact
        self.json = self._json = json_lines
        self._second = -1
        self._stamp = ""

    def _time(self, now: float) -> str:
        second = int(now)
        if second != self._second:  # formatting a time is the costly part of a line: once a second
            self._second = second
            if self._json:
                self._stamp = datetime.fromtimestamp(second, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            else:  # as logging.Formatter's asctime: local time
                self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        millis = int((now - second) * 1000)
        return f"{self._stamp}.{millis:03d}+00:00" if self._json else f"{self._stamp},{millis:03d}"

    def live(self) -> bool:
        """Still the handler logging writes to (tests and the console configure it again)."""
        return self._handler in logging.root.handlers

    def write(self, message: str, *, plain: bool = False) -> None:
        """``plain``: the message is known to be printable ASCII without quotes, backslashes or secrets
        (a route's own path), so it needs no redaction or JSON escaping."""
        stamp = self._time(time.time())
        request = _REQUEST_ID.get()
        if not plain:
            message = self._redact(message)
        if self._json:
            text = f'"{message}"' if plain else json.dumps(message, ensure_ascii=False)
            request_text = f'"{request}"' if request else "null"  # 32 hex digits, or none
            line = (
                f'{{"time": "{stamp}", "level": "info", "logger": "aiohttp.access", '
                f'"message": {text}, "request_id": {request_text}}}\n'
            )
        else:
            line = f"{stamp} INFO aiohttp.access [{request or '-'}]: {message}\n"
        handler = self._handler
        handler.acquire()
        try:
            handler.stream.write(line)
            handler.flush()
        except Exception:
            handler.handleError(logging.makeLogRecord({"msg": message}))
        finally:
            handler.release()


_ACCESS: _AccessLines | None = None  # set by configure(): before it, access lines go through logging


MAX_PATH = 1024  # a longer request path is cut, so its access line still shows the status and time
# zoomcal's own routes (bot.app): their paths are written as they are. tests/test_log_safety.py checks
# this list against the routes the app serves.
ROUTES = frozenset(
    {"/slack/events", "/slack/install", "/slack/oauth_redirect", "/microsoft/callback", "/healthz", "/readyz", "/metrics"}
)


class AccessLogger(AbstractAccessLogger):
    """Access log without query strings: /microsoft/callback?state=… must not reach the log.

    The path is the one part a client chooses: it is cut to MAX_PATH, its quotes and backslashes are
    escaped (the line's quoting stays unambiguous) and, like every message, it is redacted once and
    its control characters escaped by the filter.
    """

    def log(self, request, response, time: float) -> None:
        path = request.path
        if path in ROUTES and _ACCESS is not None and self.logger.name == "aiohttp.access" and _ACCESS.live():
            # A route's own path (every Slack request's): nothing to cut, escape or redact. The line is
            # JSON already, so its quotes around the request are escaped in place.
            quote = '\\"' if _ACCESS.json else '"'
            _ACCESS.write(
                f"{request.remote} {quote}{request.method} {path}{quote} {response.status} {time * 1000:.1f}ms",
                plain=True,
            )
            return
        path = _capped(path, MAX_PATH)
        if '"' in path or "\\" in path:
            path = path.replace("\\", "\\\\").replace('"', '\\"')
        message = f'{request.remote} "{request.method} {path}" {response.status} {time * 1000:.1f}ms'
        if _ACCESS is not None and self.logger.name == "aiohttp.access" and _ACCESS.live():
            _ACCESS.write(message)
        else:
            self.logger.info("%s", message)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
