"""Rivers of a tile map as polylines, for the object layer of a Tiled map.

A TileMap knows only tiles, so rivers are traced back from the cells of tiles named
``river`` (and ``bridge``, which sits on a river). Each 8-connected group of such cells
gives its longest path (a double sweep of shortest paths); cells far from every traced
path (a tributary, a second river crossing the first) are traced in turn and joined to the
nearest point already traced. Paths are thinned with Ramer-Douglas-Peucker to half a cell.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from procgen.content import TileMap

RIVER_TILE_NAMES = frozenset({"river", "bridge"})
MIN_CELLS = 4  # shorter groups are puddles, not rivers
TOLERANCE = 0.5  # cells: how far a thinned polyline may stray from the traced cells
_EIGHT = np.ones((3, 3), dtype=bool)
_OFFSETS = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if (dr, dc) > (0, 0)]


def river_mask(level: TileMap) -> np.ndarray:
    """Boolean (H, W): the cells of river (and bridge) tiles."""
    is_river = np.array([t.name in RIVER_TILE_NAMES for t in level.tileset])
    return is_river[level.tiles]


def river_polylines(level: TileMap) -> list[np.ndarray]:
    """Polylines (K, 2) of (row, col) cell indices along the rivers of ``level``."""
    mask = river_mask(level)
    if not mask.any():
        return []
    labels, count = ndimage.label(mask, structure=_EIGHT)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    lines: list[np.ndarray] = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is not None and sizes[index] >= MIN_CELLS:
            origin = np.array([box[0].start, box[1].start])
            lines += [line + origin for line in _trace(labels[box] == index)]
    return [_thin(line) for line in lines]


def _trace(component: np.ndarray) -> list[np.ndarray]:
    """Paths covering one connected group of cells (a boolean box), longest first."""
    cells = np.argwhere(component)
    lines = [_longest_path(cells)]
    width = len(cells) / len(lines[0])  # cells per step along the main course
    todo = _leftovers(component, lines, width)
    while todo:  # each round traces one far piece, so the far cells strictly shrink
        lines.append(_joined(_longest_path(np.argwhere(todo[0])), np.concatenate(lines)))
        todo = _leftovers(component, lines, width)
    return lines


def _leftovers(component: np.ndarray, lines: list[np.ndarray], width: float) -> list[np.ndarray]:
    """Groups of cells farther than the river's width from every traced path."""
    traced = np.zeros(component.shape, dtype=bool)
    traced[tuple(np.concatenate(lines).T)] = True
    far = component & (ndimage.distance_transform_edt(~traced) > width + 1.0)
    labels, count = ndimage.label(far, structure=_EIGHT)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    big = np.flatnonzero(sizes[1:] >= max(MIN_CELLS, 2 * width)) + 1
    return [labels == index for index in big]


def _longest_path(cells: np.ndarray) -> np.ndarray:
    """The cells (K, 2) of a longest shortest path through ``cells`` (8-neighbour steps)."""
    graph = _graph(cells)
    first = dijkstra(graph, indices=0)
    start = int(np.argmax(np.where(np.isfinite(first), first, -1.0)))
    distance, previous = dijkstra(graph, indices=start, return_predecessors=True)
    node = int(np.argmax(np.where(np.isfinite(distance), distance, -1.0)))
    order = [node]
    while previous[node] >= 0:  # one step per path cell, not per pixel
        node = int(previous[node])
        order.append(node)
    return cells[order[::-1]]


def _graph(cells: np.ndarray) -> csr_matrix:
    """Sparse 8-neighbour adjacency of ``cells`` (N, 2), weighted by step length."""
    span = cells.max(axis=0) + 3
    index = np.full(tuple(span), -1, dtype=np.int64)
    index[cells[:, 0] + 1, cells[:, 1] + 1] = np.arange(len(cells))
    rows, cols, weights = [], [], []
    for dr, dc in _OFFSETS:
        other = index[cells[:, 0] + 1 + dr, cells[:, 1] + 1 + dc]
        linked = other >= 0
        rows.append(np.flatnonzero(linked))
        cols.append(other[linked])
        weights.append(np.full(int(linked.sum()), np.hypot(dr, dc)))
    r, c, w = np.concatenate(rows), np.concatenate(cols), np.concatenate(weights)
    return csr_matrix((np.concatenate([w, w]), (np.concatenate([r, c]), np.concatenate([c, r]))),
                      shape=(len(cells), len(cells)))


def _joined(path: np.ndarray, traced: np.ndarray) -> np.ndarray:
    """``path`` extended at its end nearer the traced cells by the nearest traced cell."""
    gaps = [np.hypot(*(traced - end).T) for end in (path[0], path[-1])]
    if gaps[0].min() <= gaps[1].min():
        return np.concatenate([traced[[int(np.argmin(gaps[0]))]], path])
    return np.concatenate([path, traced[[int(np.argmin(gaps[1]))]]])


def _thin(line: np.ndarray) -> np.ndarray:
    """Ramer-Douglas-Peucker: the fewest points of ``line`` within TOLERANCE of it."""
    keep = np.zeros(len(line), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(line) - 1)]
    points = line.astype(np.float64)
    while stack:
        lo, hi = stack.pop()
        if hi - lo < 2:
            continue
        a, b = points[lo], points[hi]
        middle = points[lo + 1:hi]
        chord = b - a
        norm = float(np.hypot(*chord))
        offset = middle - a
        distance = (np.abs(chord[0] * offset[:, 1] - chord[1] * offset[:, 0]) / norm if norm > 0
                    else np.hypot(offset[:, 0], offset[:, 1]))
        worst = int(np.argmax(distance))
        if distance[worst] > TOLERANCE:
            split = lo + 1 + worst
            keep[split] = True
            stack += [(lo, split), (split, hi)]
    return line[keep]
