"""Zoom groups by name: case-insensitive lookup, and the closest names when there is no match."""

from __future__ import annotations

import difflib

from bot.clients.zoom import ZoomClient, ZoomGroup


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def closest(name: str, groups: list[ZoomGroup], limit: int = 5) -> tuple[str, ...]:
    folded = {_fold(g.name): g.name for g in groups}
    wanted = _fold(name)
    partial = [real for key, real in folded.items() if wanted and (wanted in key or key in wanted)]
    fuzzy = [folded[k] for k in difflib.get_close_matches(wanted, list(folded), n=limit, cutoff=0.5)]
    return tuple(dict.fromkeys(fuzzy + sorted(partial)))[:limit]


class GroupDirectory:
    def __init__(self, zoom: ZoomClient):
        self._zoom = zoom

    async def all(self) -> list[ZoomGroup]:
        return sorted(await self._zoom.groups(), key=lambda g: _fold(g.name))

    async def find(self, name: str) -> tuple[ZoomGroup | None, tuple[str, ...]]:
        """The group named ``name`` (any case), or None and the closest names."""
        groups = await self._zoom.groups()
        wanted = _fold(name)
        for group in groups:
            if _fold(group.name) == wanted:
                return group, ()
        return None, closest(name, groups)
