"""Pipes in side-view levels: find the broken ones and complete them.

A platformer's pipe is two columns wide: a top (``<`` ``>`` in VGLC's Super Mario Bros
legend) over body tiles (``[`` ``]``) that reach down to something solid. A pipe is
*broken* when one of its halves lacks the other, or when its body has air above or below
it: a body runs from a top to something solid (the ground, or a ceiling for the Lost
Levels' upside-down pipes). A top on its own is whole: the real levels have short pipes
that are only a top.

The four roles are read from the tile names, which :func:`~procgen.datasets.levels.build_tileset`
builds from the legend's tags (VGLC tags them ``top-left pipe``, ``top-right pipe``,
``left pipe`` and ``right pipe``); a tileset without all four has no pipes.

    >>> import numpy as np
    >>> from procgen.content import Tile
    >>> tiles = [Tile(n, (0, 0, 0), c, w) for n, c, w in [("air", "-", True), ("ground", "X", False),
    ...          ("top-left pipe", "<", False), ("top-right pipe", ">", False),
    ...          ("left pipe", "[", False), ("right pipe", "]", False)]]
    >>> roles = pipe_roles(tiles)
    >>> grid = np.array([[2, 0], [4, 5], [0, 0], [1, 1]])  # half a top; a body over air
    >>> broken_pipes(grid, roles, air=0)
    4
    >>> complete_pipes(grid, roles, air=0).tolist()
    [[2, 3], [4, 5], [4, 5], [1, 1]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from procgen.content import Tile


class PipeRoles(NamedTuple):
    """Tile ids of the four parts of a pipe."""

    top_left: int
    top_right: int
    left: int
    right: int

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(self)


_ROLE_TAGS = {"top_left": "top-left pipe", "top_right": "top-right pipe", "left": "left pipe", "right": "right pipe"}


def pipe_roles(tileset: Sequence[Tile]) -> PipeRoles | None:
    """The pipe parts of ``tileset`` by their tags, or None when it lacks any of the four."""
    found: dict[str, int] = {}
    for index, tile in enumerate(tileset):
        tags = set(tile.name.split("/"))
        for role, tag in _ROLE_TAGS.items():
            if tag in tags and role not in found and not tile.walkable:
                found[role] = index
    return PipeRoles(**found) if len(found) == len(_ROLE_TAGS) else None


def mirror_ids(tileset: Sequence[Tile]) -> np.ndarray:
    """(T,) the tile each tile becomes in a left-right mirror image: pipe halves swap sides, so a
    mirrored ``<>`` is still ``<>`` and not ``><``; every other tile stays itself."""
    table = np.arange(len(tileset))
    roles = pipe_roles(tileset)
    if roles is not None:
        for a, b in ((roles.top_left, roles.top_right), (roles.left, roles.right)):
            table[a], table[b] = b, a
    return table


def _right_of(grid: np.ndarray) -> np.ndarray:
    """(H, W) the tile right of each cell; -1 past the edge."""
    return np.concatenate([grid[:, 1:], np.full((grid.shape[0], 1), -1)], axis=1)


def _left_of(grid: np.ndarray) -> np.ndarray:
    return np.concatenate([np.full((grid.shape[0], 1), -1), grid[:, :-1]], axis=1)


def _below(grid: np.ndarray) -> np.ndarray:
    return np.concatenate([grid[1:], np.full((1, grid.shape[1]), -1)], axis=0)


def _above(grid: np.ndarray) -> np.ndarray:
    return np.concatenate([np.full((1, grid.shape[1]), -1), grid[:-1]], axis=0)


def _defects(grid: np.ndarray, roles: PipeRoles, air: np.ndarray) -> dict[str, np.ndarray]:
    """Boolean (H, W) masks of each kind of defect, marked on the pipe cell at fault."""
    pairs = ((roles.top_left, roles.top_right), (roles.left, roles.right))
    lone_left = np.zeros(grid.shape, dtype=bool)
    lone_right = np.zeros(grid.shape, dtype=bool)
    for left, right in pairs:
        lone_left |= (grid == left) & (_right_of(grid) != right)
        lone_right |= (grid == right) & (_left_of(grid) != left)
    body = np.isin(grid, (roles.left, roles.right))
    below, above = _below(grid), _above(grid)
    hanging = body & (below >= 0) & air[np.clip(below, 0, None)]
    topless = body & (above >= 0) & air[np.clip(above, 0, None)]
    return {"lone_left": lone_left, "lone_right": lone_right, "hanging": hanging, "topless": topless}


def _air_lookup(tileset_size: int, air: int | np.ndarray) -> np.ndarray:
    if isinstance(air, np.ndarray):
        return air
    lookup = np.zeros(tileset_size, dtype=bool)
    lookup[air] = True
    return lookup


def column_defects(columns: np.ndarray, roles: PipeRoles | None, *, air: int | np.ndarray) -> np.ndarray:
    """(V,) bool: which columns (V, H) hold a pipe body with air right above or below it, a
    defect no neighbouring column can mend."""
    if roles is None:
        return np.zeros(len(columns), dtype=bool)
    grid = np.asarray(columns).T  # (H, V): each column as it stands in a level
    lookup = _air_lookup(int(max(grid.max(), *roles.ids)) + 1, air)
    found = _defects(grid, roles, lookup)
    return (found["hanging"] | found["topless"]).any(axis=0)


def broken_pipes(tiles: np.ndarray, roles: PipeRoles | None, *, air: int | np.ndarray) -> int:
    """How many pipe cells are at fault (0 for a level whose pipes are all whole).

    ``air``: the id of the air tile, or a boolean lookup over tile ids (True = passable)."""
    if roles is None:
        return 0
    grid = np.asarray(tiles)
    lookup = _air_lookup(int(max(grid.max(), *roles.ids)) + 1, air)
    return int(sum(mask.sum() for mask in _defects(grid, roles, lookup).values()))


def complete_pipes(tiles: np.ndarray, roles: PipeRoles | None, *, air: int | np.ndarray) -> np.ndarray:
    """``tiles`` with every broken pipe completed by the fewest added parts: a lone half gets
    its partner, a body over air grows down to the ground, a topless body becomes a top."""
    grid = np.array(tiles, copy=True)
    if roles is None:
        return grid
    lookup = _air_lookup(int(max(grid.max(), *roles.ids)) + 1, air)
    pairs = ((roles.top_left, roles.top_right), (roles.left, roles.right))
    for left, right in pairs:  # partners first, so the growth below moves both halves
        defects = _defects(grid, roles, lookup)
        grid[:, 1:][defects["lone_left"][:, :-1] & (grid[:, :-1] == left)] = right
        defects = _defects(grid, roles, lookup)
        grid[:, :-1][defects["lone_right"][:, 1:] & (grid[:, 1:] == right)] = left
    for row in range(grid.shape[0] - 1):  # top-down, so a pipe grows all the way to the ground
        below = grid[row + 1]
        for body in (roles.left, roles.right):
            below[(grid[row] == body) & lookup[below]] = body
    topless = _defects(grid, roles, lookup)["topless"]
    grid[topless & (grid == roles.left)] = roles.top_left
    grid[topless & (grid == roles.right)] = roles.top_right
    return grid
