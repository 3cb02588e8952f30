"""Refusals cost the caller nothing and us a lookup, an audit row and a post: keep that bounded.

Per user, on each replica: after ``LIMIT`` refusals within ``WINDOW`` seconds, further attempts
are refused at once, without asking Slack or Zoom and without another audit row. Audit-channel
posts are folded: the first refusal in a window is posted, the rest are counted and posted as
one line when the window ends. A user's refusals on several replicas are limited and folded on
each, so N replicas post at most N lines a minute for one user.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain import Actor

WINDOW = 60.0  # seconds: one audit post per refused user per minute, as the issue asks
LIMIT = 10  # refusals recorded per user per window: a person retrying a few times is never cut short


@dataclass
class _User:
    times: collections.deque  # when refusals were recorded, within the window
    posted_at: float = float("-inf")  # when the last audit post for them went out
    folded: int = 0  # refusals counted but not posted since


class Refusals:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, window: float = WINDOW, limit: int = LIMIT):
        self._clock = clock
        self._window = window
        self._limit = limit
        self._users: dict[tuple[str, str], _User] = {}

    def _user(self, actor: Actor) -> _User:
        now = self._clock()
        user = self._users.setdefault((actor.team_id, actor.user_id), _User(collections.deque()))
        while user.times and user.times[0] <= now - self._window:
            user.times.popleft()
        if len(self._users) > 10_000:  # forget users with nothing left to remember
            self._users = {k: u for k, u in self._users.items() if u.times or u.folded}
        return user

    def limited(self, actor: Actor) -> bool:
        """Refused too often lately: refuse again without a lookup or a record."""
        return len(self._user(actor).times) >= self._limit

    def record(self, actor: Actor) -> str:
        """Counts a refusal before it is written: "limited" (over the limit: not counted, write
        nothing), "post" (its audit post goes out now), "fold" (counted for the window's summary),
        or "summarize" (the first one folded: the caller schedules the summary)."""
        user = self._user(actor)
        if len(user.times) >= self._limit:
            return "limited"
        now = self._clock()
        user.times.append(now)
        if now - user.posted_at >= self._window and not user.folded:
            user.posted_at = now
            return "post"
        user.folded += 1
        return "summarize" if user.folded == 1 else "fold"

    def post_folded_in(self, actor: Actor) -> float:
        """Seconds until this user's folded refusals are due to be posted."""
        return max(0.0, self._users[(actor.team_id, actor.user_id)].posted_at + self._window - self._clock())

    def take_folded(self, actor: Actor) -> int:
        """The refusals folded since the last post (reset: the summary posting them counts as a post)."""
        user = self._users.get((actor.team_id, actor.user_id))
        if user is None or not user.folded:
            return 0
        folded, user.folded = user.folded, 0
        user.posted_at = self._clock()
        return folded
