"""level/wfc over a large grid: solved in blocks, so a large level costs per cell what a small one does.

One solver run over a whole 256x256 pattern grid thrashes: observation jumps wherever entropy
is least, decisions far apart meet in contradictions that only show once the gap between them
fills, and backtracking spends its budget undoing unrelated work (vglc-rooms: most levels
restarted, about 20 s each). Here the grid is cut into blocks of about ``block`` cells a side,
solved in row-major order, each as its own small run (as Marian42's infinite WFC solves
chunks). A run's *window* is its region plus a one-cell ring: the ring's decided cells are
pinned to their patterns, so the region fits its solved neighbours, and its undecided cells
keep their designer constraints, so the region leaves its unsolved neighbours a way to fit it.

A block whose run fails is run again from fresh child streams with its decisions propagating
farther (2, then 4 cells), then with a margin of its neighbours (solved ones too) opened up
and solved again with it ("modifying in blocks"), and last, on a grid of at most
``_WHOLE_BLOCKS`` blocks, as the whole grid, so a last UNSATISFIABLE there means what it means
for one run: no level. On a larger grid a block that fails every try fails the attempt
(STUCK), and the generator restarts with a fresh path and streams.

Farther propagation is what rescues a block: the reach that is cheapest for easy blocks (n + 1)
lets contradictions on a hard one (a path's bends by pinned edges, overworld-64 at 256x256)
show only after many decisions, and backtracking then thrashes. Two stuck overworld-64 blocks
(seeds 14 and 1), 3 fresh streams each: reach 4 solved 1 of 3 and 0 of 3, reach 6 3 and 2,
reach 8 3 and 3 (about 1.5 and 2.5 times a run's time), a 16-cell margin at reach 4 or 6
1 and 1 at up to 3 times. The whole 254x254 grid never came through (stuck after 26 and
118 s), where a restart took about 55 s and succeeded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from procgen.generators.handwritten import _wfc_kernels as kernels
from procgen.generators.handwritten._wfc_patterns import STEPS
from procgen.seeding import child, make_rng

_TIE_NOISE = 1e-6  # entropy noise: far below the gap between two different domains' entropies
# A block's runs: the margin opened around it, as a share of the block (None: the whole grid),
# and how many cells farther than the grid's reach its decisions propagate (see the docstring).
_TRIES = ((0.0, 0), (0.0, 2), (0.0, 4), (0.25, 4), (0.5, 4), (None, 2))
_WHOLE_BLOCKS = 4  # the whole grid is the last try only on a grid of at most this many blocks' cells
# A run also solves (then forgets) 1/_LOOKAHEAD of a block below and beside its region, so the
# edge it leaves to the next blocks is one that some band of cells, not just one row, can continue.
_LOOKAHEAD = 8
Window = tuple[int, int, int, int]  # rows r0:r1, columns c0:c1 of the pattern grid


@dataclass(frozen=True)
class Grid:
    """What every run over one level's pattern grid shares.

    ``tables``: the kernel's pattern tables up to (not with) neighbours, full domain and
    geometry; ``masks``: grid indices (M,), unique, and their allowed patterns (M, words)
    packed, from the designer constraints; ``backtracks``: budget per 64x64 cells.
    """

    tables: tuple[np.ndarray, ...]
    full: np.ndarray
    shape: tuple[int, int]
    periodic: bool
    reach: int
    backtracks: int
    masks: tuple[np.ndarray, np.ndarray]


def solve(grid: Grid, block: int, stream: np.random.SeedSequence) -> tuple[int, int, int, np.ndarray | None]:
    """(status, backtracks, decisions, chosen pattern per grid cell or None) of one attempt.

    A grid no bigger than a block, a periodic one (its seams wrap) or ``block`` 0 is one run
    drawing from ``stream`` itself; otherwise each block draws from its own child stream.
    """
    rows, cols = grid.shape
    if grid.periodic or block == 0 or (rows <= block and cols <= block):
        return run(grid, (0, rows, 0, cols), None, stream)
    chosen = np.full(grid.shape, -1, np.int64)
    backtracks = decisions = 0
    for r0, r1 in _spans(rows, block):
        for c0, c1 in _spans(cols, block):
            if (chosen[r0:r1, c0:c1] >= 0).all():
                continue  # a whole-grid run of an earlier block decided it
            status, undone, made = _block(grid, chosen, (r0, r1, c0, c1), block, child(stream, f"block-{r0}-{c0}"))
            backtracks, decisions = backtracks + undone, decisions + made
            if status != kernels.OK:
                return status, backtracks, decisions, None
    return kernels.OK, backtracks, decisions, chosen


def _spans(length: int, block: int) -> list[tuple[int, int]]:
    """``length`` cut into equal-as-can-be spans of at most ``block``: no sliver of a block at the end."""
    edges = np.linspace(0, length, -(-length // block) + 1).round().astype(int)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def _block(grid: Grid, chosen: np.ndarray, block: Window, size: int,
           stream: np.random.SeedSequence) -> tuple[int, int, int]:
    """Solve ``block`` into ``chosen``, opening ever more around it; (status, backtracks, decisions)."""
    rows, cols = grid.shape
    backtracks = decisions = 0
    status = kernels.STUCK
    # No two tries are alike (each one's window or reach differs), so even after an UNSATISFIABLE
    # run the next is tried: that status can come from backjumping's bans, which are guesses
    # (see _wfc_kernels._culprit), not only from pinned cells that cannot fit.
    for k, (share, farther) in enumerate(_TRIES):
        if share is None:
            if rows * cols > _WHOLE_BLOCKS * size * size:
                return kernels.STUCK, backtracks, decisions  # not proof of no level: restart instead
            region = (0, rows, 0, cols)
        else:
            m = int(share * size)
            region = (max(0, block[0] - m), min(rows, block[1] + m), max(0, block[2] - m), min(cols, block[3] + m))
        ahead = size // _LOOKAHEAD
        window = (max(0, region[0] - 1), min(rows, region[1] + 1 + ahead),
                  max(0, region[2] - 1 - ahead), min(cols, region[3] + 1 + ahead))
        pinned = chosen[window[0]:window[1], window[2]:window[3]].copy()
        inner = (slice(region[0] - window[0], region[1] - window[0]), slice(region[2] - window[2], region[3] - window[2]))
        pinned[inner] = -1
        status, undone, made, found = run(replace(grid, reach=grid.reach + farther), window, pinned,
                                          child(stream, f"try-{k}"))
        backtracks += undone
        if found is not None:
            chosen[region[0]:region[1], region[2]:region[3]] = found[inner]
            return kernels.OK, backtracks, decisions + made
    return status, backtracks, decisions


def run(grid: Grid, window: Window, pinned: np.ndarray | None,
        stream: np.random.SeedSequence) -> tuple[int, int, int, np.ndarray | None]:
    """One kernel run over ``window``, its cells' patterns ``pinned`` where >= 0;
    (status, backtracks, decisions, chosen patterns (rows, cols) or None)."""
    r0, r1, c0, c1 = window
    rows, cols = r1 - r0, c1 - c0
    cells = rows * cols
    dom = np.tile(grid.full, (cells, 1))
    index, packed = grid.masks
    r, c = np.divmod(index, grid.shape[1])
    inside = (r >= r0) & (r < r1) & (c >= c0) & (c < c1)
    dom[(r[inside] - r0) * cols + (c[inside] - c0)] &= packed[inside]
    if pinned is not None:
        at = np.flatnonzero(pinned.ravel() >= 0)
        pattern = pinned.ravel()[at]
        dom[at] = 0
        dom[at, pattern >> 6] = np.left_shift(np.uint64(1), (pattern & 63).astype(np.uint64))
    geometry = np.array([rows, cols, grid.periodic, grid.reach], np.int64)
    tables = (*grid.tables, _neighbours((rows, cols), grid.periodic), grid.full, geometry)
    noise = _TIE_NOISE * make_rng(child(stream, "ties")).random(cells)
    budget = grid.backtracks * max(1, -(-cells // 4096))  # contradictions grow with the area
    uniforms = make_rng(child(stream, "choices")).random(cells + budget)
    status, backtracks, decisions = kernels.solve(dom, tables, noise, uniforms, budget)
    return status, backtracks, decisions, (_chosen(dom).reshape(rows, cols) if status == kernels.OK else None)


@lru_cache(maxsize=16)
def _neighbours(shape: tuple[int, int], periodic: bool) -> np.ndarray:
    """(cells, 4) neighbour index per direction of STEPS; -1 off the grid."""
    h, w = shape
    rows, cols = np.indices(shape)
    out = []
    for dr, dc in STEPS:
        r, c = rows + dr, cols + dc
        inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
        index = (r % h) * w + (c % w)
        out.append(np.where(inside | periodic, index, -1).ravel())
    return np.stack(out, axis=1).astype(np.int64)


def _chosen(dom: np.ndarray) -> np.ndarray:
    """(cells,) the pattern of each collapsed bitset: its one set bit's index."""
    word = (dom != 0).argmax(axis=1)
    bits = dom[np.arange(dom.shape[0]), word].astype("<u8").view(np.uint8).reshape(-1, 8)
    return word * 64 + np.unpackbits(bits, axis=1, bitorder="little").argmax(axis=1)
