"""Playability of tile levels: which cells the player can reach from spawn, and minimal repair.

Two views of a :class:`~procgen.content.TileMap`:

``"top-down"``
    The player moves between 4-neighbouring walkable tiles.

``"side-view"`` (a platformer)
    Walkable tiles are *passable* (air), non-walkable tiles are *solid*. A cell is
    *standable* when it is passable and the cell below is solid. Falling out of the map
    bottom loses (a pit, as in Mario); with ``floor_at_bottom=True`` the bottom edge counts
    as solid ground instead, for levels drawn without a ground row.
    From a standable cell the player makes one move: it rises ``h`` cells straight up
    (``0 <= h <= jump_height``, every cell on the way passable), glides ``dx`` cells
    sideways at that height (``|dx| <= jump_across``, every cell passable), then falls
    straight down until it stands. Walking one step is the move ``h = 0, dx = +-1``, and
    walking off a ledge falls. So a ledge ``jump_height`` high can be climbed and one
    cell higher cannot; a gap of ``jump_across - 1`` columns can be crossed and a gap of
    ``jump_across`` cannot (``dx`` counts columns moved, a gap of ``g`` needs ``g + 1``).
    A spawn in mid-air first falls. Reachable cells are every cell the player can pass
    through: standing cells, the arcs of the moves, and the falls.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from procgen.content import TileMap
from procgen.errors import ContentError, ParameterError
from procgen.levels.routes import cheapest_route

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


def _check_jump(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ParameterError(f"{name} must be an int >= 0 cells, got {value!r}")
    return int(value)


def _shift(mask: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """``mask`` moved by (rows, cols); cells shifted in from outside are False."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    if abs(rows) >= h or abs(cols) >= w:
        return out
    src_r = slice(max(0, -rows), h - max(0, rows))
    dst_r = slice(max(0, rows), h - max(0, -rows))
    src_c = slice(max(0, -cols), w - max(0, cols))
    dst_c = slice(max(0, cols), w - max(0, -cols))
    out[dst_r, dst_c] = mask[src_r, src_c]
    return out


def _runs(passable: np.ndarray, axis: int, reverse: bool) -> np.ndarray:
    """Consecutive passable cells from each cell along ``axis`` (itself included), 0 if solid."""
    arr = np.moveaxis(passable, axis, 0)
    if reverse:
        arr = arr[::-1]
    out = np.zeros(arr.shape, dtype=np.int64)
    run = np.zeros(arr.shape[1:], dtype=np.int64)
    for i in range(arr.shape[0]):  # one numpy step per row/column, vectorised across the other axis
        run = np.where(arr[i], run + 1, 0)
        out[i] = run
    if reverse:
        out = out[::-1]
    return np.moveaxis(out, 0, axis)


def _landing_rows(standable: np.ndarray, passable: np.ndarray) -> np.ndarray:
    """(H, W) row where a fall from each passable cell ends; -1 for solid cells and for
    falls out of the map."""
    h = passable.shape[0]
    land = np.full(passable.shape, -1, dtype=np.int64)
    land[h - 1] = np.where(standable[h - 1], h - 1, -1)
    for r in range(h - 2, -1, -1):  # bottom-up, so each row reuses the one below
        land[r] = np.where(standable[r], r, np.where(passable[r], land[r + 1], -1))
    return land


def _side_view_reachable(level: TileMap, jump_height: int, jump_across: int,
                         floor_at_bottom: bool) -> np.ndarray:
    passable = level.walkable_mask()
    h, w = passable.shape
    below = np.vstack([~passable[1:], np.full((1, w), floor_at_bottom)])
    standable = passable & below
    land = _landing_rows(standable, passable)
    up = _runs(passable, axis=0, reverse=False)  # passable cells from here upwards
    right = _runs(passable, axis=1, reverse=True)  # passable cells from here rightwards
    left = _runs(passable, axis=1, reverse=False)  # passable cells from here leftwards
    rows, cols = np.indices((h, w))
    index = rows * w + cols

    # Every move (rise h, glide dx) as edges from all standable cells at once.
    moves: list[tuple[int, int, np.ndarray]] = []  # (h, dx, sources mask)
    sources, targets = [], []
    for rise in range(jump_height + 1):
        top_ok = standable & (up >= rise + 1)  # (H, W): the rise is clear
        top_rows = rows - rise
        for dx in range(-jump_across, jump_across + 1):
            ok = top_ok.copy()
            top_r = np.clip(top_rows, 0, h - 1)
            run = right if dx >= 0 else left
            ok &= top_rows >= 0
            end_c = cols + dx
            ok &= (end_c >= 0) & (end_c < w)
            ok &= run[top_r, np.clip(cols, 0, w - 1)] >= abs(dx) + 1  # the glide is clear
            moves.append((rise, dx, ok))
            if not ok.any():
                continue
            landing = land[top_r[ok], end_c[ok]]
            alive = landing >= 0  # a move that ends in a pit leads nowhere
            sources.append(index[ok][alive])
            targets.append(landing[alive] * w + end_c[ok][alive])

    spawn = level.spawn
    start_row = int(land[spawn])
    reached = np.zeros((h, w), dtype=bool)
    if start_row < 0:  # the spawn falls straight into a pit
        reached[spawn[0]:, spawn[1]] = True
        return reached & passable
    start = start_row * w + spawn[1]
    if sources:
        u, v = np.concatenate(sources), np.concatenate(targets)
        graph = coo_matrix((np.ones(u.shape[0]), (u, v)), shape=(h * w,) * 2).tocsr()
        order = breadth_first_order(graph, start, directed=True, return_predecessors=False)
    else:
        order = np.array([start])
    stand = np.zeros(h * w, dtype=bool)
    stand[order] = True
    stand = stand.reshape(h, w)

    # Cells swept by the moves from reached standing cells: the rise and glide cells, ...
    reached |= stand
    for rise, dx, ok in moves:
        src = ok & stand
        if not src.any():
            continue
        for k in range(rise + 1):
            reached |= _shift(src, -k, 0)
        step = 1 if dx >= 0 else -1
        for j in range(0, dx + step, step):
            reached |= _shift(src, -rise, j)
    # ... then the falls: everything passable below a reached cell down to its landing.
    for r in range(1, h):
        reached[r] |= reached[r - 1] & passable[r] & ~standable[r - 1]
    # The spawn's own fall, in case it starts in mid-air.
    reached[spawn[0]:start_row + 1, spawn[1]] = True
    return reached & passable


def reachable(level: TileMap, *, view: str = "top-down", jump_height: int = 4,
              jump_across: int = 4, floor_at_bottom: bool = False) -> np.ndarray:
    """Boolean (H, W): cells the player can reach from spawn (all False without a spawn).

    ``jump_height``, ``jump_across`` and ``floor_at_bottom`` apply to ``view="side-view"``
    only (module docstring).
    """
    level = _check_level(level)
    _check_view(view)
    jump_height = _check_jump(jump_height, "jump_height")
    jump_across = _check_jump(jump_across, "jump_across")
    if level.spawn is None:
        return np.zeros(level.shape, dtype=bool)
    if view == "side-view":
        return _side_view_reachable(level, jump_height, jump_across, bool(floor_at_bottom))
    labels, _ = ndimage.label(level.walkable_mask())  # default structure: 4-neighbours
    return labels == labels[level.spawn]


def is_playable(level: TileMap, *, view: str = "top-down", jump_height: int = 4,
                jump_across: int = 4, floor_at_bottom: bool = False) -> bool:
    """True when the level has a spawn and a goal and the goal is reachable from spawn."""
    level = _check_level(level)
    _check_view(view)
    if level.spawn is None or level.goal is None:
        return False
    mask = reachable(level, view=view, jump_height=jump_height, jump_across=jump_across,
                     floor_at_bottom=floor_at_bottom)
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


def repair(level: TileMap, *, view: str = "top-down", floor: int | None = None) -> TileMap:
    """The level with the fewest tiles changed so that the goal is reachable (top-down).

    A playable level comes back unchanged (the same object). A missing spawn goes on the
    first walkable cell in row-major order, a missing goal on the last one (other than
    spawn); with no such cell, the top-left / bottom-right corner becomes ``floor``.
    Changed tiles become ``floor``: by default the most common walkable tile of the level.

    Top-down: the cheapest 4-neighbour route from spawn to goal, where entering a
    non-walkable tile costs 1 and a walkable one costs less than 1 / (H * W), so no
    detour over walkable tiles can outweigh one edit: the route has the fewest
    non-walkable tiles possible, and exactly those are turned into floor.
    Side-view repair is not implemented yet and raises ParameterError.
    """
    level = _check_level(level)
    _check_view(view)
    if view == "side-view":
        raise ParameterError("repair(view='side-view') is not implemented yet; "
                             "repair top-down levels, or check side-view ones with is_playable")
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
