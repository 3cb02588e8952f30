from datetime import datetime, timezone

from bot.clients.http import RetryPolicy, retry_after_seconds

NOW = datetime(2026, 11, 24, 12, 0, 0, tzinfo=timezone.utc)


def test_retry_after_forms():
    assert retry_after_seconds("7", NOW) == 7
    assert retry_after_seconds("Tue, 24 Nov 2026 12:00:30 GMT", NOW) == 30
    assert retry_after_seconds("2026-11-24T12:01:00Z", NOW) == 60
    assert retry_after_seconds("2026-11-24T11:00:00Z", NOW) == 0
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_backoff_is_bounded():
    policy = RetryPolicy(base_delay=0.5, max_delay=2.0)
    assert all(0 <= policy.backoff(a) <= 2.0 for a in range(1, 20))
