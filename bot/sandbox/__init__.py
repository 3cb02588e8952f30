"""Sandbox Slack, Zoom and Microsoft servers: real HTTP on 127.0.0.1.

They back `zoomcal console` (try the whole flow without any account) and the tests.
"""

from bot.sandbox.base import FakeServer, RecordedRequest
from bot.sandbox.microsoft import FakeMicrosoft
from bot.sandbox.slack import FakeSlack
from bot.sandbox.tls import TLSMaterial, make_tls
from bot.sandbox.zoom import FakeZoom

__all__ = ["FakeMicrosoft", "FakeServer", "FakeSlack", "FakeZoom", "RecordedRequest", "TLSMaterial", "make_tls"]
