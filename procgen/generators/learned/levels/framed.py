"""Framed levels for convolutional level models (level/vae, level/gan): the level edge is data.

A model trained on windows cut *inside* levels never sees where a level ends: the zero
padding of its convolutions at a window's cut edge looks the same as the edge of a level,
so a sampled level gets no wall frame, and a window of 16 tiles holds too little of a
24 x 40 level for its layout (a walled room, a moat around an island, a maze) to be learned.

Here a level is padded with ``frame`` BORDER tiles (id ``T``, one past the tileset) on every
side, and further to at least the window in each dimension; training windows are cut from
the padded levels, so a window holds the level's edge wherever it reaches one. The networks
read two *edge maps* at every resolution: ``inside`` (1 on a level tile) and ``outside``
(1 on BORDER). Beyond a window (a convolution's zero padding) both are 0: unseen, never
mistaken for the level edge. A level is sampled on a *canvas*: the level with ``frame``
BORDER tiles around it, rounded up to a multiple of 4, the same edge maps telling the
decoder where the level lies; only the level's tiles are kept.

The networks (:class:`FramedEncoder`, :class:`FramedDecoder`) add a *level latent*: one
vector per window (the encoder pools its whole window into it), fed to every cell of the
decoder at every resolution, so a level is drawn as one kind (a maze, a moat, a pillar hall)
rather than a stationary mix of every kind.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.generators.learned.levels.data import bordered_windows

SCALE = 4  # the latent grid is 1/4 of the canvas's resolution (level/vae unframed: the level's) along each axis
EDGE_MAPS = 2  # inside, outside


def framed_grids(grids: Sequence[np.ndarray], frame: int, window: int, border: int) -> list[np.ndarray]:
    """Each grid (H, W) surrounded by ``frame`` tiles of ``border``, then padded further (split
    between both sides) to at least ``window`` tiles along each axis."""
    out = []
    for g in grids:
        h, w = g.shape[0] + 2 * frame, g.shape[1] + 2 * frame
        extra_rows, extra_cols = max(0, window - h), max(0, window - w)
        out.append(np.pad(g, ((frame + extra_rows // 2, frame + extra_rows - extra_rows // 2),
                              (frame + extra_cols // 2, frame + extra_cols - extra_cols // 2)),
                          constant_values=border))
    return out


def framed_windows(model: Any, corpus: LevelCorpus) -> tuple[torch.Tensor, torch.Tensor]:
    """(training, validation) windows (N, k, k) of ``model``'s config cut from the corpus's levels
    framed with BORDER (id ``tiles``): the base's split, augmentation and seeded subsample."""
    c = model.config
    return bordered_windows(model, corpus, lambda grids: framed_grids(grids, c.frame, c.window, c.tiles))


def framed_setup(generator: Any, base_setup: Callable[[Any, dict[str, Any]], tuple[Any, Any, Any]], data: Any,
                 params: dict[str, Any]) -> tuple[Any, torch.Tensor, torch.Tensor]:
    """(model, training windows, validation windows) for a framed ``generator``: the model its
    ``base_setup`` (``LearnedLevel.training_setup``) sizes and tiles for the corpus, from a cheap
    cut, then the windows of the corpus's levels framed with BORDER, so a window may be larger
    than a bare level."""
    corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
    model, _, _ = base_setup(corpus, {**params, "window": 8, "stride": 128, "augment": False})
    model = type(generator)(model.config.replace(**{k: params.get(k, getattr(generator.config, k))
                                                    for k in ("window", "stride", "augment")}))
    model.set_legend(corpus.legend)
    return (model, *framed_windows(model, corpus))


def canvas(height: int, width: int, frame: int) -> tuple[int, int]:
    """The sampling canvas of a height x width level: ``frame`` BORDER tiles around it, rounded
    up to a multiple of SCALE along each axis (the level sits at row and column ``frame``)."""
    return -(-(height + 2 * frame) // SCALE) * SCALE, -(-(width + 2 * frame) // SCALE) * SCALE


def canvas_ids(height: int, width: int, frame: int, border: int) -> torch.Tensor:
    """(H', W') int64: the canvas with 0 on the level's tiles and ``border`` around them
    (what :func:`edge_maps` reads)."""
    rows, cols = canvas(height, width, frame)
    ids = torch.full((rows, cols), border, dtype=torch.int64)
    ids[frame:frame + height, frame:frame + width] = 0
    return ids


def level_logits_on_canvas(logits: Callable[[torch.Tensor], torch.Tensor], height: int, width: int, frame: int,
                           border: int) -> torch.Tensor:
    """(T, height, width): the tile logits ``logits`` gives a level's canvas (framed grids
    (1, H', W') -> (1, T, H', W')), cropped to the level's own tiles."""
    ids = canvas_ids(height, width, frame, border)[None]  # (1, H', W')
    return logits(ids)[0, :, frame:frame + height, frame:frame + width]


def edge_maps(ids: torch.Tensor, border: int) -> torch.Tensor:
    """(B, 2, H, W) float: inside (a level tile) and outside (BORDER) maps of ids (B, H, W)."""
    outside = ids == border
    return torch.stack([~outside, outside], dim=1).to(torch.get_default_dtype())


def pooled(edges: torch.Tensor, factor: int) -> torch.Tensor:
    """Edge maps at 1/``factor`` resolution: the share of inside and outside tiles per cell."""
    return edges if factor == 1 else F.avg_pool2d(edges, factor, ceil_mode=True)


def one_hot_framed(ids: torch.Tensor, tiles: int) -> torch.Tensor:
    """(B, T + 1, H, W): one-hot tiles, the last channel BORDER (the outside map)."""
    return F.one_hot(ids, tiles + 1).permute(0, 3, 1, 2).to(torch.get_default_dtype())


class ResBlock(nn.Module):
    """x + conv(silu(conv(silu(x)))) over features with the edge maps appended to each input."""

    def __init__(self, channels: int, dilation: int = 1) -> None:
        super().__init__()
        self.first = nn.Conv2d(channels + EDGE_MAPS, channels, 3, padding=dilation, dilation=dilation)
        self.second = nn.Conv2d(channels + EDGE_MAPS, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
        h = self.first(torch.cat([F.silu(x), edges], dim=1))
        return x + self.second(torch.cat([F.silu(h), edges], dim=1))


def broadcast(vector: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """(B, K) as K constant maps the size of ``like`` (B, C, h, w)."""
    b, _, h, w = like.shape
    return vector[:, :, None, None].expand(b, vector.shape[1], h, w)


class FramedEncoder(nn.Module):
    """q(z, g | x): framed one-hot tiles (B, T + 1, H, W) -> per-cell mean and log sd
    (B, Cz, H/4, W/4) and the level latent's mean and log sd (B, G)."""

    def __init__(self, tiles: int, channels: int, latent: int, level_latent: int) -> None:
        super().__init__()
        wide = 2 * channels
        self.stem = nn.Conv2d(tiles + 1 + 1, channels, 3, padding=1)  # + the inside map
        self.full_res = ResBlock(channels)
        self.down_half = nn.Conv2d(channels, wide, 3, stride=2, padding=1)
        self.half_res = ResBlock(wide)
        self.down_quarter = nn.Conv2d(wide, wide, 3, stride=2, padding=1)
        self.quarter_res = ResBlock(wide, dilation=2)
        self.head = nn.Conv2d(wide, 2 * latent, 1)
        self.level_head = nn.Linear(wide, 2 * level_latent) if level_latent else None

    def forward(self, one_hot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        edges = torch.stack([1 - one_hot[:, -1], one_hot[:, -1]], dim=1)  # (B, 2, H, W)
        h = self.full_res(self.stem(torch.cat([one_hot, edges[:, :1]], dim=1)), edges)
        h = self.half_res(self.down_half(F.silu(h)), pooled(edges, 2))
        h = F.silu(self.quarter_res(self.down_quarter(F.silu(h)), pooled(edges, 4)))  # (B, 2C, H/4, W/4)
        mu, log_sd = self.head(h).chunk(2, dim=1)
        if self.level_head is None:
            empty = h.new_zeros((h.shape[0], 0))
            return mu, log_sd.clamp(-9.0, 4.0), empty, empty
        g_mu, g_log_sd = self.level_head(h.mean(dim=(2, 3))).chunk(2, dim=1)  # (B, G) each
        return mu, log_sd.clamp(-9.0, 4.0), g_mu, g_log_sd.clamp(-9.0, 4.0)


class FramedDecoder(nn.Module):
    """p(x | z, g, edges): per-cell codes (B, Cz, h, w), level codes (B, G) and the canvas's
    edge maps (B, 2, 4h, 4w) -> tile logits (B, T, 4h, 4w)."""

    def __init__(self, tiles: int, channels: int, latent: int, level_latent: int) -> None:
        super().__init__()
        wide = 2 * channels
        self.stem = nn.Conv2d(latent + level_latent + EDGE_MAPS, wide, 3, padding=1)
        self.quarter_res = nn.ModuleList([ResBlock(wide), ResBlock(wide, dilation=2), ResBlock(wide)])
        # Upsampling by sub-pixel convolution (a conv to 4x the channels, then PixelShuffle): each
        # of the 2 x 2 output positions of a cell has its own weights, so a cell can draw a
        # pattern finer than itself (a pillar grid, a maze's corridors); nearest-neighbour
        # upsampling copies a cell's features to all four, and a uniform area drew blobs.
        self.up_half = nn.Conv2d(wide + level_latent + EDGE_MAPS, 4 * wide, 3, padding=1)
        self.half_res = ResBlock(wide)
        self.up_full = nn.Conv2d(wide + EDGE_MAPS, 4 * channels, 3, padding=1)
        self.full_res = ResBlock(channels)
        self.head = nn.Conv2d(channels, tiles, 1)

    def forward(self, z: torch.Tensor, g: torch.Tensor, edges: torch.Tensor) -> torch.Tensor:
        quarter, half = pooled(edges, 4), pooled(edges, 2)
        h = self.stem(torch.cat([z, broadcast(g, z), quarter], dim=1))  # (B, 2C, h, w)
        for block in self.quarter_res:
            h = block(h, quarter)
        h = F.pixel_shuffle(self.up_half(torch.cat([F.silu(h), broadcast(g, h), quarter], dim=1)), 2)
        h = self.half_res(h, half)  # (B, 2C, 2h, 2w)
        h = F.pixel_shuffle(self.up_full(torch.cat([F.silu(h), half], dim=1)), 2)
        h = self.full_res(h, edges)  # (B, C, 4h, 4w)
        return self.head(F.silu(h))  # (B, T, 4h, 4w)
