"""Training data for learned level models: corpus splits, marker stripping, windows.

A corpus is split by level name (stable whatever order the files are listed in), stratified
by family: a level's family is its name without a trailing number (``cave-03`` is a
``cave``). Levels are dealt round-robin over the families (each family in SHA-256 order of
its names, families in SHA-256 order of theirs); of that sequence every 10th from the 10th
is held out, every 10th from the 9th is for validation, the rest train. So a small
designer corpus holds out different kinds of level, not two of one kind. Models train on square windows of tile ids
cut from the training levels with a stride, plus their mirror images and rotations
(top-down) or left-right mirror images (side-view): a level read backwards is still a level.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

from procgen.content import TileMap
from procgen.datasets.levels import LevelCorpus
from procgen.errors import ParameterError
from procgen.levels.endpoints import marker_ids, strip_markers
from procgen.levels.pipes import mirror_ids

SPLITS = ("train", "validation", "holdout")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def family(name: str) -> str:
    """A level's family: its name without a trailing number (``cave-03`` -> ``cave``)."""
    return re.sub(r"[-_ .]*[0-9]+$", "", name)


def split_names(names: Sequence[str]) -> dict[str, list[int]]:
    """Indices of the levels in each split (see the module docstring)."""
    families: dict[str, list[int]] = {}  # family -> level indices
    for i, name in enumerate(names):
        families.setdefault(family(name), []).append(i)
    rank = {}
    for members in families.values():
        for position, i in enumerate(sorted(members, key=lambda i: _digest(names[i]))):
            rank[i] = position
    order = sorted(range(len(names)), key=lambda i: (rank[i], _digest(family(names[i]))))
    parts: dict[str, list[int]] = {split: [] for split in SPLITS}
    for rank, index in enumerate(order):
        parts["holdout" if rank % 10 == 9 else "validation" if rank % 10 == 8 else "train"].append(index)
    # Small corpora still get one level in each held-out split (the 9th and 10th ranks never came).
    for split in ("validation", "holdout"):
        if not parts[split] and len(parts["train"]) >= 2:
            parts[split].append(parts["train"].pop())
    return {split: sorted(indices) for split, indices in parts.items()}


def split_corpus(corpus: LevelCorpus) -> dict[str, list[TileMap]]:
    """The corpus's levels per split (``train``, ``validation``, ``holdout``)."""
    return {split: [corpus.levels[i] for i in indices] for split, indices in split_names(corpus.names).items()}


def floor_id(corpus: LevelCorpus) -> int:
    """The most common walkable tile that is not a spawn/goal marker (what a marker stands on)."""
    markers = {m for m in marker_ids(corpus.tileset, corpus.legend).values() if m is not None}
    counts = np.bincount(np.concatenate([level.tiles.ravel() for level in corpus.levels]),
                         minlength=len(corpus.tileset)).astype(np.float64)
    usable = np.array([t.walkable and i not in markers for i, t in enumerate(corpus.tileset)])
    if not usable.any():
        raise ParameterError("the corpus legend has no walkable tile besides spawn/goal markers")
    return int(np.argmax(np.where(usable, counts + 1, -1)))  # +1: an unused walkable tile still beats none


def terrain(levels: Sequence[TileMap], corpus: LevelCorpus) -> list[np.ndarray]:
    """Tile grids (H, W) int64 with spawn/goal markers replaced by the floor they stand on."""
    floor = floor_id(corpus)
    return [strip_markers(level.tiles, corpus.tileset, corpus.legend, floor).astype(np.int64) for level in levels]


def grown_to(grids: Sequence[np.ndarray], height: int) -> list[np.ndarray]:
    """Side-view grids (H, W) at least ``height`` rows tall: the bottom row repeated below,
    so ground runs deeper and a pit stays a pit. A platformer's window then spans the whole
    level's height (its ground and its sky) even where that is no multiple of 4."""
    return [np.pad(g, ((0, max(0, height - g.shape[0])), (0, 0)), mode="edge") for g in grids]


def side_view_window(grids: Sequence[np.ndarray]) -> int:
    """The training window of a side-view corpus: its tallest level, rounded up to a multiple of 4."""
    return max(8, -(-max(g.shape[0] for g in grids) // 4) * 4)


def _symmetries(windows: np.ndarray, view: str, mirror: np.ndarray | None) -> np.ndarray:
    """(N, k, k) windows with their dihedral images (top-down, 8x) or mirror images (side-view, 2x:
    gravity points down, so a side view is never rotated or turned upside down). ``mirror``
    (T,) maps each tile to its mirror image (a pipe's left half to its right half)."""
    if view == "side-view":
        flipped = windows[:, :, ::-1]
        return np.concatenate([windows, flipped if mirror is None else mirror[flipped]])
    rotations = [np.rot90(windows, r, axes=(1, 2)) for r in range(4)]
    return np.concatenate(rotations + [r[:, :, ::-1] for r in rotations])


def windows(grids: Sequence[np.ndarray], size: int, stride: int, *, view: str = "top-down",
            augment: bool = False, mirror: np.ndarray | None = None) -> torch.Tensor:
    """(N, size, size) int64 tensor: every ``size`` window of every grid at ``stride``, the
    last row and column of windows always included so each grid's edges are seen."""
    parts = []
    for grid in grids:
        h, w = grid.shape
        if h < size or w < size:
            continue
        rows = sorted(set(range(0, h - size + 1, stride)) | {h - size})
        cols = sorted(set(range(0, w - size + 1, stride)) | {w - size})
        view_all = sliding_window_view(grid, (size, size))  # (h-size+1, w-size+1, size, size)
        parts.append(view_all[np.ix_(rows, cols)].reshape(-1, size, size))
    if not parts:
        smallest = min((g.shape for g in grids), default=(0, 0))
        raise ParameterError(f"no level is at least {size}x{size} tiles (the smallest is "
                             f"{smallest[0]}x{smallest[1]}); set a smaller window, e.g. --set window=8")
    stacked = np.concatenate(parts)
    if augment:
        stacked = _symmetries(stacked, view, mirror)
    return torch.from_numpy(np.ascontiguousarray(stacked))


def tag_shares(tiles: torch.Tensor, tag_masks: torch.Tensor, *, border: bool = False) -> torch.Tensor:
    """Share of tiles carrying each tag: (N, h, w) ids and (K, T) bool masks -> (N, K) float32.

    ``border``: the windows are cut from framed levels (BORDER, id T, around them) and the
    shares are of each window's level tiles only."""
    t = tag_masks.shape[1]
    if not border:
        per_tile = torch.nn.functional.one_hot(tiles, t).float().mean(dim=(1, 2))  # (N, T)
    else:
        counts = torch.nn.functional.one_hot(tiles, t + 1)[..., :t].float().sum(dim=(1, 2))  # (N, T)
        per_tile = counts / counts.sum(dim=1, keepdim=True).clamp_min(1.0)
    return per_tile @ tag_masks.float().T


def bordered_windows(model: Any, corpus: LevelCorpus, pad: Callable[[list[np.ndarray]], list[np.ndarray]]
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """(training, validation) windows of ``model``'s config (``window``, ``stride``, ``augment``,
    ``max_windows``, ``view``) cut from the corpus's levels after ``pad`` surrounds them with
    BORDER (id ``tiles``): the base's split, side-view growth, augmentation and seeded subsample."""
    c = model.config
    parts = {split: terrain(levels, corpus) for split, levels in split_corpus(corpus).items()}
    if c.view == "side-view":
        parts = {split: grown_to(grids, c.window) for split, grids in parts.items()}
    parts = {split: pad(grids) for split, grids in parts.items()}
    mirror = np.append(mirror_ids(corpus.tileset), c.tiles)  # BORDER is its own mirror image
    train_x = windows(parts["train"], c.window, c.stride, view=c.view, augment=c.augment, mirror=mirror)
    if len(train_x) > c.max_windows:  # a seeded subsample
        keep = torch.randperm(len(train_x), generator=model.training_generator("subsample"))[:c.max_windows]
        train_x = train_x[keep.sort().values]
    return train_x, windows(parts["validation"], c.window, max(c.stride, c.window // 4), view=c.view)
