"""What a button click carries, and the job payload it becomes."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.domain import Actor
from handlers.errors import MalformedPayload
from handlers.replies import actor_data
from handlers.values import Shown, shown


@dataclass(frozen=True)
class Click:
    actor: Actor
    value: str
    trigger_id: str
    response_url: str

    @classmethod
    def read(cls, body: dict) -> Click:
        try:
            user = body["user"]
            team = body.get("team") or {}
            action = body["actions"][0]
            actor = Actor(str(team.get("id") or user.get("team_id") or ""), str(user["id"]))
            return cls(
                actor,
                str(action.get("value") or ""),
                str(body.get("trigger_id") or ""),
                str(body.get("response_url") or ""),
            )
        except (KeyError, IndexError, TypeError, AttributeError):
            raise MalformedPayload("block_actions") from None

    def scope(self) -> Shown:
        """The scope the button was shown for, and its version then."""
        return shown(self.value)

    def page(self) -> tuple[str, str, int]:
        """(listing, query, page) from a Next / Previous button."""
        try:
            data = json.loads(self.value)
            return str(data["listing"]), str(data.get("query") or ""), int(data["page"])
        except (ValueError, KeyError, TypeError, OverflowError):  # 1e999 is JSON for infinity
            raise MalformedPayload("page") from None

    def job(self) -> dict:
        """Checked before the ack (a malformed value is a 400), carried whole into the job."""
        return {
            "actor": actor_data(self.actor),
            "value": self.value,
            "trigger_id": self.trigger_id,
            "response_url": self.response_url,
        }

    @classmethod
    def from_job(cls, payload: dict) -> Click:
        data = payload["actor"]
        return cls(Actor(data["team_id"], data["user_id"]), payload["value"], payload["trigger_id"], payload["response_url"])
