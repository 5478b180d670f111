"""Metrics for sets of tile levels: tile-pattern KL, playability, diversity, novelty,
expressive range, and the independent-tiles baseline.

A level is a :class:`~procgen.content.TileMap` or a bare (H, W) int array of tile ids;
only the ids are compared, so both sets must share one tileset numbering.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple, Sequence, Union

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image, ImageDraw
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from procgen.content import TileMap
from procgen.errors import ContentError, ParameterError
from procgen.evaluate.playability import _check_view, is_playable
from procgen.fileio import atomic_write

Level = Union[TileMap, np.ndarray]


class PatternKL(NamedTuple):
    """KL(reference || generated) in nats per pattern size, and their mean."""

    per_size: dict[int, float]
    mean: float


class LevelNovelty(NamedTuple):
    """Per level: the normalised Hamming distance to the nearest training window; and the
    share of levels that are exact copies of one."""

    nearest: np.ndarray  # (N,) float64 in [0, 1]
    copy_share: float


class ExpressiveRange(NamedTuple):
    """Per level: ``density`` (share of non-walkable tiles) and ``linearity`` (see
    :func:`expressive_range`)."""

    density: np.ndarray  # (N,) float64
    linearity: np.ndarray  # (N,) float64, NaN where undefined


def _tiles(level: Level, name: str = "level") -> np.ndarray:
    grid = level.tiles if isinstance(level, TileMap) else np.asarray(level)
    if grid.dtype.kind not in "iu" or grid.ndim != 2 or min(grid.shape) < 1:
        raise ContentError(f"{name} must be a TileMap or a non-empty (H, W) int array, "
                           f"got {getattr(grid, 'dtype', None)} of shape {getattr(grid, 'shape', None)}")
    if grid.size and grid.min() < 0:
        raise ContentError(f"{name} has negative tile ids")
    return grid.astype(np.int64, copy=False)


def _levels(levels: Sequence[Level], name: str) -> list[np.ndarray]:
    if isinstance(levels, (TileMap, np.ndarray)) and not (isinstance(levels, np.ndarray) and levels.ndim == 3):
        raise ParameterError(f"{name} must be a sequence of levels, got one level")
    grids = [_tiles(level, f"{name}[{i}]") for i, level in enumerate(levels)]
    if not grids:
        raise ParameterError(f"{name} is empty: need at least one level")
    return grids


def _tilemaps(levels: Sequence[TileMap], what: str) -> list[TileMap]:
    """``levels`` as a non-empty list of TileMaps; ``what`` names the caller in errors."""
    items = list(levels)
    if not items:
        raise ParameterError("levels is empty: need at least one level")
    if not all(isinstance(level, TileMap) for level in items):
        raise ContentError(f"{what} needs TileMap levels (with a tileset, spawn and goal)")
    return items


def _same_shape(grids: list[np.ndarray], name: str) -> np.ndarray:
    shapes = {g.shape for g in grids}
    if len(shapes) != 1:
        raise ParameterError(f"{name} must all have one shape, got {sorted(shapes)}")
    return np.stack(grids)  # (N, H, W)


def _windows(grids: list[np.ndarray], k: int) -> np.ndarray:
    """(M, k*k) int64: every k x k window of every level (levels smaller than k give none)."""
    parts = [sliding_window_view(g, (k, k)).reshape(-1, k * k) for g in grids if min(g.shape) >= k]
    return np.concatenate(parts) if parts else np.zeros((0, k * k), dtype=np.int64)


def _pattern_ids(rows: np.ndarray, base: int) -> np.ndarray:
    """(M,) int ids, equal exactly when the rows are equal."""
    k2 = rows.shape[1]
    if k2 * np.log2(max(base, 2)) < 62:
        # Base-`base` digits fit in int64: a positional key is exact and cheap.
        return rows @ (base ** np.arange(k2, dtype=np.int64))
    _, inverse = np.unique(rows, axis=0, return_inverse=True)
    return inverse.reshape(-1)


def pattern_kl(generated: Sequence[Level], reference: Sequence[Level], sizes: Sequence[int] = (2, 3, 4),
               epsilon: float = 1e-6) -> PatternKL:
    """Tile-pattern KL divergence KL(reference || generated), per k x k pattern size and mean.

    Each distribution counts every k x k window; both are smoothed by adding ``epsilon`` to
    the count of every pattern seen in either set, then normalised, so a reference pattern
    the generator never makes costs a large but finite amount.
    """
    gen, ref = _levels(generated, "generated"), _levels(reference, "reference")
    eps = float(epsilon)
    if not (np.isfinite(eps) and eps > 0):
        raise ParameterError(f"epsilon must be a finite number > 0, got {epsilon!r}")
    size_list = list(sizes)
    if not size_list or any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in size_list):
        raise ParameterError(f"sizes must be a non-empty list of ints >= 1, got {sizes!r}")
    base = int(max(g.max() for g in gen + ref)) + 1
    per_size: dict[int, float] = {}
    for k in dict.fromkeys(int(k) for k in size_list):
        ref_rows, gen_rows = _windows(ref, k), _windows(gen, k)
        if not len(ref_rows) or not len(gen_rows):
            raise ParameterError(f"pattern size {k} is larger than every level in one of the sets")
        keys = _pattern_ids(np.concatenate([ref_rows, gen_rows]), base)
        _, inverse = np.unique(keys, return_inverse=True)
        n_patterns = int(inverse.max()) + 1
        p = np.bincount(inverse[: len(ref_rows)], minlength=n_patterns) + eps
        q = np.bincount(inverse[len(ref_rows):], minlength=n_patterns) + eps
        p, q = p / p.sum(), q / q.sum()
        per_size[k] = float(max(np.sum(p * np.log(p / q)), 0.0))  # clip float round-off below 0
    return PatternKL(per_size, float(np.mean(list(per_size.values()))))


def playability_rate(levels: Sequence[TileMap], view: str = "top-down") -> float:
    """Share of levels that :func:`~procgen.evaluate.playability.is_playable` accepts."""
    _check_view(view)
    items = _tilemaps(levels, "playability")
    return float(np.mean([is_playable(level, view=view) for level in items]))


def diversity(levels: Sequence[Level]) -> float:
    """Mean pairwise normalised Hamming distance (share of differing tiles) over equal-shape
    levels: 0 for identical levels, 1 - sum(f_t^2) for tiles drawn independently with
    frequencies f_t."""
    stack = _same_shape(_levels(levels, "levels"), "levels")
    n = stack.shape[0]
    if n < 2:
        raise ParameterError("diversity needs at least 2 levels")
    flat = stack.reshape(n, -1)  # (N, P)
    total = 0.0
    for i in range(n - 1):  # one vectorised row of the distance matrix per level
        total += float((flat[i + 1:] != flat[i]).mean(axis=1).sum())
    return total / (n * (n - 1) / 2)


def novelty(levels: Sequence[Level], training_windows: Sequence[Level]) -> LevelNovelty:
    """Nearest normalised Hamming distance from each level to the training data.

    A training map of the level's shape is one window; a larger one contributes every
    level-shaped window in it (stride 1), so whole training levels can be passed too.
    A level with no training window of its shape raises ParameterError.
    """
    grids = _levels(levels, "levels")
    train = _levels(training_windows, "training_windows")
    nearest = np.empty(len(grids), dtype=np.float64)
    by_shape: dict[tuple[int, int], np.ndarray] = {}
    for i, grid in enumerate(grids):
        shape = grid.shape
        if shape not in by_shape:
            parts = [sliding_window_view(t, shape).reshape(-1, grid.size) for t in train
                     if t.shape[0] >= shape[0] and t.shape[1] >= shape[1]]
            if not parts:
                raise ParameterError(f"no training window is at least {shape[0]}x{shape[1]} to compare level {i} with")
            by_shape[shape] = np.unique(np.concatenate(parts), axis=0)  # duplicates add nothing
        nearest[i] = (by_shape[shape] != grid.reshape(1, -1)).mean(axis=1).min()
    return LevelNovelty(nearest, float((nearest == 0).mean()))


def copied_share(levels: Sequence[Level], training: Sequence[Level], width: int) -> float:
    """Share of the full-height, ``width``-column windows of ``levels`` that occur verbatim
    in ``training`` (all levels of one height): how much of a level is a copy. Compare a
    model's figure with that of held-out real levels, which copy common stretches too."""
    grids, train = _levels(levels, "levels"), _levels(training, "training")
    heights = {g.shape[0] for g in grids + train}
    if len(heights) != 1:
        raise ParameterError(f"copied_share compares levels of one height, got heights {sorted(heights)}")
    (h,) = heights
    def columns(sets: list[np.ndarray]) -> np.ndarray:
        parts = [sliding_window_view(g, (h, width)).reshape(-1, h * width) for g in sets if g.shape[1] >= width]
        if not parts:
            raise ParameterError(f"no level is {width} columns wide")
        return np.concatenate(parts)
    mine, known = columns(grids), np.unique(columns(train), axis=0)
    _, inverse = np.unique(np.concatenate([known, mine]), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    return float(np.isin(inverse[len(known):], inverse[:len(known)]).mean())


def _route_linearity(level: TileMap) -> float:
    """Manhattan spawn-goal distance / shortest 4-neighbour walkable route, NaN if none."""
    if level.spawn is None or level.goal is None:
        return float("nan")
    walk = level.walkable_mask()
    h, w = walk.shape
    labels, _ = ndimage.label(walk)
    if labels[level.spawn] != labels[level.goal]:
        return float("nan")
    straight = abs(level.spawn[0] - level.goal[0]) + abs(level.spawn[1] - level.goal[1])
    if straight == 0:
        return 1.0
    index = np.arange(h * w).reshape(h, w)
    u, v = [], []
    for a, b in ((index[:, :-1], index[:, 1:]), (index[:-1, :], index[1:, :])):
        both = walk.ravel()[a.ravel()] & walk.ravel()[b.ravel()]
        u.append(a.ravel()[both])
        v.append(b.ravel()[both])
    uu, vv = np.concatenate(u), np.concatenate(v)
    graph = coo_matrix((np.ones(uu.shape[0]), (uu, vv)), shape=(h * w,) * 2).tocsr()
    start = level.spawn[0] * w + level.spawn[1]
    dist = shortest_path(graph, directed=False, unweighted=True, indices=start)
    return float(straight / dist[level.goal[0] * w + level.goal[1]])


def _ground_linearity(level: TileMap) -> float:
    """1 - mean |residual| / H of a straight-line fit to each column's ground height."""
    solid = ~level.walkable_mask()
    h, w = solid.shape
    top = np.where(solid.any(axis=0), solid.argmax(axis=0), h)  # first solid row, h when none
    height = (h - top).astype(np.float64)  # (W,) ground height above the map bottom
    if w < 2:
        return 1.0
    x = np.arange(w, dtype=np.float64)
    slope, intercept = np.polyfit(x, height, 1)
    return float(1.0 - np.abs(height - (slope * x + intercept)).mean() / h)


def expressive_range(levels: Sequence[TileMap], view: str = "top-down") -> ExpressiveRange:
    """(density, linearity) per level.

    ``density``: share of non-walkable tiles. ``linearity``: top-down, Manhattan distance
    from spawn to goal over the length of the shortest walkable route (1 = straight, toward
    0 = winding; NaN when spawn or goal is missing or unreachable); side-view, the classic
    platformer measure: 1 - mean absolute residual / H of a least-squares line through the
    per-column ground height (1 = flat or a steady slope).
    """
    _check_view(view)
    items = _tilemaps(levels, "expressive_range")
    density = np.array([1.0 - level.walkable_mask().mean() for level in items])
    measure = _ground_linearity if view == "side-view" else _route_linearity
    return ExpressiveRange(density, np.array([measure(level) for level in items], dtype=np.float64))


_PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
            (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def expressive_range_png(points_by_label: Mapping[str, ExpressiveRange | tuple[np.ndarray, np.ndarray]],
                         path: str, *, size: int = 480) -> None:
    """Scatter of (density, linearity) per label on the unit square, one colour per label,
    with a legend; NaN points are left out. Written atomically as PNG."""
    if not points_by_label:
        raise ParameterError("points_by_label is empty: nothing to draw")
    if isinstance(size, bool) or not isinstance(size, int) or size < 160:
        raise ParameterError(f"size must be an int >= 160 pixels, got {size!r}")
    margin = 40
    plot = size - 2 * margin
    image = Image.new("RGB", (size, size), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle([margin, margin, margin + plot, margin + plot], outline=(0, 0, 0))
    for t in (0.25, 0.5, 0.75):  # light grid, so points can be read off
        x = margin + int(t * plot)
        y = margin + plot - int(t * plot)
        draw.line([x, margin, x, margin + plot], fill=(225, 225, 225))
        draw.line([margin, y, margin + plot, y], fill=(225, 225, 225))
    draw.text((margin, margin + plot + 6), "density 0", fill=(0, 0, 0))
    draw.text((margin + plot - 20, margin + plot + 6), "1", fill=(0, 0, 0))
    draw.text((4, margin - 14), "linearity 1", fill=(0, 0, 0))
    draw.text((4, margin + plot - 10), "0", fill=(0, 0, 0))
    for n, (label, points) in enumerate(points_by_label.items()):
        density = np.asarray(points[0], dtype=np.float64).ravel()
        linearity = np.asarray(points[1], dtype=np.float64).ravel()
        if density.shape != linearity.shape:
            raise ParameterError(f"{label!r}: density and linearity differ in length "
                                 f"({density.size} vs {linearity.size})")
        color = _PALETTE[n % len(_PALETTE)]
        keep = np.isfinite(density) & np.isfinite(linearity)
        xs = margin + np.clip(density[keep], 0, 1) * plot
        ys = margin + plot - np.clip(linearity[keep], 0, 1) * plot
        for x, y in zip(xs.tolist(), ys.tolist()):
            draw.ellipse([x - 2, y - 2, x + 2, y + 2], fill=color)
        draw.rectangle([margin + 6, margin + 6 + 14 * n, margin + 14, margin + 14 + 14 * n], fill=color)
        draw.text((margin + 18, margin + 5 + 14 * n), f"{label} ({int(keep.sum())})", fill=(0, 0, 0))
    atomic_write(path, lambda stream: image.save(stream, format="PNG"))


def independent_tiles(reference_levels: Sequence[Level], shape: tuple[int, int], rng: np.random.Generator,
                      count: int) -> list[np.ndarray]:
    """``count`` (H, W) int32 levels with each tile drawn independently from the reference
    corpus's tile frequencies: the no-structure baseline for :func:`pattern_kl`."""
    grids = _levels(reference_levels, "reference_levels")
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    dims = tuple(shape)
    if len(dims) != 2 or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1 for d in dims):
        raise ParameterError(f"shape must be (rows, cols) ints >= 1, got {shape!r}")
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ParameterError(f"count must be an int >= 0, got {count!r}")
    counts = np.bincount(np.concatenate([g.ravel() for g in grids]))
    draws = rng.choice(counts.size, size=(int(count), *dims), p=counts / counts.sum()).astype(np.int32)
    return list(draws)
