"""Playability of tile levels: which cells the player can reach from spawn, and minimal repair.

Two views of a :class:`~procgen.content.TileMap`:

``"top-down"``
    The player moves between 4-neighbouring walkable tiles.

``"side-view"`` (a platformer)
    Walkable tiles are air, the others solid; the player walks, jumps and falls as
    :mod:`procgen.levels.jumps` describes (a jump ``jump_height`` rows high that carries
    ``jump_across`` columns on level ground). Falling out of the map bottom loses, as in a
    pit; with ``floor_at_bottom=True`` the bottom edge counts as ground instead, for levels
    drawn without a ground row. ``air`` (a boolean per tile id) overrides which tiles the
    player moves through: a generator passes its enemies as air, since an enemy moves and
    falls and is no floor a designer can count on (the default, walkability, stands on them).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import ndimage

from procgen.content import TileMap
from procgen.errors import ContentError, ParameterError
from procgen.levels.jumps import JUMP_ACROSS, JUMP_HEIGHT, Jump, reachable_cells
from procgen.levels.routes import cheapest_route
from procgen.levels.side_repair import repair_side_view

View = Literal["top-down", "side-view"]
VIEWS: tuple[str, ...] = ("top-down", "side-view")


def _check_level(level: TileMap) -> TileMap:
    if not isinstance(level, TileMap):
        raise ContentError(f"expected a TileMap level, got {type(level).__name__}")
    return level


def _check_view(view: str) -> str:
    if view not in VIEWS:
        raise ParameterError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    return view


def side_air(level: TileMap, air: np.ndarray | None = None) -> np.ndarray:
    """(T,) bool: the tiles the side-view player moves through: ``air`` if given, else walkability."""
    if air is None:
        return np.array([t.walkable for t in level.tileset])
    out = np.asarray(air)
    if out.dtype != bool or out.shape != (len(level.tileset),):
        raise ParameterError(f"air must be one bool per tile of the level's {len(level.tileset)}-tile set, "
                             f"got {out.dtype} of shape {out.shape}")
    return out


def reachable(level: TileMap, *, view: str = "top-down", jump_height: int = JUMP_HEIGHT,
              jump_across: int = JUMP_ACROSS, floor_at_bottom: bool = False,
              air: np.ndarray | None = None) -> np.ndarray:
    """Boolean (H, W): cells the player can reach from spawn (all False without a spawn).

    ``jump_height``, ``jump_across``, ``floor_at_bottom`` and ``air`` apply to
    ``view="side-view"`` only (module docstring).
    """
    level = _check_level(level)
    _check_view(view)
    jump = Jump(jump_height, jump_across)
    if level.spawn is None:
        return np.zeros(level.shape, dtype=bool)
    if view == "side-view":
        return reachable_cells(side_air(level, air)[level.tiles], level.spawn, jump, bool(floor_at_bottom))
    labels, _ = ndimage.label(level.walkable_mask())  # default structure: 4-neighbours
    return labels == labels[level.spawn]


def is_playable(level: TileMap, *, view: str = "top-down", jump_height: int = JUMP_HEIGHT,
                jump_across: int = JUMP_ACROSS, floor_at_bottom: bool = False,
                air: np.ndarray | None = None) -> bool:
    """True when the level has a spawn and a goal and the goal is reachable from spawn."""
    level = _check_level(level)
    _check_view(view)
    if level.spawn is None or level.goal is None:
        return False
    mask = reachable(level, view=view, jump_height=jump_height, jump_across=jump_across,
                     floor_at_bottom=floor_at_bottom, air=air)
    return bool(mask[level.goal])


def _floor_id(level: TileMap, floor: int | None) -> int:
    walkable = np.array([t.walkable for t in level.tileset])
    if floor is not None:
        if isinstance(floor, bool) or not isinstance(floor, (int, np.integer)) or not 0 <= floor < len(walkable):
            raise ParameterError(f"floor must be a tile id in [0, {len(walkable)}), got {floor!r}")
        if not walkable[floor]:
            raise ParameterError(f"floor tile {level.tileset[floor].name!r} is not walkable")
        return int(floor)
    if not walkable.any():
        raise ContentError("the tileset has no walkable tile to repair the level with")
    counts = np.bincount(level.tiles.ravel(), minlength=len(walkable)) * walkable
    # With no walkable tile on the map, the first walkable tile of the tileset stands in.
    return int(np.argmax(counts)) if counts.any() else int(np.argmax(walkable))


def repair(level: TileMap, *, view: str = "top-down", floor: int | None = None,
           jump_height: int = JUMP_HEIGHT, jump_across: int = JUMP_ACROSS,
           floor_at_bottom: bool = False, air: np.ndarray | None = None) -> TileMap:
    """The level with few tiles changed so that the goal is reachable.

    Top-down: a playable level comes back unchanged (the same object). A missing spawn
    goes on the first walkable cell in row-major order, a missing goal on the last one
    (other than spawn); with no such cell, the top-left / bottom-right corner becomes
    ``floor``. Changed tiles become ``floor``: by default the most common walkable tile of
    the level. The edits are the cheapest 4-neighbour route from spawn to goal, where entering a
    non-walkable tile costs 1 and a walkable one costs less than 1 / (H * W), so no
    detour over walkable tiles can outweigh one edit: the route has the fewest
    non-walkable tiles possible, and exactly those are turned into floor.

    Side-view: broken pipes are completed, then gaps filled and walls lowered where the
    player gets stuck (:mod:`procgen.levels.side_repair`); a missing spawn and goal go
    by the side-view endpoint rule; ``floor`` does not apply. A playable level with whole
    pipes comes back unchanged.
    """
    level = _check_level(level)
    _check_view(view)
    if view == "side-view":
        return repair_side_view(level, Jump(jump_height, jump_across), bool(floor_at_bottom), side_air(level, air))
    if is_playable(level, view=view):
        return level
    fill = _floor_id(level, floor)
    tiles = np.array(level.tiles)
    h, w = tiles.shape
    walkable = level.walkable_mask()
    spawn, goal = level.spawn, level.goal
    cells = np.flatnonzero(walkable)
    if spawn is None:
        if cells.size:
            spawn = divmod(int(cells[0]), w)
        else:
            spawn = (0, 0)
            tiles[spawn] = fill
            walkable[spawn] = True
    if goal is None:
        others = cells[cells != spawn[0] * w + spawn[1]]
        if others.size:
            goal = divmod(int(others[-1]), w)
        else:
            goal = (h - 1, w - 1)
            if not walkable[goal]:
                tiles[goal] = fill
                walkable[goal] = True
    candidate = TileMap(tiles, level.tileset, spawn, goal)
    if is_playable(candidate, view=view):
        return candidate
    cost = np.where(walkable, 1.0 / (h * w + 1), 1.0)
    route = cheapest_route(np.ones_like(walkable), cost, spawn, goal)  # flat indices
    blocked = route[~walkable.ravel()[route]]
    tiles.ravel()[blocked] = fill
    return TileMap(tiles, level.tileset, spawn, goal)
