"""Prometheus metrics, served at /metrics. Labels are small fixed sets: never user text."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

REGISTRY = CollectorRegistry(auto_describe=True)

SLACK_REQUESTS = Counter(
    "zoomcal_slack_requests", "Slack requests by kind and HTTP status", ["kind", "status"], registry=REGISTRY
)
ACK_SECONDS = Histogram(
    "zoomcal_slack_ack_seconds",
    "Time from receiving a Slack request to answering it (the ack)",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
    registry=REGISTRY,
)
FLOWS = Counter(
    "zoomcal_flows", "Audited flow steps by action and outcome", ["action", "outcome"], registry=REGISTRY
)
OUTBOUND = Counter(
    "zoomcal_outbound_requests", "Calls to Zoom and Microsoft by service and status", ["service", "status"],
    registry=REGISTRY,
)
JOBS = Counter("zoomcal_jobs", "Jobs run after the ack, by kind and result", ["kind", "result"], registry=REGISTRY)
HEALTH_CHECKS = Counter(
    "zoomcal_health_checks",
    "Health checks this replica made, by result (passed, failed, inconclusive, undecryptable)",
    ["result"],
    registry=REGISTRY,
)
for _result in ("passed", "failed", "inconclusive", "undecryptable"):
    HEALTH_CHECKS.labels(_result)  # shown from the start, so alerts on increase() see the first one
MICROSOFT_CREDENTIAL_ERRORS = Counter(
    "zoomcal_microsoft_credential_errors",
    "Token requests Microsoft refused because of zoomcal's own credential, by the variable holding it",
    ["variable"],
    registry=REGISTRY,
)
SCOPES = Gauge(
    "zoomcal_scopes",
    "Configured scopes by the status they show (read at scrape time; undecryptable credentials show failed)",
    ["status"],
    registry=REGISTRY,
)
DATABASE_UP = Gauge(
    "zoomcal_database_up",
    "1 when the database answers, 0 while it cannot be reached (checked at scrape time)",
    registry=REGISTRY,
)

CONTENT_TYPE = CONTENT_TYPE_LATEST

_ACKED: dict[tuple[str, int], tuple] = {}  # (kind, status) → its counter and histogram children


def acked(kind: str, status: int, seconds: float) -> None:
    """Counts a Slack request and times its ack. Every ack calls this: the children are looked up
    once per kind and status (labels() validates and locks on every call)."""
    children = _ACKED.get((kind, status))
    if children is None:
        children = _ACKED[(kind, status)] = (SLACK_REQUESTS.labels(kind, str(status)), ACK_SECONDS.labels(kind))
    children[0].inc()
    children[1].observe(seconds)


def render(scopes: dict[str, int] | None = None, database_up: bool | None = None) -> bytes:
    """The metrics; ``scopes``: configured scopes by status, counted for this scrape;
    ``database_up``: whether the database answered this scrape's check."""
    if database_up is not None:
        DATABASE_UP.set(1 if database_up else 0)
    for status, count in (scopes or {}).items():
        SCOPES.labels(status).set(count)
    return generate_latest(REGISTRY)


def slack_kind(body: dict | None) -> str:
    if not isinstance(body, dict):
        return "malformed"
    if "command" in body:
        return "command"
    kind = body.get("type")
    return kind if kind in ("view_submission", "block_actions", "block_suggestion", "event_callback", "view_closed") else "other"
