"""Playability checks for evaluation; the rules live in :mod:`procgen.levels.playability`
(below the generators, which repair their own levels with them)."""

from procgen.levels.playability import VIEWS, _check_view, is_playable, reachable, repair

__all__ = ["VIEWS", "_check_view", "is_playable", "reachable", "repair"]
