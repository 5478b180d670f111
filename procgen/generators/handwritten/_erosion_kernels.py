"""Compiled (numba) droplet erosion behind procgen.generators.handwritten.eroded.

Droplets run one after another, each on the terrain the previous ones left, exactly as
the algorithm is defined; the kernel is single-threaded on purpose, so the result is
bit-identical for any thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit

GRAVITY = 4.0
MIN_CAPACITY = 0.01  # lets a droplet on a gentle slope still carry a little


@njit(cache=True)
def _sample(height: np.ndarray, x: float, y: float) -> tuple[float, float, float]:
    """Bilinear height and its gradient (d/dx, d/dy) at (x, y); needs 0 <= x < W-1, 0 <= y < H-1."""
    ix, iy = int(x), int(y)
    ox, oy = x - ix, y - iy
    h00 = height[iy, ix]
    h10 = height[iy, ix + 1]
    h01 = height[iy + 1, ix]
    h11 = height[iy + 1, ix + 1]
    gx = (h10 - h00) * (1.0 - oy) + (h11 - h01) * oy
    gy = (h01 - h00) * (1.0 - ox) + (h11 - h10) * ox
    h = h00 * (1.0 - ox) * (1.0 - oy) + h10 * ox * (1.0 - oy) + h01 * (1.0 - ox) * oy + h11 * ox * oy
    return h, gx, gy


@njit(cache=True)
def _deposit(height: np.ndarray, x: float, y: float, amount: float) -> None:
    """Spread ``amount`` over the four cells around (x, y), bilinearly."""
    ix, iy = int(x), int(y)
    ox, oy = x - ix, y - iy
    height[iy, ix] += amount * (1.0 - ox) * (1.0 - oy)
    height[iy, ix + 1] += amount * ox * (1.0 - oy)
    height[iy + 1, ix] += amount * (1.0 - ox) * oy
    height[iy + 1, ix + 1] += amount * ox * oy


@njit(cache=True)
def _brush(radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells within ``radius``: offsets dx, dy and weights ``radius - distance`` (K,), summing to 1."""
    dxs, dys, weights = [], [], []
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            w = radius - np.sqrt(dx * dx + dy * dy)
            if w > 0.0:
                dxs.append(dx)
                dys.append(dy)
                weights.append(w)
    w = np.array(weights)
    return np.array(dxs), np.array(dys), w / w.sum()


@njit(cache=True)
def _erode_brush(height: np.ndarray, cx: int, cy: int, amount: float, radius: int,
                 dxs: np.ndarray, dys: np.ndarray, weights: np.ndarray) -> float:
    """Take up to ``amount`` from the brush cells around (cx, cy), weighted by closeness
    and never below zero; returns what was taken."""
    rows, cols = height.shape
    scale = 1.0
    if not (radius <= cx < cols - radius and radius <= cy < rows - radius):
        # Clipped by the map edge: share the amount among the cells that remain.
        inside = 0.0
        for k in range(weights.size):
            if 0 <= cx + dxs[k] < cols and 0 <= cy + dys[k] < rows:
                inside += weights[k]
        scale = 1.0 / inside
    taken = 0.0
    for k in range(weights.size):
        x, y = cx + dxs[k], cy + dys[k]
        if 0 <= x < cols and 0 <= y < rows:
            delta = min(height[y, x], amount * weights[k] * scale)
            height[y, x] -= delta
            taken += delta
    return taken


@njit(cache=True)
def erode(height: np.ndarray, starts: np.ndarray, lifetime: int, inertia: float, capacity: float,
          erosion: float, deposition: float, evaporation: float, radius: int) -> None:
    """Run one droplet per row of ``starts`` (N, 2: x, y) over ``height`` (H, W), in place.

    Each droplet rolls downhill with some inertia, picks up sediment where it speeds up
    (up to a capacity set by slope, speed and water) and drops it where it slows, fills
    pits or runs out of water; it stops at the map edge or on flat ground.
    """
    rows, cols = height.shape
    dxs, dys, weights = _brush(radius)  # (K,) each
    for d in range(starts.shape[0]):
        x, y = starts[d, 0], starts[d, 1]
        dir_x, dir_y = 0.0, 0.0
        speed, water, sediment = 1.0, 1.0, 0.0
        for _ in range(lifetime):
            h, gx, gy = _sample(height, x, y)
            dir_x = dir_x * inertia - gx * (1.0 - inertia)
            dir_y = dir_y * inertia - gy * (1.0 - inertia)
            length = np.sqrt(dir_x * dir_x + dir_y * dir_y)
            if length == 0.0:
                break  # flat ground: nowhere to flow
            dir_x /= length
            dir_y /= length
            old_x, old_y = x, y
            x += dir_x
            y += dir_y
            if not (0.0 <= x < cols - 1 and 0.0 <= y < rows - 1):
                break  # ran off the map, taking its sediment with it
            dh = _sample(height, x, y)[0] - h
            carry = max(-dh * speed * water * capacity, MIN_CAPACITY)
            if sediment > carry or dh > 0.0:
                # Uphill: fill the pit behind (at most its depth); else drop a share of the excess.
                amount = min(dh, sediment) if dh > 0.0 else (sediment - carry) * deposition
                sediment -= amount
                _deposit(height, old_x, old_y, amount)
            else:
                # Never dig deeper than the drop, or the droplet would carve a hole it falls into.
                amount = min((carry - sediment) * erosion, -dh)
                sediment += _erode_brush(height, int(old_x), int(old_y), amount, radius, dxs, dys, weights)
            speed = np.sqrt(max(0.0, speed * speed - dh * GRAVITY))
            water *= 1.0 - evaporation
