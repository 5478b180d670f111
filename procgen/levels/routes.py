"""Route search on tile grids: the cheapest 4-neighbour route between two cells."""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra


def cheapest_route(passable: np.ndarray, cost: np.ndarray, start: tuple[int, int],
                   end: tuple[int, int]) -> np.ndarray:
    """Flat indices of the cheapest 4-connected route over ``passable`` cells (Dijkstra)."""
    rows, cols = passable.shape
    index = np.arange(rows * cols).reshape(rows, cols)
    sources, targets = [], []
    for a, b in ((index[:, :-1], index[:, 1:]), (index[:-1, :], index[1:, :])):
        both = passable.ravel()[a.ravel()] & passable.ravel()[b.ravel()]
        sources += [a.ravel()[both], b.ravel()[both]]
        targets += [b.ravel()[both], a.ravel()[both]]
    u, v = np.concatenate(sources), np.concatenate(targets)
    graph = coo_matrix((cost.ravel()[v], (u, v)), shape=(rows * cols,) * 2).tocsr()
    begin, finish = start[0] * cols + start[1], end[0] * cols + end[1]
    _, previous = dijkstra(graph, indices=begin, return_predecessors=True)
    route = [finish]
    while route[-1] != begin:
        route.append(int(previous[route[-1]]))
        if route[-1] < 0:
            raise RuntimeError("no route between spawn and goal on one landmass")  # a bug, never input
    return np.array(route[::-1], dtype=np.int64)
