"""Top-down movement with collision, and a smoothed camera; pure numbers, no pygame.

Positions are in tile units: x is the column, y the row, and the centre of tile
(row, col) is (col + 0.5, row + 0.5). The player is a square of side ``2 * HALF``; it may
overlap only walkable tiles, and the map edge is a wall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

HALF = 0.3  # smaller than half a tile, so a one-tile road or bridge is wide enough
EPS = 1e-6
MAX_SUBSTEP = 0.25  # below HALF, so a fast frame can never tunnel through a thin wall


def blocked(walkable: np.ndarray, x: float, y: float) -> bool:
    """True when the player's square at (x, y) overlaps a non-walkable tile or the map edge."""
    rows, cols = walkable.shape
    c0, c1 = math.floor(x - HALF), math.floor(x + HALF - EPS)
    r0, r1 = math.floor(y - HALF), math.floor(y + HALF - EPS)
    if c0 < 0 or r0 < 0 or c1 >= cols or r1 >= rows:
        return True
    return not bool(walkable[r0:r1 + 1, c0:c1 + 1].all())


def _flush(value: float, delta: float) -> float:
    """Where the square stops against the tile edge it ran into along one axis."""
    if delta > 0:
        return math.floor(value + HALF) - HALF - EPS
    return math.floor(value - HALF) + 1 + HALF + EPS


def _assist(walkable: np.ndarray, x: float, y: float, delta: float, axis: int) -> tuple[float, float]:
    """Blocked along ``axis``: if the tile straight ahead of the centre is open, slide toward
    its centre line, so the player slips into a one-tile gap without pixel-perfect aim."""
    col, row = math.floor(x), math.floor(y)
    step = 1 if delta > 0 else -1
    ahead = (row, col + step) if axis == 0 else (row + step, col)
    rows, cols = walkable.shape
    if not (0 <= ahead[0] < rows and 0 <= ahead[1] < cols and walkable[ahead]):
        return x, y
    if axis == 0:
        target = row + 0.5
        ny = y + max(-abs(delta), min(abs(delta), target - y))
        return (x, ny) if not blocked(walkable, x, ny) else (x, y)
    target = col + 0.5
    nx = x + max(-abs(delta), min(abs(delta), target - x))
    return (nx, y) if not blocked(walkable, nx, y) else (x, y)


def _axis_move(walkable: np.ndarray, x: float, y: float, delta: float, axis: int,
               assist: bool) -> tuple[float, float]:
    nx, ny = (x + delta, y) if axis == 0 else (x, y + delta)
    if not blocked(walkable, nx, ny):
        return nx, ny
    if axis == 0:
        nx = _flush(nx, delta)
    else:
        ny = _flush(ny, delta)
    forward = (nx - x if axis == 0 else ny - y) * delta > 0
    if forward and not blocked(walkable, nx, ny):
        x, y = nx, ny
    return _assist(walkable, x, y, delta, axis) if assist else (x, y)


def move(walkable: np.ndarray, x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
    """(x, y) after trying to move by (dx, dy) tiles: axis by axis, in small substeps,
    stopping flush at walls. A start inside a wall (never happens in play) stays put."""
    steps = max(1, math.ceil(max(abs(dx), abs(dy)) / MAX_SUBSTEP))
    for _ in range(steps):
        if dx:
            x, y = _axis_move(walkable, x, y, dx / steps, 0, assist=not dy)
        if dy:
            x, y = _axis_move(walkable, x, y, dy / steps, 1, assist=not dx)
    return x, y


def nearest_open(walkable: np.ndarray, x: float, y: float) -> tuple[float, float]:
    """(x, y) itself when the player fits there, else the centre of the nearest walkable tile
    (straight-line distance; ties go to the first in row-major order, so it is deterministic).
    A map with no walkable tile leaves (x, y) as it is."""
    if not blocked(walkable, x, y):
        return x, y
    open_tiles = np.argwhere(walkable)
    if len(open_tiles) == 0:
        return x, y
    centres = open_tiles + 0.5  # (row, col) centres
    gaps = (centres[:, 0] - y) ** 2 + (centres[:, 1] - x) ** 2
    row, col = centres[int(np.argmin(gaps))]
    return float(col), float(row)


@dataclass
class Camera:
    """The view centre (tiles), easing toward a target: it covers 1 - exp(-stiffness * dt)
    of the gap each frame, the same feel at any frame rate."""

    x: float = 0.0
    y: float = 0.0
    stiffness: float = 6.0

    def snap(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def follow(self, x: float, y: float, dt: float) -> None:
        share = 1.0 - math.exp(-self.stiffness * max(dt, 0.0))
        self.x += (x - self.x) * share
        self.y += (y - self.y) * share

    def top_left(self, view: tuple[float, float], world: tuple[int, int]) -> tuple[float, float]:
        """Top-left tile coordinate (x, y) of a ``view`` (w, h) tiles window kept inside the
        ``world`` (cols, rows); a world smaller than the view is centred."""
        return (_clamp_axis(self.x, view[0], world[0]), _clamp_axis(self.y, view[1], world[1]))


def _clamp_axis(centre: float, span: float, size: int) -> float:
    if span >= size:
        return (size - span) / 2
    return min(max(centre - span / 2, 0.0), size - span)
