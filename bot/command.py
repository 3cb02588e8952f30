"""Parses `/zoomcal` text. Verbs are case-insensitive; a group name is the rest of the line."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

QUOTES = "\"'“”‘’„«»"
DEFAULT_AUDIT_COUNT = 20
MAX_AUDIT_COUNT = 200


class Verb(StrEnum):
    CONFIGURE = "configure"  # no text: the configuration modal
    HELP = "help"
    STATUS = "status"
    GROUPS = "groups"
    ENABLE = "enable"
    DISABLE = "disable"
    VERIFY = "verify"
    CHECK = "check"
    AUDIT = "audit"


@dataclass(frozen=True)
class Target:
    """`account`, or `group <name>` with the name as typed (unresolved).

    ``group_name`` is the name with its whitespace folded (for answers and the audit trail); ``spelled``
    keeps the characters as typed (a no-break space too), so a name typed exactly as Zoom spells it
    names that group; ``group_id`` is set when a button picked one group among several of that name.
    """

    group_name: str | None = None
    spelled: str | None = field(default=None, compare=False)
    group_id: str | None = field(default=None, compare=False)

    @property
    def typed(self) -> str:
        return self.spelled or self.group_name or ""

    @property
    def is_account(self) -> bool:
        return self.group_name is None


@dataclass(frozen=True)
class Command:
    verb: Verb
    target: Target | None = None
    text: str = ""  # the filter of `groups`
    count: int = DEFAULT_AUDIT_COUNT
    email: str = ""  # whom `check` asks about
    problem: str | None = None  # set when the text was not understood
    misnamed: str = ""  # what followed the verb, when it may be a group named without the word `group`


USAGE = {
    Verb.HELP: "/zoomcal help",
    Verb.STATUS: "/zoomcal status [account | group <name>]",
    Verb.GROUPS: "/zoomcal groups [<filter>]",
    Verb.ENABLE: "/zoomcal enable account | group <name>",
    Verb.DISABLE: "/zoomcal disable account | group <name>",
    Verb.VERIFY: "/zoomcal verify account | group <name>",
    Verb.CHECK: "/zoomcal check <email>",
    Verb.AUDIT: "/zoomcal audit [<count>]",
}
EXAMPLES = {  # one per verb, shown with its usage line when a command was not understood
    Verb.STATUS: "/zoomcal status group Sales",
    Verb.GROUPS: "/zoomcal groups sales",
    Verb.ENABLE: "/zoomcal enable group Sales",
    Verb.DISABLE: "/zoomcal disable account",
    Verb.VERIFY: "/zoomcal verify group Sales",
    Verb.CHECK: "/zoomcal check ann@example.com",
    Verb.AUDIT: "/zoomcal audit 50",
}


def clean_name(text: str) -> str:
    """Drops optional straight or curly quotes around a name and folds inner whitespace.

    Control characters go too: no Zoom group has them, and PostgreSQL refuses NUL.
    """
    if not (text.isascii() and text.isprintable()):  # most names are: they need no look at each character
        text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs"))
    name = " ".join(text.split())
    while len(name) >= 2 and name[0] in QUOTES and name[-1] in QUOTES:
        name = name[1:-1].strip()
    return name


def spelled_name(text: str) -> str:
    """A name as typed, for exact matching: outer whitespace and optional quotes go, the characters
    between them stay (control characters aside, as in ``clean_name``)."""
    if not (text.isascii() and text.isprintable()):
        text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cs"))
    name = text.strip()
    while len(name) >= 2 and name[0] in QUOTES and name[-1] in QUOTES:
        name = name[1:-1].strip()
    return name


def parse(text: str) -> Command:
    raw = (text or "").strip()
    text = " ".join(raw.split())
    if not text:
        return Command(Verb.CONFIGURE)
    word, _, rest = text.partition(" ")
    raw_rest = raw[len(raw.split(None, 1)[0]):].strip()
    try:
        verb = Verb(word.lower())
    except ValueError:
        return Command(Verb.HELP, problem=f"I don't know the command “{word}”.")
    if verb is Verb.CONFIGURE:
        return Command(Verb.HELP, problem=f"I don't know the command “{word}”.")
    if verb is Verb.HELP:
        return Command(verb)
    if verb is Verb.GROUPS:
        return Command(verb, text=clean_name(rest))
    if verb is Verb.AUDIT:
        return _audit(rest)
    if verb is Verb.CHECK:
        return _check(rest)
    target = _target(rest, raw_rest)
    if verb is Verb.STATUS and not rest:
        return Command(verb)
    if target is None:
        return _no_target(verb, rest)
    return Command(verb, target)


def _no_target(verb: Verb, rest: str) -> Command:
    word = rest.partition(" ")[0]
    if not rest:
        return Command(verb, problem=f"`{verb}` needs `account` or `group <name>`.")
    if word.lower() == "group":
        return Command(verb, problem="`group` needs the group's name.")
    if word.lower() == "account":
        return Command(verb, problem="`account` takes nothing after it.")
    shown = rest if len(rest) <= 80 else rest[:79] + "…"
    return Command(verb, problem=f"“{shown}” is neither `account` nor `group <name>`.", misnamed=clean_name(rest))


def _target(rest: str, raw_rest: str) -> Target | None:
    word, _, name = rest.partition(" ")
    if word.lower() == "account" and not name:
        return Target()
    if word.lower() == "group":
        name = clean_name(name)
        parts = raw_rest.split(None, 1)
        spelled = spelled_name(parts[1]) if len(parts) > 1 else ""
        return Target(name, spelled if spelled != name else None) if name else None
    return None


# One address: no spaces, one @, a dotted domain; nothing Slack could read as markup or a URL path could.
_EMAIL = re.compile(r"[^@\s<>|/\\?#%`*]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z0-9-]{2,63}")
_MAILTO = re.compile(r"<mailto:([^|>]*)(?:\|[^>]*)?>")  # Slack's form, should the command escape links


def _check(rest: str) -> Command:
    if not rest:
        return Command(Verb.CHECK, problem="`check` needs the Zoom user's email address.")
    email = _MAILTO.fullmatch(rest)
    email = email.group(1) if email else rest.strip(QUOTES + "<>")
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        shown = rest if len(rest) <= 80 else rest[:79] + "…"
        return Command(Verb.CHECK, problem=f"“{shown}” is not an email address.")
    return Command(Verb.CHECK, email=email)


def _audit(rest: str) -> Command:
    if not rest:
        return Command(Verb.AUDIT)
    if re.fullmatch(r"\d{1,6}", rest) and 1 <= int(rest) <= MAX_AUDIT_COUNT:
        return Command(Verb.AUDIT, count=int(rest))
    return Command(Verb.AUDIT, problem=f"The count is a whole number from 1 to {MAX_AUDIT_COUNT}.")
