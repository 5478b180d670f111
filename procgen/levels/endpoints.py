"""Spawn and goal for generated tile grids: a fixed, documented placement rule.

Learned level models draw tiles only; where the player starts and ends is set by one rule
that every model (and every evaluation of a corpus) shares, so playability figures compare:

- top-down: spawn on the walkable cell nearest the middle of the west edge, goal on the
  walkable cell nearest the middle of the east edge (Euclidean distance in cells, ties
  broken in row-major order). A level is then playable when it can be crossed west to east.
- side-view: the same anchors on the bottom row (a platformer runs left to right), among
  standable cells (passable with solid below; the bottom edge is a pit) where there are
  any: in the real Super Mario Bros levels that is the ground at the left and right ends.

Tiles tagged ``spawn`` / ``goal`` (VGLC's ``S`` and ``G``) are markers, not terrain: models
never draw them; :func:`place_endpoints` writes them at the chosen cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from procgen.content import Tile, TileMap

Cell = tuple[int, int]


def marker_ids(tileset: Sequence[Tile], legend: Mapping[str, Any]) -> dict[str, int | None]:
    """Tile ids tagged ``spawn`` and ``goal`` in ``legend`` (None where the legend has none)."""
    tags = legend["tiles"]
    found: dict[str, int | None] = {"spawn": None, "goal": None}
    for index, tile in enumerate(tileset):
        for marker in found:
            if found[marker] is None and marker in tags.get(tile.char, ()):
                found[marker] = index
    return found


def _nearest(candidates: np.ndarray, anchor: tuple[float, float]) -> Cell | None:
    cells = np.argwhere(candidates)  # row-major, so argmin breaks ties in row-major order
    if cells.size == 0:
        return None
    distance = (cells[:, 0] - anchor[0]) ** 2 + (cells[:, 1] - anchor[1]) ** 2
    row, col = cells[int(np.argmin(distance))]
    return int(row), int(col)


def endpoint_cells(walkable: np.ndarray, view: str = "top-down") -> tuple[Cell | None, Cell | None]:
    """(spawn, goal) by the module's rule; None where the grid has no walkable cell."""
    h, w = walkable.shape
    candidates = walkable
    if view == "side-view":
        below = np.vstack([~walkable[1:], np.zeros((1, w), dtype=bool)])  # the bottom edge is a pit
        standable = walkable & below
        candidates = standable if standable.any() else walkable
        anchors = ((h - 1, 0.0), (h - 1, w - 1.0))
    else:
        anchors = (((h - 1) / 2, 0.0), ((h - 1) / 2, w - 1.0))
    spawn = _nearest(candidates, anchors[0])
    if spawn is None:
        return None, None
    others = candidates.copy()
    others[spawn] = False
    return spawn, _nearest(others, anchors[1])


def place_endpoints(tiles: np.ndarray, tileset: Sequence[Tile], legend: Mapping[str, Any],
                    view: str = "top-down") -> TileMap:
    """A TileMap of ``tiles`` (H, W) with spawn and goal placed by the rule; marker tiles
    (if the legend has them) are written at those cells."""
    grid = np.array(tiles, dtype=np.int32)
    walkable = np.array([t.walkable for t in tileset])[grid]
    spawn, goal = endpoint_cells(walkable, view)
    markers = marker_ids(tileset, legend)
    for cell, marker in ((spawn, markers["spawn"]), (goal, markers["goal"])):
        if cell is not None and marker is not None and tileset[marker].walkable:
            grid[cell] = marker
    return TileMap(grid, tileset, spawn, goal)


def strip_markers(tiles: np.ndarray, tileset: Sequence[Tile], legend: Mapping[str, Any],
                  floor: int) -> np.ndarray:
    """``tiles`` with spawn/goal marker tiles replaced by ``floor`` (training data for models)."""
    grid = np.array(tiles, copy=True)
    for marker in marker_ids(tileset, legend).values():
        if marker is not None:
            grid[grid == marker] = floor
    return grid
