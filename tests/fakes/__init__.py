"""Fake Slack, Zoom and Microsoft servers: real HTTP on 127.0.0.1 for tests and a sandbox."""

from tests.fakes.base import FakeServer, RecordedRequest
from tests.fakes.microsoft import FakeMicrosoft
from tests.fakes.slack import FakeSlack
from tests.fakes.tls import TLSMaterial, make_tls
from tests.fakes.zoom import FakeZoom

__all__ = ["FakeMicrosoft", "FakeServer", "FakeSlack", "FakeZoom", "RecordedRequest", "TLSMaterial", "make_tls"]
