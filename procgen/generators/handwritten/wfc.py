"""level/wfc: WaveFunctionCollapse (the overlapping model) over a level corpus.

The N x N windows of a corpus (``procgen.generators.handwritten._wfc_patterns``) are the
patterns; a level is a grid of patterns in which neighbours agree where they overlap.
Every cell starts able to hold every pattern; the solver (``_wfc_kernels``) repeatedly
observes the undecided cell of least entropy (ties broken by seeded noise), picks one of
its patterns by corpus frequency, propagates what that rules out, and on a contradiction
backtracks: it undoes the last decision and bans that pattern there. Past a budget of
backtracks it restarts from a fresh child stream; past the restarts it raises.

Designer constraints restrict domains before the run: fixed tiles, and on top-down corpora
a walkable path from spawn to goal (a cheapest route over a seeded cost field, from the
west edge's middle cell to the east edge's), so every level is playable. Spawn and goal
then fall on the path's ends by the shared rule of ``procgen.levels.endpoints``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from procgen.assets import assets_dir
from procgen.content import TileMap
from procgen.errors import ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten import _wfc_blocks as blocks
from procgen.generators.handwritten import _wfc_kernels as kernels
from procgen.generators.handwritten._wfc_patterns import SYMMETRIES, corpus_patterns, floor_tile
from procgen.generators.registry import register
from procgen.levels.endpoints import marker_ids, place_endpoints
from procgen.levels.playability import is_playable
from procgen.levels.routes import cheapest_route
from procgen.seeding import Seed, child, make_rng, seed_sequence

Cell = tuple[int, int]
_RADIUS = 1  # a decision propagates n + _RADIUS cells away (see _wfc_kernels)
_COARSE = 8  # cells per block of the path's cost field: the path bends around blocks this big


def parse_fixed(text: str, height: int, width: int) -> dict[Cell, str]:
    """``"row,col,char; ..."`` to {(row, col): char}; negative rows and columns count from the end."""
    cells: dict[Cell, str] = {}
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        fields = item.split(",", 2)
        try:
            row, col, char = int(fields[0]), int(fields[1]), fields[2].strip()
        except (ValueError, IndexError):
            raise ParameterError(f"parameter fixed: {item!r} is not 'row,col,char' (e.g. fixed='0,5,#; 3,-1,.')") from None
        if len(char) != 1 or not (-height <= row < height and -width <= col < width):
            raise ParameterError(f"parameter fixed: {item!r} needs one tile char and a cell inside the "
                                 f"{height}x{width} level")
        cells[(row % height, col % width)] = char
    return cells


@dataclass(frozen=True, kw_only=True)
class WfcConfig(GeneratorConfig):
    width: int = param(40, "columns", ge=2, le=1024)
    height: int = param(24, "rows", ge=2, le=1024)
    corpus: str = param("vglc-rooms", "level corpus: a shipped one (vglc-rooms, overworld-64) or a folder "
                                      "of VGLC, Tiled or procgen levels")
    n: int = param(3, "pattern size N: patterns are the corpus's N x N windows", ge=2, le=5)
    periodic: bool = param(False, "the level wraps around: its right edge continues at its left, its bottom at its top")
    symmetry: str = param("none", "add the corpus's mirror images (mirror) and rotations (all, top-down only)",
                          choices=SYMMETRIES)
    fixed: str = param("", "designer tiles 'row,col,char; ...' (negative counts from the end); ';' separates")
    path: bool = param(True, "top-down corpora: lay a walkable path from spawn to goal before collapse (playable)")
    backtracks: int = param(2000, "decisions undone per attempt and 64x64 cells before a restart",
                            ge=0, le=10_000_000)
    restarts: int = param(4, "fresh attempts after the first before giving up", ge=0, le=100)
    block: int = param(64, "a larger level is solved in blocks of about this many cells a side, each fitted "
                           "to its solved neighbours (0: in one piece)", ge=0, le=1024)

    def validate(self) -> None:
        if not self.corpus.strip():
            raise ParameterError("parameter corpus must name a corpus, e.g. vglc-rooms or a folder of levels")
        if min(self.width, self.height) < self.n:
            raise ParameterError(f"parameter n={self.n} must not exceed width and height "
                                 f"({self.width}x{self.height}): patterns must fit in the level")
        if 0 < self.block < 4 * self.n:
            raise ParameterError(f"parameter block={self.block} must be 0 (no blocks) or at least 4 x n = {4 * self.n}")
        parse_fixed(self.fixed, self.height, self.width)


@dataclass(frozen=True)
class WfcResult:
    """A level and how the search went: backtracks over all attempts, restarts taken, and the
    decisions (observations) of the attempt that succeeded."""

    level: TileMap
    backtracks: int
    restarts: int
    decisions: int


def corpus_folder(name: str) -> Path:
    """A shipped corpus name (``assets/levels/NAME``) or a folder path."""
    shipped = assets_dir() / "levels" / name
    folder = shipped if name and "/" not in name and shipped.is_dir() else Path(name)
    if not folder.is_dir():
        known = sorted(p.name for p in (assets_dir() / "levels").iterdir() if p.is_dir())
        raise ParameterError(f"parameter corpus={name!r} is neither a shipped corpus ({', '.join(known)}) "
                             "nor a folder of levels")
    return folder


@register
class Wfc(Generator[TileMap]):
    name = "level/wfc"
    description = ("WaveFunctionCollapse, overlapping model: N x N patterns of a level corpus, "
                   "min-entropy observation, propagation and backtracking; fixed tiles, a guaranteed path")
    content_type = TileMap
    Config = WfcConfig
    config: WfcConfig

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        c = self.config
        self.corpus, self.patterns = corpus_patterns(corpus_folder(c.corpus), c.n, c.symmetry)
        self.fixed = self._checked_fixed(parse_fixed(c.fixed, c.height, c.width))
        self.top_down = self.corpus.view == "top-down"
        self._walkable = np.array([t.walkable for t in self.corpus.tileset])
        self._grid = (c.height, c.width) if c.periodic else (c.height - c.n + 1, c.width - c.n + 1)
        weights = self.patterns.weights
        tables = (weights, weights * np.log(weights), self.patterns.key_out, self.patterns.key_in,
                  *self.patterns.index())
        full = _packed(np.ones(len(weights), bool), -(-len(weights) // 64))
        self._problem = blocks.Grid(tables, full, self._grid, c.periodic, c.n + _RADIUS, c.backtracks,
                                    (np.zeros(0, np.int64), np.zeros((0, full.shape[0]), np.uint64)))

    def _checked_fixed(self, cells: dict[Cell, str]) -> dict[Cell, int]:
        tileset, legend = self.corpus.tileset, self.corpus.legend
        ids = {t.char: i for i, t in enumerate(tileset)}
        markers = {tileset[m].char for m in marker_ids(tileset, legend).values() if m is not None}
        for cell, char in cells.items():
            if char not in ids or char in markers:
                usable = "".join(sorted(set(ids) - markers))
                why = "is a spawn/goal marker (level/wfc places those)" if char in markers else "is not in the corpus"
                raise ParameterError(f"parameter fixed: tile {char!r} at {cell} {why}; tiles are {usable!r}")
        return {cell: ids[char] for cell, char in cells.items()}

    # ---- generating ------------------------------------------------------------------------
    def _generate(self, stream: np.random.SeedSequence) -> TileMap:
        return self._solve(stream).level

    def solve(self, seed: Seed) -> WfcResult:
        """``generate(seed)``'s level with the search's counts (see :class:`WfcResult`)."""
        return self._solve(seed_sequence(seed, self.name))

    def _solve(self, stream: np.random.SeedSequence) -> WfcResult:
        c, backtracks = self.config, 0
        for attempt in range(c.restarts + 1):
            status, undone, decisions, level = self._attempt(child(stream, f"attempt-{attempt}"))
            backtracks += undone
            if level is not None:
                return WfcResult(level, backtracks, attempt, decisions)
            if status == kernels.UNSATISFIABLE and not self._path_on():
                break  # the same constraints every time: another attempt cannot help
        raise ParameterError(
            f"{self.name} found no {c.height}x{c.width} level from {c.corpus} with n={c.n} in {attempt + 1} "
            f"attempt(s) ({backtracks} backtracks): "
            + ("the fixed tiles contradict the corpus patterns; fix fewer tiles" if status == kernels.UNSATISFIABLE
               else "raise backtracks or restarts, or use a smaller n or level"))

    def _path_on(self) -> bool:
        return self.config.path and self.top_down

    def _attempt(self, stream: np.random.SeedSequence) -> tuple[int, int, int, TileMap | None]:
        """(status, backtracks, decisions, level or None) of one attempt (one solver run, or one per block)."""
        problem = replace(self._problem, masks=self._masks(self._constraints(child(stream, "path"))))
        status, backtracks, decisions, chosen = blocks.solve(problem, self.config.block, stream)
        if chosen is None:
            return status, backtracks, decisions, None
        return status, backtracks, decisions, self._level(self._tiles(chosen))

    def _level(self, tiles: np.ndarray) -> TileMap | None:
        """The level with spawn and goal placed by the shared rule; None if it came out unplayable
        (a side-view level without a standing place at either end)."""
        corpus = self.corpus
        level = place_endpoints(tiles, corpus.tileset, corpus.legend, corpus.view)
        if level.spawn is None or level.goal is None:
            return None
        if self._path_on() and not is_playable(level, view=corpus.view):
            raise RuntimeError("level/wfc laid a path but the level is not playable")  # a bug, never input
        return level

    # ---- constraints -----------------------------------------------------------------------
    def _constraints(self, stream: np.random.SeedSequence) -> dict[Cell, np.ndarray]:
        """Allowed tiles (T,) bool per constrained cell: fixed tiles, and the path's cells."""
        tiles = len(self.corpus.tileset)
        allowed = {cell: np.arange(tiles) == tile for cell, tile in self.fixed.items()}
        if not self._path_on():
            return allowed
        ends = _ends(self.config.height, self.config.width)
        # Markers replace the floor they stand on, so the path's ends are floor: the level
        # with its markers stripped is then made of corpus patterns alone.
        markers = any(m is not None for m in marker_ids(self.corpus.tileset, self.corpus.legend).values())
        floor = np.arange(tiles) == floor_tile(self.corpus) if markers else self._walkable
        for index in self._path(stream, ends):
            cell = divmod(int(index), self.config.width)
            allowed[cell] = allowed.get(cell, np.ones(tiles, bool)) & (floor if cell in ends else self._walkable)
        return allowed

    def _path(self, stream: np.random.SeedSequence, ends: tuple[Cell, Cell]) -> np.ndarray:
        """Flat indices of a walkable route between ``ends`` that avoids fixed solid tiles;
        its bends come from a seeded, blocky cost field."""
        h, w = self.config.height, self.config.width
        open_ = np.ones((h, w), bool)
        for cell, tile in self.fixed.items():
            open_[cell] = self._walkable[tile]
        labels, _ = ndimage.label(open_)
        if labels[ends[0]] == 0 or labels[ends[0]] != labels[ends[1]]:
            raise ParameterError(f"parameter fixed: its solid tiles cut spawn {ends[0]} off from goal {ends[1]}; "
                                 "leave a gap, or set path=false")
        rng = make_rng(stream)
        coarse = rng.random((h // _COARSE + 1, w // _COARSE + 1))
        rows, cols = np.indices((h, w))
        cost = 1.0 + 8.0 * coarse[rows // _COARSE, cols // _COARSE] + rng.random((h, w))
        return cheapest_route(open_, cost, ends[0], ends[1])

    def _masks(self, allowed: dict[Cell, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The grid cells that ``allowed`` restricts (M,) and their packed allowed patterns (M, words)."""
        full = self._problem.full
        domains: dict[int, np.ndarray] = {}
        masks: dict[tuple[int, int, bytes], np.ndarray] = {}
        for cell, tiles_ok in allowed.items():
            index, (dr, dc) = self._owner(cell)
            key = (dr, dc, tiles_ok.tobytes())
            if key not in masks:  # one packed mask per (offset, tile set): a path repeats them
                masks[key] = _packed(tiles_ok[self.patterns.tiles[:, dr, dc]], full.shape[0])
            domains[index] = domains.get(index, full) & masks[key]
            if not domains[index].any():
                raise ParameterError(f"parameter fixed: no {self.config.n}x{self.config.n} corpus pattern "
                                     f"puts tile {self.corpus.tileset[int(np.argmax(tiles_ok))].char!r} at {cell} "
                                     "with the other tiles fixed around it")
        if not domains:
            return self._problem.masks
        return np.array(list(domains), np.int64), np.stack(list(domains.values()))

    def _owner(self, cell: Cell) -> tuple[int, Cell]:
        """The grid cell whose pattern decides tile ``cell``, and the tile's place in that pattern."""
        pr, pc = (min(cell[0], self._grid[0] - 1), min(cell[1], self._grid[1] - 1))
        return pr * self._grid[1] + pc, (cell[0] - pr, cell[1] - pc)

    def _tiles(self, chosen: np.ndarray) -> np.ndarray:
        """The tile grid (H, W) of the chosen pattern per grid cell."""
        h, w = self.config.height, self.config.width
        rows, cols = np.indices((h, w))
        pr, pc = np.minimum(rows, self._grid[0] - 1), np.minimum(cols, self._grid[1] - 1)
        return self.patterns.tiles[chosen[pr, pc], rows - pr, cols - pc]


def _ends(height: int, width: int) -> tuple[Cell, Cell]:
    """The cells where procgen.levels.endpoints puts spawn and goal when they are walkable: nearest
    the middle of the west and east edges (the upper of two middle rows, as ties go row-major)."""
    return ((height - 1) // 2, 0), ((height - 1) // 2, width - 1)


def _packed(mask: np.ndarray, words: int) -> np.ndarray:
    """Bool (P,) as (words,) little-endian uint64 bitset: pattern q is bit q % 64 of word q // 64."""
    padded = np.zeros(words * 64, bool)
    padded[:mask.shape[0]] = mask
    return np.packbits(padded, bitorder="little").view("<u8").astype(np.uint64)

