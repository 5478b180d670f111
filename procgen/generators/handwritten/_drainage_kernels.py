"""Compiled (numba) priority flood behind procgen.generators.handwritten.downhill.drainage.

The same algorithm as the Python reference in ``downhill.py`` (Barnes et al. 2014), with
a binary heap of (level, index) pairs: ties break by the lower index, exactly as Python's
``heapq`` orders tuples, so both give the same filled heights and links, bit for bit.
"""

from __future__ import annotations

import heapq

import numpy as np
from numba import njit


@njit(cache=True)
def priority_flood(filled: np.ndarray, parent: np.ndarray, rows: int, cols: int, starts: np.ndarray) -> None:
    """Fill ``filled`` (H*W,) float64 in place and set ``parent`` (H*W,) int64 (-2 everywhere but
    the ``starts``, which hold -1): each cell's link to the cell that reached it."""
    heap = [(filled[i], np.int64(i)) for i in starts]
    heapq.heapify(heap)
    while heap:
        level, index = heapq.heappop(heap)
        r, c = index // cols, index % cols
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                rr, cc = r + dr, c + dc
                if (dr == 0 and dc == 0) or rr < 0 or rr >= rows or cc < 0 or cc >= cols:
                    continue
                neighbour = rr * cols + cc
                if parent[neighbour] == -2:
                    parent[neighbour] = index
                    filled[neighbour] = max(filled[neighbour], level)  # raise pits to the spill level
                    heapq.heappush(heap, (filled[neighbour], neighbour))
