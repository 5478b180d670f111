"""river/downhill: a river that flows from a high source down to the sea or the map edge.

Depressions are filled by priority flood (Barnes et al. 2014): cells are visited from the
outlets (sea and map edge) inward in order of height, and each cell drains to the cell
that reached it. Following those links from any source never climbs on the filled
surface; in a filled depression the river crosses a flat lake.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from procgen.content import RiverPath
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten.fbm import FbmLandscape
from procgen.generators.registry import register
from procgen.seeding import child, make_rng

_D8 = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))


def drainage(height: np.ndarray, outlet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filled heights (H, W) and, per cell, the flat index it drains to (-1 at outlets).

    ``outlet`` (H, W) marks sea cells; the map border always drains off the edge. The
    compiled kernel gives the same result as :func:`drainage_reference`, bit for bit.
    """
    from procgen.generators.handwritten._drainage_kernels import priority_flood

    filled, parent, starts = _flood_start(height, outlet)
    priority_flood(filled.ravel(), parent, height.shape[0], height.shape[1], starts)
    return filled, parent


def drainage_reference(height: np.ndarray, outlet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`drainage` in plain Python: the readable definition the kernel is tested against."""
    rows, cols = height.shape
    filled, parent, starts = _flood_start(height, outlet)
    flat = filled.ravel()
    heap = [(flat[i], i) for i in starts.tolist()]
    heapq.heapify(heap)
    while heap:
        level, index = heapq.heappop(heap)
        r, c = divmod(index, cols)
        for dr, dc in _D8:
            rr, cc = r + dr, c + dc
            if 0 <= rr < rows and 0 <= cc < cols:
                neighbour = rr * cols + cc
                if parent[neighbour] == -2:
                    parent[neighbour] = index
                    flat[neighbour] = max(flat[neighbour], level)  # raise pits to the spill level
                    heapq.heappush(heap, (flat[neighbour], neighbour))
    return filled, parent


def _flood_start(height: np.ndarray, outlet: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(filled heights to raise, links: -1 at the outlets and border, -2 elsewhere, the start indices)."""
    filled = height.astype(np.float64).copy()
    parent = np.full(height.size, -2, dtype=np.int64)  # -2: not reached yet
    border = np.zeros(outlet.shape, dtype=bool)
    border[[0, -1], :] = border[:, [0, -1]] = True
    starts = np.flatnonzero(outlet | border)
    parent[starts] = -1
    return filled, parent, starts.astype(np.int64)


def trace(parent: np.ndarray, source: int) -> np.ndarray:
    """Flat indices from ``source`` along drainage links to an outlet."""
    path = [source]
    while parent[path[-1]] >= 0:
        path.append(int(parent[path[-1]]))
    return np.array(path, dtype=np.int64)


def pick_source(height: np.ndarray, rng: np.random.Generator, quantile: float) -> int:
    """A random cell among the highest ``1 - quantile`` share of the map."""
    candidates = np.flatnonzero(height.ravel() >= np.quantile(height, quantile))
    return int(rng.choice(candidates))


@dataclass(frozen=True, kw_only=True)
class DownhillConfig(GeneratorConfig):
    size: int = param(128, "cells per side of the landscape the river runs on", ge=8, le=1024)
    scale: float = param(48.0, "size of the largest terrain features, in cells", gt=0.0)
    octaves: int = param(5, "noise octaves of the terrain", ge=1, le=12)
    sea_level: float = param(0.4, "terrain height below which the river has reached the sea", ge=0.0, le=1.0)
    source_quantile: float = param(0.9, "the source is drawn from cells above this height quantile",
                                   ge=0.0, lt=1.0)


@register
class DownhillRiver(Generator[RiverPath]):
    """Rivers in grid coordinates: cell (row, col) is the point (col, size - 1 - row), north up."""

    name = "river/downhill"
    description = "a river from a high source flowing downhill (filled depressions) to the sea or edge"
    content_type = RiverPath
    Config = DownhillConfig
    config: DownhillConfig

    def terrain(self, stream: np.random.SeedSequence) -> np.ndarray:
        c = self.config
        landscape = FbmLandscape(width=c.size, height=c.size, scale=c.scale, octaves=c.octaves)
        return landscape._generate(child(stream, "terrain")).height

    def river_on(self, height: np.ndarray, stream: np.random.SeedSequence,
                 sea: np.ndarray | None = None) -> np.ndarray:
        """Cells (K, 2) as (row, col) of a river on ``height``, from source to the sea or edge.

        ``sea`` (H, W) marks the outlets; by default cells below ``sea_level``.
        """
        _, parent = drainage(height, height < self.config.sea_level if sea is None else sea)
        source = pick_source(height, make_rng(child(stream, "source")), self.config.source_quantile)
        return np.stack(np.divmod(trace(parent, source), height.shape[1]), axis=1)

    def _generate(self, stream: np.random.SeedSequence) -> RiverPath:
        height = self.terrain(stream)
        cells = self.river_on(height, stream)  # (K, 2) row, col
        if len(cells) < 2:  # the source sat on the map edge: step off the map
            row, col = cells[0]
            cells = np.array([[row, col], [row, col + (1 if col == 0 else -1)]])
        return RiverPath(np.stack([cells[:, 1], height.shape[0] - 1 - cells[:, 0]], axis=1))
