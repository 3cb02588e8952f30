"""One error type for every outside service, naming the service so answers can too.

Two kinds, for callers that must tell them apart (the health check):
- ``UpstreamError`` with ``definite`` False: the service could not be reached, timed out, or
  kept answering 429/5xx past the retries. Nothing is known; try later.
- ``Refusal`` (``definite`` True): the service answered, and the answer was no. The token
  endpoint refused (``code`` is the AADSTS code, e.g. "AADSTS7000229" when the app's service
  principal was removed from the tenant, or the OAuth error when no AADSTS code came), or Graph
  answered 401/403. Trying again gives the same answer until someone changes something.
"""

from __future__ import annotations


class UpstreamError(Exception):
    """A call to Zoom, Microsoft or Slack failed after retries.

    ``message`` is safe to show an admin: it never holds a token or secret. ``status`` is the
    last HTTP status (None when there was no answer); ``code`` the service's error code, if any.
    """

    definite = False

    def __init__(self, service: str, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message
        self.status = status
        self.code = code


class Refusal(UpstreamError):
    """The service answered with a definite no (see the module's docstring); ``code`` names it."""

    definite = True
