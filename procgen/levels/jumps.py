"""The side-view jump model: where a platformer's player can go from its spawn.

Walkable tiles are *passable* (air), the others *solid*; a cell is *standable* when it is
passable and the cell below is solid (or, with ``floor_at_bottom``, it is on the bottom row).
Falling out of the map bottom loses, as in a pit.

Time runs in steps. On each step the player moves one column left, right or not at all,
and one row as its phase says:

- standing: walk one column (off a ledge it starts falling) or take off, rising one row;
- rising: up to ``jump_height`` rows in all; the player may stop rising at any row (or
  not rise at all, under a low ceiling);
- hanging: at the top of the arc, ``jump_across - 2 * jump_height`` steps at the same
  height, as a running jump carries the player along;
- falling: one row down per step, until it stands.

So on level ground a jump carries the player ``jump_across`` columns (a gap of
``jump_across - 1`` columns is crossed), a ledge ``jump_height`` rows high is climbed, and a
fall drifts one column per row. A diagonal step needs one of the two cells beside it
passable, so the player never slips between two blocks that touch at a corner. Enemies
and other non-walkable tiles count as solid: the player can stand on (stomp) them.

The defaults, a jump 5 rows high that carries 10 columns, are the smallest whole numbers
under which every real Super Mario Bros level that the Mario AI Framework's A* agent
finishes comes out playable (``benchmarks/bench_jump_model.py``,
``tests/test_jump_model_on_real_levels.py``): a 4-row jump stops short of a pipe the agent
clears in Lost Levels 4-2. Levels that need lifts or breaking bricks stay unplayable.

Reachability is one breadth-first search over (cell, phase) states, with the edges built
as whole-array masks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order

from procgen.errors import ParameterError

JUMP_HEIGHT = 5
JUMP_ACROSS = 10


@dataclass(frozen=True)
class Jump:
    """How high and how far the player jumps, in cells."""

    height: int = JUMP_HEIGHT
    across: int = JUMP_ACROSS

    def __post_init__(self) -> None:
        for name, value in (("jump_height", self.height), ("jump_across", self.across)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ParameterError(f"{name} must be an int >= 0 cells, got {value!r}")
        if self.across < 2 * self.height:
            raise ParameterError(f"jump_across must be at least 2 * jump_height = {2 * self.height}: a jump rises "
                                 f"and falls one row per column, got jump_across={self.across!r}")
        object.__setattr__(self, "height", int(self.height))
        object.__setattr__(self, "across", int(self.across))

    @property
    def hang(self) -> int:
        return self.across - 2 * self.height

    @property
    def phases(self) -> int:
        """stand, rise 1..height, hang 1..hang, fall."""
        return self.height + self.hang + 2


# The jump a generator asks of its own levels: a row lower and two columns shorter than the
# player's reach above. Reach says a level can be finished; designers leave a margin, and
# the A* agent, planning 40 ms a frame, misses jumps at the edge of its reach (20 levels of
# level/columns trained on real SMB: it finished 5 as drawn, 9 when they had to pass this jump).
COMFORT = Jump(4, 8)


def _shift(mask: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """out[r, c] = mask[r + dy, c + dx]; False where that lies outside."""
    h, w = mask.shape
    out = np.zeros_like(mask)
    if abs(dy) >= h or abs(dx) >= w:
        return out
    out[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)] = \
        mask[max(0, dy):h - max(0, -dy), max(0, dx):w - max(0, -dx)]
    return out


class _Graph:
    """Edges between (phase, row, col) states, indexed phase * H * W + row * W + col."""

    def __init__(self, passable: np.ndarray, floor_at_bottom: bool, jump: Jump) -> None:
        h, w = passable.shape
        self.fall_phase = jump.phases - 1
        self.shape = (h, w)
        self.passable = passable
        below = np.vstack([~passable[1:], np.full((1, w), floor_at_bottom)])
        self.standable = passable & below
        self.cells = np.arange(h * w).reshape(h, w)
        self.sources: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []

    def move(self, sources: np.ndarray, phase: int, dy: int, dx: int, to_phase: int | None) -> None:
        """Edges from ``phase`` at the cells of ``sources`` one step (dy, dx) to ``to_phase``
        (None: falling on, or standing where the target cell is standable)."""
        h, w = self.shape
        ok = sources & _shift(self.passable, dy, dx)
        if dy and dx:  # no slipping between two blocks that touch at a corner
            ok &= _shift(self.passable, dy, 0) | _shift(self.passable, 0, dx)
        if not ok.any():
            return
        src = self.cells[ok]
        dst = src + dy * w + dx
        stand_there = self.standable.ravel()[dst]
        size = h * w
        if to_phase is None:  # falling: stand where it can, fall on where it cannot
            self._add(phase * size + src, np.where(stand_there, 0, self.fall_phase) * size + dst)
            return
        self._add(phase * size + src, to_phase * size + dst)
        # In the air the player may land on any standable cell it passes.
        self._add(phase * size + src[stand_there], dst[stand_there])

    def _add(self, u: np.ndarray, v: np.ndarray) -> None:
        self.sources.append(u)
        self.targets.append(v)


def _build(graph: _Graph, jump: Jump) -> None:
    h, w = graph.shape
    everywhere = np.ones((h, w), dtype=bool)
    rise = list(range(1, jump.height + 1))
    hang = list(range(jump.height + 1, jump.height + jump.hang + 1))
    fall = graph.fall_phase
    stand = graph.standable
    for dx in (-1, 0, 1):
        if dx:
            graph.move(stand, 0, 0, dx, None)  # a walk; off a ledge it falls
        if rise:
            graph.move(stand, 0, -1, dx, rise[0])
        if hang:  # a jump that rises 0 rows (under a low ceiling) still carries the hang
            graph.move(stand, 0, 0, dx, hang[0])
        for k, phase in enumerate(rise):
            if k + 1 < len(rise):
                graph.move(everywhere, phase, -1, dx, rise[k + 1])
            if hang:
                graph.move(everywhere, phase, 0, dx, hang[0])
            graph.move(everywhere, phase, 1, dx, None)
        for j, phase in enumerate(hang):
            if j + 1 < len(hang):
                graph.move(everywhere, phase, 0, dx, hang[j + 1])
            graph.move(everywhere, phase, 1, dx, None)
        graph.move(everywhere, fall, 1, dx, None)


def reached_states(passable: np.ndarray, spawn: tuple[int, int], jump: Jump,
                   floor_at_bottom: bool = False) -> np.ndarray:
    """Boolean (phases, H, W): the states reachable from ``spawn`` (standing there, or
    falling if it is in mid-air). All False when the spawn is solid."""
    graph = _Graph(np.asarray(passable, dtype=bool), floor_at_bottom, jump)
    _build(graph, jump)
    h, w = graph.shape
    size = jump.phases * h * w
    reached = np.zeros(size, dtype=bool)
    if not graph.passable[spawn]:
        return reached.reshape(jump.phases, h, w)
    phase = 0 if graph.standable[spawn] else graph.fall_phase
    start = phase * h * w + spawn[0] * w + spawn[1]
    if graph.sources:
        u, v = np.concatenate(graph.sources), np.concatenate(graph.targets)
        edges = coo_matrix((np.ones(u.size, dtype=np.int8), (u, v)), shape=(size, size)).tocsr()
        reached[breadth_first_order(edges, start, directed=True, return_predecessors=False)] = True
    else:
        reached[start] = True
    return reached.reshape(jump.phases, h, w)


def reachable_cells(passable: np.ndarray, spawn: tuple[int, int], jump: Jump,
                    floor_at_bottom: bool = False) -> np.ndarray:
    """Boolean (H, W): every cell the player can pass through from ``spawn``."""
    return reached_states(passable, spawn, jump, floor_at_bottom).any(axis=0)


def standing_cells(passable: np.ndarray, spawn: tuple[int, int], jump: Jump,
                   floor_at_bottom: bool = False) -> np.ndarray:
    """Boolean (H, W): the cells the player can stand on from ``spawn``."""
    return reached_states(passable, spawn, jump, floor_at_bottom)[0]
