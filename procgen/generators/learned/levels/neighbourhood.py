"""level/transformer's causal neighbourhood: its slots, the wavefront, and the level edge.

A tile (r, c) sees, besides the near block (``rows`` rows above within ``reach`` columns and
``reach`` tiles to its left), ``far`` sparse rows further up (every second row above the
block, every second column out to 2 x reach each side, and every second tile further left),
which show the layout beyond the block cheaply, and ``below`` EDGE slots straight down: a
tile below is never drawn yet, so those slots say only whether the level goes on there
(INSIDE) or has ended (BORDER). Positions outside the level are BORDER everywhere.

Token ids: 0..T-1 the tiles, then BORDER (outside the level), UNSEEN (training only: outside
the training window, where the level may or may not go on) and INSIDE (an edge slot inside
the level). Training windows are cut from levels padded with BORDER, so a model learns the
level edge (a wall frame, say) as the sampler sees it, and a window's cut edge (UNSEEN) is
never mistaken for it.

Every slot is drawn in an earlier wavefront pass t = c + (L+1) r (the edge slots read no tile),
and every slot precedes the tile in raster order, so ``log_prob`` stays exact.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from procgen.datasets.levels import LevelCorpus
from procgen.generators.learned.levels.data import bordered_windows

__all__ = ["context_offsets", "wavefront_time", "margins", "context_index", "gather_context", "extra_tokens",
           "padded_levels", "training_windows", "ranked_picks"]

EXTRA_TOKENS = 3  # BORDER, UNSEEN, INSIDE after the tiles


def extra_tokens(tiles: int) -> tuple[int, int, int]:
    """(BORDER, UNSEEN, INSIDE) ids for a model of ``tiles`` tile kinds."""
    return tiles, tiles + 1, tiles + 2


def context_offsets(rows: int, reach: int, far: int = 0, below: int = 0) -> np.ndarray:
    """(S, 2) int (dr, dc) of the context slots: R rows above x (2L+1) columns, L to the left,
    then the far rows and far left tiles, then the edge slots below."""
    above = [(dr, dc) for dr in range(-rows, 0) for dc in range(-reach, reach + 1)]
    left = [(0, dc) for dc in range(-reach, 0)]
    sparse = [(-rows - 2 * j, dc) for j in range(far, 0, -1) for dc in range(-2 * reach, 2 * reach + 1, 2)]
    sparse += [(0, -reach - 2 * j) for j in range(far, 0, -1)]
    edge = [(dr, 0) for dr in range(1, below + 1)]
    return np.array(above + left + sparse + edge, dtype=np.int64).reshape(-1, 2)


def wavefront_time(height: int, width: int, reach: int) -> np.ndarray:
    """(H, W) int: the pass t = c + (L+1) r in which tile (r, c) is drawn; every tile of its
    context has a smaller t, so the tiles of one t are independent given the earlier ones."""
    r, c = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    return c + (reach + 1) * r


def margins(offsets: np.ndarray) -> tuple[int, int, int]:
    """(top, side, bottom): the padding that holds every slot of every tile."""
    return int(max(0, -offsets[:, 0].min())), int(np.abs(offsets[:, 1]).max()), int(max(0, offsets[:, 0].max()))


def context_index(height: int, width: int, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices into a grid padded by :func:`margins`: (H*W,) of each tile and (H*W, S) of
    its context slots, tiles in raster order."""
    top, side, _ = margins(offsets)
    padded_w = width + 2 * side
    r, c = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    pos = ((r + top) * padded_w + (c + side)).ravel()  # (H*W,)
    return pos, pos[:, None] + (offsets[:, 0] * padded_w + offsets[:, 1])[None, :]


def pad(grids: torch.Tensor, offsets: np.ndarray, value: int) -> torch.Tensor:
    """(B, H, W) ids -> (B, top+H+bottom, side+W+side) with ``value`` around."""
    top, side, bottom = margins(offsets)
    return F.pad(grids, (side, side, top, bottom), value=value)


def gather_context(flat: torch.Tensor, index: torch.Tensor, offsets: np.ndarray, tiles: int) -> torch.Tensor:
    """flat (B, P) padded grids, index (B, M) positions in them -> (B, M) tokens, the edge
    slots (dr > 0; index's last dimension runs over the slots) reduced to BORDER / UNSEEN / INSIDE."""
    tokens = torch.gather(flat, 1, index)
    s = len(offsets)
    edge = torch.from_numpy(offsets[:, 0] > 0).repeat(index.shape[1] // s)[None, :]  # (1, M)
    inside = edge & (tokens < tiles)
    return tokens.masked_fill(inside, extra_tokens(tiles)[2])


def padded_levels(grids: Sequence[np.ndarray], offsets: np.ndarray, tiles: int) -> list[np.ndarray]:
    """Each level surrounded by BORDER as far as any slot reaches, so training windows see the
    level edge as the sampler does."""
    top, side, bottom = margins(offsets)
    return [np.pad(g, ((top, bottom), (side, side)), constant_values=tiles) for g in grids]


def training_windows(model: Any, corpus: LevelCorpus, offsets: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(training, validation) windows of ``model``'s config cut from the corpus's levels padded
    with BORDER (the base's split, augmentation and seeded subsample)."""
    return bordered_windows(model, corpus, lambda grids: padded_levels(grids, offsets, model.config.tiles))


def ranked_picks(windows: torch.Tensor, offsets: np.ndarray, border: int, n: int,
                 generator: torch.Generator) -> torch.Tensor:
    """(B, n) distinct tiles of each (B, k, k) window to score, drawn at random: first those whose
    whole context lies in the window, then the rest; level tiles before BORDER (never scored)."""
    b, k, _ = windows.shape
    _, ctx = context_index(k, k, offsets)
    top, side, _ = margins(offsets)
    row, col = ctx // (k + 2 * side), ctx % (k + 2 * side)
    seen = ((row >= top) & (row < top + k) & (col >= side) & (col < side + k)).all(axis=1)  # (k*k,)
    rank = torch.rand(b, k * k, generator=generator) + 2.0 * torch.from_numpy(~seen)
    return (rank + 4.0 * (windows.reshape(b, -1) >= border)).argsort(dim=1)[:, :n]
