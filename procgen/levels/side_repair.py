"""Side-view repair: a platformer level made playable with few, local edits.

Broken pipes are completed first (:func:`~procgen.levels.pipes.complete_pipes`). Then,
while the goal is out of reach, the repair looks just past the rightmost column the
player can stand on and tries the edits a designer would make there:

- *fill a gap*: give the nearest pit column the level's ground (its usual ground depth);
- *lower a wall*: take off a column next to the frontier the blocks that stand higher
  than the player can jump (both halves of a pipe together; its body then gets a new top).

It keeps the edit that lets the player furthest right (fewest changed tiles on a tie) and
repeats. Each round moves the frontier right, so the repair ends; where no single edit
helps (a ceiling in the way, a goal high in the air), it clears a walkway on the ground
from the frontier to the goal. A playable level comes back unchanged.
"""

from __future__ import annotations

import numpy as np

from procgen.content import TileMap
from procgen.errors import ContentError
from procgen.levels.endpoints import endpoint_cells
from procgen.levels.jumps import Jump, reached_states
from procgen.levels.pipes import PipeRoles, complete_pipes, pipe_roles

_LOOKAHEAD = 2  # columns past the jump's reach that the edits may touch


class _Level:
    """The grid under repair and what the edits need to know about its tiles."""

    def __init__(self, level: TileMap, jump: Jump, floor_at_bottom: bool, passable: np.ndarray) -> None:
        self.tiles = np.array(level.tiles)
        self.passable = passable
        if self.passable.all() or not self.passable.any():
            raise ContentError("side-view repair needs a tileset with both air and solid tiles")
        self.roles: PipeRoles | None = pipe_roles(level.tileset)
        self.jump, self.floor_at_bottom = jump, floor_at_bottom
        self.air = self._most_common(self.passable)
        pipes = np.zeros(len(level.tileset), dtype=bool)
        if self.roles is not None:
            pipes[list(self.roles.ids)] = True
        self.ground = self._most_common(~self.passable & ~pipes, rows=slice(-1, None))
        self.depth = self._ground_depth()

    def _most_common(self, allowed: np.ndarray, rows: slice = slice(None)) -> int:
        counts = np.bincount(self.tiles[rows].ravel(), minlength=allowed.size) * allowed
        return int(np.argmax(counts)) if counts.any() else int(np.argmax(allowed))

    def _ground_depth(self) -> int:
        """The level's usual depth of ground, counted up from the bottom row (at least 1)."""
        solid = ~self.passable[self.tiles]
        depth = np.argmin(solid[::-1], axis=0)  # solid rows up from the bottom per column
        depth = np.where(solid.all(axis=0), solid.shape[0], depth)
        depth = depth[(depth > 0) & (depth < solid.shape[0])]
        return int(np.bincount(depth).argmax()) if depth.size else 1

    def frontier(self, tiles: np.ndarray, spawn: tuple[int, int], goal: tuple[int, int]) -> tuple[bool, int, int]:
        """(goal reached, rightmost column the player stands on, highest row it stands on there)."""
        states = reached_states(self.passable[tiles], spawn, self.jump, self.floor_at_bottom)
        standing = states[0]
        columns = np.flatnonzero(standing.any(axis=0))
        front = int(columns.max()) if columns.size else spawn[1]
        rows = np.flatnonzero(standing[:, front])
        return bool(states[:, goal[0], goal[1]].any()), front, int(rows.min()) if rows.size else spawn[0]

    def fill_gap(self, tiles: np.ndarray, col: int) -> np.ndarray | None:
        if not self.passable[tiles[-1, col]]:
            return None  # not a pit
        out = tiles.copy()
        out[-self.depth:, col] = self.ground
        return out

    def lower_wall(self, tiles: np.ndarray, col: int, stand_row: int) -> np.ndarray | None:
        """Column ``col`` with the blocks taken off that the player, standing at ``stand_row``,
        cannot jump over (a pipe top moves down with both halves)."""
        solid = ~self.passable[tiles[:, col]]
        lowest = stand_row - self.jump.height  # blocks at this row or above are too high
        rows = np.flatnonzero(solid[:max(0, lowest + 1)])
        if rows.size == 0:
            return None
        out = tiles.copy()
        cols = [col]
        if self.roles is not None:
            partner = {self.roles.top_left: 1, self.roles.left: 1, self.roles.top_right: -1, self.roles.right: -1}
            step = partner.get(int(tiles[rows[-1], col]))
            if step is not None and 0 <= col + step < tiles.shape[1]:
                cols.append(col + step)
        for c in cols:
            out[rows, c] = self.air
        return complete_pipes(out, self.roles, air=self.passable)

    def walkway(self, tiles: np.ndarray, start: int, goal: tuple[int, int]) -> np.ndarray:
        """Ground from ``start`` to the goal's column, with air above up to the goal's row."""
        out = tiles.copy()
        h = tiles.shape[0]
        lo, hi = min(start, goal[1]), max(start, goal[1]) + 1
        floor_row = min(goal[0] + 1, h - 1)
        out[floor_row:, lo:hi] = self.ground
        out[max(0, goal[0] - 1):floor_row, lo:hi] = self.air
        return out


def _candidates(fix: _Level, tiles: np.ndarray, front: int, stand_row: int) -> list[np.ndarray]:
    w = tiles.shape[1]
    reach = range(front + 1, min(w, front + fix.jump.across + _LOOKAHEAD))
    out = []
    pits = [c for c in reach if fix.passable[tiles[-1, c]]]
    if pits:
        out.append(fix.fill_gap(tiles, pits[0]))
    for col in range(front + 1, min(w, front + _LOOKAHEAD + 1)):
        out.append(fix.lower_wall(tiles, col, stand_row))
    return [c for c in out if c is not None]


def repair_side_view(level: TileMap, jump: Jump, floor_at_bottom: bool = False,
                     passable: np.ndarray | None = None) -> TileMap:
    """The level made playable by the module's edits (the same object when it already is).
    ``passable`` (T,) bool: the tiles the player moves through (default: the walkable ones)."""
    fix = _Level(level, jump, floor_at_bottom,
                 np.array([t.walkable for t in level.tileset]) if passable is None else passable)
    tiles = complete_pipes(fix.tiles, fix.roles, air=fix.passable)
    spawn, goal = level.spawn, level.goal
    if spawn is None or goal is None or not fix.passable[tiles[spawn]] or not fix.passable[tiles[goal]]:
        spawn, goal = endpoint_cells(fix.passable[tiles], "side-view")
        if spawn is None or goal is None:
            raise ContentError("side-view repair needs at least two air cells for spawn and goal")
    done, front, stand_row = fix.frontier(tiles, spawn, goal)
    while not done:
        tried = [(fix.frontier(c, spawn, goal)[:2], -int((c != tiles).sum()), i, c)
                 for i, c in enumerate(_candidates(fix, tiles, front, stand_row))]
        best = max(tried, key=lambda t: (t[0], t[1], -t[2]), default=None)
        if best is None or not (best[0][0] or best[0][1] > front):
            tiles = fix.walkway(tiles, front, goal)
        else:
            tiles = best[3]
        done, new_front, stand_row = fix.frontier(tiles, spawn, goal)
        if not done and new_front <= front:  # the walkway reaches the goal's column: stand it there
            tiles = fix.walkway(tiles, spawn[1], goal)
            if not (fix.passable[tiles[spawn]] and fix.passable[tiles[goal]]):  # buried: stand them on top
                spawn, goal = endpoint_cells(fix.passable[tiles], "side-view")
            done, new_front, stand_row = fix.frontier(tiles, spawn, goal)
            if not done:
                raise ContentError("side-view repair could not reach the goal")  # unreachable by design
        front = new_front
    if np.array_equal(tiles, level.tiles) and (spawn, goal) == (level.spawn, level.goal):
        return level
    return TileMap(tiles, level.tileset, spawn, goal)
