"""N x N patterns of a level corpus for level/wfc: extraction, weights, adjacency keys.

Every N x N window of every level (spawn/goal markers replaced by the floor they stand on)
is a pattern; its weight is how often it occurs. A top-down corpus may add its levels'
mirror images ("mirror") and rotations ("all"); a side-view one only its mirror image,
since gravity points down.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.errors import ParameterError
from procgen.levels.endpoints import marker_ids, strip_markers

SYMMETRIES = ("none", "mirror", "all")
# Directions from a cell to its neighbour: up, right, down, left (row, column steps).
STEPS = ((-1, 0), (0, 1), (1, 0), (0, -1))


@dataclass(frozen=True)
class Patterns:
    """``tiles`` (P, N, N) int32 patterns in a stable order, ``weights`` (P,) their counts, and
    per direction ``d`` (see STEPS) the keys that decide adjacency: pattern q may sit at the
    ``d`` neighbour of pattern p exactly when ``key_out[d, p] == key_in[d, q]``."""

    tiles: np.ndarray
    weights: np.ndarray
    key_out: np.ndarray  # (4, P) int64
    key_in: np.ndarray  # (4, P) int64

    @property
    def size(self) -> int:
        return int(self.tiles.shape[1])

    def __len__(self) -> int:
        return int(self.tiles.shape[0])

    def compatible(self, direction: int) -> np.ndarray:
        """Boolean (P, P): may pattern q (column) sit at the ``direction`` neighbour of p (row)?"""
        return self.key_out[direction][:, None] == self.key_in[direction][None, :]

    def index(self) -> tuple[np.ndarray, ...]:
        """Per direction, the patterns that take each key and those that offer it, as sparse
        bitsets: (ptr (4, K + 1), word (4, G), bits (4, G)) twice; key k's (word, bits) pairs
        run from ptr[d, k] to ptr[d, k + 1], so the solver works a word at a time."""
        keys = int(max(self.key_out.max(), self.key_in.max())) + 1
        return (*_sparse(self.key_in, keys), *_sparse(self.key_out, keys))


def _sparse(key: np.ndarray, keys: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bitsets of the patterns with each key, as (word, bits) runs per key (see ``index``)."""
    patterns = np.arange(key.shape[1])
    runs = []
    for row in key:
        order = np.lexsort((patterns, row))  # by key, then by pattern (so by word)
        k, p = row[order], patterns[order]
        starts = np.flatnonzero(np.r_[True, (k[1:] != k[:-1]) | (p[1:] >> 6 != p[:-1] >> 6)])
        bits = np.bitwise_or.reduceat(np.left_shift(np.uint64(1), (p & 63).astype(np.uint64)), starts)
        ptr = np.searchsorted(k[starts], np.arange(keys + 1))
        runs.append((ptr, p[starts] >> 6, bits))
    width = max(len(r[1]) for r in runs)
    pad = [(np.pad(w, (0, width - len(w))), np.pad(b, (0, width - len(b)))) for _, w, b in runs]
    return (np.stack([r[0] for r in runs]).astype(np.int64), np.stack([w for w, _ in pad]).astype(np.int64),
            np.stack([b for _, b in pad]).astype(np.uint64))


def _ids(rows: np.ndarray) -> np.ndarray:
    """A small int per distinct row of ``rows`` (M, k), in sorted order of the rows."""
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _keys(tiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(key_out, key_in) (4, P): the overlap each pattern offers and takes, per direction."""
    count = tiles.shape[0]
    horizontal = _ids(np.concatenate([tiles[:, :, :-1], tiles[:, :, 1:]]).reshape(2 * count, -1))
    vertical = _ids(np.concatenate([tiles[:, :-1, :], tiles[:, 1:, :]]).reshape(2 * count, -1))
    left, right = horizontal[:count], horizontal[count:]
    top, bottom = vertical[:count], vertical[count:]
    # Up: my top rows are the upper neighbour's bottom rows; right: my right columns are the
    # right neighbour's left columns; and so on.
    return np.stack([top, right, bottom, left]), np.stack([bottom, left, top, right])


def _augmented(grids: list[np.ndarray], symmetry: str) -> list[np.ndarray]:
    if symmetry == "none":
        return grids
    mirrored = grids + [g[:, ::-1] for g in grids]
    if symmetry == "mirror":
        return mirrored
    return [np.rot90(g, r) for g in mirrored for r in range(4)]


def _windows(grids: list[np.ndarray], n: int) -> np.ndarray:
    parts = [sliding_window_view(g, (n, n)).reshape(-1, n * n) for g in grids if min(g.shape) >= n]
    if not parts:
        raise ParameterError(f"parameter n={n}: no level of the corpus is at least {n}x{n} tiles; use a smaller n")
    return np.concatenate(parts).astype(np.int64)


def extract(grids: list[np.ndarray], tile_count: int, n: int, symmetry: str = "none") -> Patterns:
    """The N x N patterns of ``grids`` (tile ids < ``tile_count``) and their counts, vectorized:
    each window is one integer (base ``tile_count``) where that fits in 63 bits."""
    windows = _windows(_augmented([np.asarray(g) for g in grids], symmetry), n)
    if tile_count ** (n * n) < 2**63:
        codes = windows @ (tile_count ** np.arange(n * n, dtype=np.int64))
        _, first, counts = np.unique(codes, return_index=True, return_counts=True)
        unique = windows[first]
    else:
        unique, counts = np.unique(windows, axis=0, return_counts=True)
    tiles = unique.reshape(-1, n, n).astype(np.int32)
    key_out, key_in = _keys(tiles)
    alive = _extendable(key_out, key_in)
    if not alive.any():
        raise ParameterError(f"parameter n={n}: the corpus's {n}x{n} patterns never tile a plane "
                             "(no pattern can be surrounded); use a smaller n or larger levels")
    tiles = tiles[alive]
    key_out, key_in = _keys(tiles)
    return Patterns(tiles, counts[alive].astype(np.float64), key_out, key_in)


def _extendable(key_out: np.ndarray, key_in: np.ndarray) -> np.ndarray:
    """(P,) bool: the patterns that can be surrounded on all four sides by such patterns.

    A window from a level's edge may have no neighbour beyond it in the corpus. Dropping
    those (to a fixed point) leaves a set that is arc-consistent on an unbounded grid, so
    the solver does not spend its first propagation removing them from every cell.
    """
    alive = np.ones(key_out.shape[1], bool)
    keys = int(max(key_out.max(), key_in.max())) + 1
    while True:
        keep = alive.copy()
        for d in range(4):
            taken = np.zeros(keys, bool)
            taken[key_in[d][alive]] = True  # keys that some live pattern can take from this side
            keep &= taken[key_out[d]]
        if np.array_equal(keep, alive):
            return alive
        alive = keep


def floor_tile(corpus: LevelCorpus) -> int:
    """The most common walkable tile that is no spawn/goal marker: what markers stand on."""
    markers = {m for m in marker_ids(corpus.tileset, corpus.legend).values() if m is not None}
    counts = np.bincount(np.concatenate([lv.tiles.ravel() for lv in corpus.levels]), minlength=len(corpus.tileset))
    usable = [i for i, t in enumerate(corpus.tileset) if t.walkable and i not in markers]
    if not usable:
        raise ParameterError("the corpus has no walkable tile besides spawn/goal markers, so no path can be laid")
    return max(usable, key=lambda i: (int(counts[i]), -i))


def terrain(corpus: LevelCorpus) -> list[np.ndarray]:
    """The corpus's grids with spawn/goal markers replaced by the floor tile."""
    floor = floor_tile(corpus)
    return [strip_markers(lv.tiles, corpus.tileset, corpus.legend, floor) for lv in corpus.levels]


@lru_cache(maxsize=8)
def _cached(folder: str, stamp: tuple[tuple[str, int, int], ...], n: int,
            symmetry: str) -> tuple[LevelCorpus, Patterns]:
    corpus = load_corpus(folder)
    if symmetry == "all" and corpus.view == "side-view":
        raise ParameterError("parameter symmetry=all would turn a side-view corpus on its side or upside down; "
                             "use symmetry=mirror (left-right) or none")
    return corpus, extract(terrain(corpus), len(corpus.tileset), n, symmetry)


def corpus_patterns(folder: Path, n: int, symmetry: str) -> tuple[LevelCorpus, Patterns]:
    """The corpus in ``folder`` and its patterns, remembered until a file there changes."""
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.iterdir()) if p.is_file())
    return _cached(str(folder.resolve()), stamp, n, symmetry)
