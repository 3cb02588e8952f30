"""The tests' fake Slack, Zoom and Microsoft servers: the sandbox that `zoomcal console` runs on."""

from bot.sandbox import (
    FakeMicrosoft,
    FakeServer,
    FakeSlack,
    FakeZoom,
    RecordedRequest,
    TLSMaterial,
    make_tls,
)

__all__ = ["FakeMicrosoft", "FakeServer", "FakeSlack", "FakeZoom", "RecordedRequest", "TLSMaterial", "make_tls"]
