"""One error type for every outside service, naming the service so answers can too."""

from __future__ import annotations


class UpstreamError(Exception):
    """A call to Zoom, Microsoft or Slack failed after retries.

    ``message`` is safe to show an admin: it never holds a token or secret.
    """

    def __init__(self, service: str, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message
        self.status = status
        self.code = code
