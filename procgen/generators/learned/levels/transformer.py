"""level/transformer: an autoregressive tile model over a causal neighbourhood, steered by a density.

Model. A level's tiles x_(r,c) are scanned in raster order (row by row, left to right) and

    p(x | d) = prod_(r,c) p(x_(r,c) | N(r,c), d)

where N(r,c) is the tile's causal neighbourhood: the ``rows`` (R) rows above it within
columns c-L..c+L (L = ``reach``), the L tiles to its left, ``far`` sparse rows further up and
tiles further left, and ``below`` edge slots that say whether the level goes on below
(``neighbourhood``: the whole layout and the level edge, so levels keep a wall frame and
rooms close), positions outside the level being a BORDER token, and d is the CONTROL: the share of tiles carrying
``control_tag`` (e.g. "solid") to aim for (see Control below). Every factor is a softmax
over the tile kinds (spawn/goal markers masked out), so ``log_prob`` is exact: the sum of
the per-tile log-probabilities.

Network (``transformer_net``): a tiny transformer with one query token, an embedding of the
control, that attends to the context tokens (each the embedding of its tile plus one of its
slot) through ``layers`` pre-norm blocks; the tile's logits are read from it.

Training is parallel: from each training window (cut from the levels padded with BORDER) a
random subset of ``tiles_per_window`` level tiles is scored, those whose whole context lies in
the window first, each with its context gathered from the window (outside it = UNSEEN, never
mistaken for the level edge); the loss is the mean cross-entropy. (Windows read as BORDER at
their cut edges taught no level edge: samples drew full-width stripes and no wall frame.)

Sampling (``scan``) draws tile by tile in scan order, each tile at its own uniform from
``draw_noise`` (one per tile, and one for the natural density).

Control. A training tile has two conditions, both shares of ``control_tag`` tiles: its
window's (global) and the one in the (2r+1) x (2r+1) box centred on it (local, r =
``control_radius``, clipped to the window). The local share is a position-free statistic of
which about half lies after the tile in scan order, so the model learns to *make* the share
it is asked for; a random LOCAL_DROP of the training tiles get a null local condition (a
flag, as in classifier-free guidance), which leaves the window share alone.

- ``density`` in [0, 1] asks for that share, both conditions set to it: a level of any size
  comes out near it everywhere.
- ``density = -1`` (the default, "natural") draws the window share by the seed from
  DENSITY_QUANTILES quantiles of the training windows' shares (stored with the weights),
  uniformly, with a null local condition, so the share varies across a level as the
  corpus's does. The natural model is the mixture p(x) = (1/K) sum_k p(x | d_k, null).

``log_prob(level)`` (density None) is that mixture's exact log-likelihood;
``log_prob(level, density)`` the steered model's. Both are at the config's ``temperature``
(1 = the trained model), i.e. the likelihood of what ``generate``'s draws are drawn from,
before spawn/goal are placed (markers are scored as the floor tile they stand on).

Tried and dropped: the window share alone steered weakly (it is largely explained by the
context already drawn: overworld mountains asked 0.3 came out 0.06); the local share alone
made the natural mixture a poor density (held-out overworld 0.38 nats/tile against 0.28: a
level's share is not constant); a learned null for both, as the natural mode, drifted to
too much "solid" on vglc-rooms (58% against the corpus's 36%, 3% raw playability).
"""

from __future__ import annotations

import numbers
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from procgen.content import TileMap
from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.errors import ContentError, ParameterError
from procgen.generators.config import param
from procgen.generators.learned.core import one_thread
from procgen.generators.learned.levels.base import LearnedLevel, LearnedLevelConfig
from procgen.generators.learned.levels.data import side_view_window
from procgen.generators.learned.levels.neighbourhood import (EXTRA_TOKENS, context_index, context_offsets,
                                                             extra_tokens, gather_context, pad, ranked_picks,
                                                             training_windows, wavefront_time)
from procgen.generators.learned.levels.transformer_net import ContextTransformer, box_shares, control_features
from procgen.generators.learned.levels.scan import ScanTables, sample_scan
from procgen.generators.registry import register
from procgen.levels.endpoints import marker_ids

__all__ = ["TransformerLevelConfig", "TransformerLevel", "context_offsets", "wavefront_time",
           "default_control_tag", "control_features", "box_shares"]

DENSITY_QUANTILES = 16  # natural densities: this many training-window quantiles, drawn uniformly
LOCAL_DROP = 0.5  # share of training tiles whose local (box) condition is null
VALIDATION_WINDOWS = 512  # validation scores a fixed subset of windows and tiles (cost bounded)
CHUNK = 8192  # tiles per forward pass in log_prob and validation (memory bounded)


@dataclass(frozen=True, kw_only=True)
class TransformerLevelConfig(LearnedLevelConfig):
    """Options of level/transformer (besides every learned level model's)."""

    rows: int = param(3, "rows above a tile that it sees (R)", ge=1, le=8)
    reach: int = param(4, "columns a tile sees to each side in the rows above and to its left (L)", ge=1, le=16)
    window: int = param(24, "side of the square training windows cut from the corpus levels (padded with "
                            "BORDER, so a window may exceed a level)", ge=8, le=128)
    far: int = param(2, "sparse rows above the R (every second row; every second column out to 2L each side) "
                        "and as many sparse tiles further left", ge=0, le=8)
    below: int = param(2, "edge slots below a tile: whether the level goes on 1..below rows down", ge=0, le=4)
    d_model: int = param(48, "width of the transformer", ge=8, le=256)
    heads: int = param(4, "attention heads (must divide d_model)", ge=1, le=16)
    layers: int = param(2, "transformer blocks", ge=1, le=8)
    tiles_per_window: int = param(32, "tiles scored per training window each step (a random subset: windows "
                                      "overlap, so scoring all of them repeats the same contexts)", ge=1, le=16384)
    control_tag: str = param("solid", "tag whose share `density` steers; fit sets it to 'solid' if the corpus "
                                      "legend has it, else the most common tag of a non-walkable tile (must match "
                                      "the weights)")
    control_radius: int = param(4, "the control is the share of control_tag tiles in the (2r+1) x (2r+1) box "
                                   "around a tile (clipped to the training window)", ge=1, le=64)
    density: float = param(-1.0, "share of control_tag tiles to aim for, in [0, 1]; -1 = natural (a share drawn "
                                 "by the seed from the training windows' shares)", ge=-1.0, le=1.0)
    temperature: float = param(1.0, "sampling temperature of every tile's softmax (1 = the trained model)",
                               gt=0.0, le=10.0)

    def validate(self) -> None:
        super().validate()
        if self.d_model % self.heads:
            raise ParameterError(f"parameter heads must divide d_model ({self.d_model}), got {self.heads}")
        if self.density != -1.0 and self.density < 0.0:
            raise ParameterError(f"parameter density must be -1 (natural) or in [0, 1], got {self.density}")


def default_control_tag(corpus: LevelCorpus) -> str:
    """'solid' if the legend has it, else the most common tag of a non-walkable tile."""
    tags = corpus.legend["tiles"]
    if any("solid" in tags[t.char] for t in corpus.tileset):
        return "solid"
    counts = np.bincount(np.concatenate([level.tiles.ravel() for level in corpus.levels]),
                         minlength=len(corpus.tileset))
    score: dict[str, int] = {}
    for tile in corpus.tileset:
        if not tile.walkable:
            for tag in tags[tile.char]:
                score[tag] = 0
    for i, tile in enumerate(corpus.tileset):
        for tag in tags[tile.char]:
            if tag in score:
                score[tag] += int(counts[i])
    if not score:
        raise ParameterError("the corpus has no non-walkable tile to steer; set control_tag to one of its tags")
    return min(score, key=lambda tag: (-score[tag], tag))


# ---- the generator ------------------------------------------------------------------------
@register
class TransformerLevel(LearnedLevel):
    name = "level/transformer"
    description = ("autoregressive tile model: a tiny transformer reads each tile's causal neighbourhood "
                   "(rows above, tiles to the left) and a density control; sampled tile by tile in scan order; "
                   "exact log_prob")
    Config = TransformerLevelConfig
    config: TransformerLevelConfig

    # ---- sizes ------------------------------------------------------------------------
    @property
    def border(self) -> int:
        return self.config.tiles

    @property
    def offsets(self) -> np.ndarray:
        c = self.config
        return context_offsets(c.rows, c.reach, c.far, c.below)

    @property
    def slots(self) -> int:
        return len(self.offsets)

    def build(self) -> nn.Module:
        c = self.config
        return ContextTransformer(c.tiles, self.slots, c.d_model, c.heads, c.layers)

    # ---- the control --------------------------------------------------------------------
    def control_mask(self) -> torch.Tensor:
        """(T,) bool: the tiles carrying ``control_tag``; checked against the trained one."""
        tag = self.config.control_tag
        known = sorted({t for tags in self.legend["tiles"].values() for t in tags})
        if tag not in known:
            raise ParameterError(f"control_tag {tag!r} is no tag of this model's legend; its tags are "
                                 f"{', '.join(known)}")
        mask = self.tag_masks([tag])[0]
        trained = self.extras.get("control")
        if trained is not None and not np.array_equal(np.asarray(trained, dtype=bool), mask.numpy()):
            names = [t.char for t, m in zip(self.tileset, trained) if m]
            raise ParameterError(f"this model was trained to steer the tiles {''.join(names)!r}, not "
                                 f"control_tag {tag!r}; retrain it with that control_tag")
        return mask

    # ---- training -------------------------------------------------------------------------
    def natural_densities(self) -> torch.Tensor:
        """(K,) float32: the training windows' control shares at K quantiles (0.5 when untrained)."""
        stored = self.extras.get("densities")
        return torch.full((1,), 0.5) if stored is None else torch.from_numpy(np.asarray(stored, np.float32))

    def prepare(self, train_x: torch.Tensor) -> None:
        inside = (train_x < self.border).double().sum(dim=(1, 2)).clamp_min(1.0)
        shares = (self._mask_tokens()[train_x].double().sum(dim=(1, 2)) / inside).numpy()  # (N,) per window
        levels = (np.arange(DENSITY_QUANTILES) + 0.5) / DENSITY_QUANTILES
        self.extras["densities"] = np.quantile(shares, levels).astype(np.float32)
        self.extras["control"] = self.control_mask().numpy().astype(np.uint8)
        # The floor markers stand on (data.floor_id's rule, over the training windows).
        counts = np.bincount(train_x.reshape(-1).numpy(), minlength=self.config.tiles)[:self.config.tiles]
        counts = counts.astype(np.float64)
        usable = np.array([t.walkable for t in self.tileset]) & ~self.blocked.numpy()
        self.extras["floor"] = np.array([int(np.argmax(np.where(usable, counts + 1, -1)))], dtype=np.int64)

    def _mask_tokens(self) -> torch.Tensor:
        """(vocab,) bool: the control mask over tiles and the extra tokens (never control tiles)."""
        return torch.cat([self.control_mask(), torch.zeros(EXTRA_TOKENS, dtype=torch.bool)])

    def training_setup(self, data: Any, params: dict[str, Any]) -> tuple["LearnedLevel", torch.Tensor,
                                                                          torch.Tensor]:
        """As :meth:`LearnedLevel.training_setup` (the same model), the windows cut from levels padded
        with BORDER (so a window may be larger than a bare level)."""
        corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
        # The base's model (sized and tiled for the corpus) from a cheap cut; then the real window settings.
        model, _, _ = super().training_setup(corpus, {**params, "window": 8, "stride": 128, "augment": False})
        side_view = corpus.view == "side-view"
        window = params.get("window", side_view_window([lv.tiles for lv in corpus.levels]) if side_view
                            else self.config.window)
        model = type(self)(model.config.replace(window=window, stride=params.get("stride", self.config.stride),
                                                augment=params.get("augment", self.config.augment)))
        model.set_legend(corpus.legend)
        return (model, *training_windows(model, corpus, model.offsets))

    def _window_batch(self, windows: torch.Tensor, picks: torch.Tensor,
                      null: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """windows (B, k, k), picks (B, n) flat tile indices, null (B, n) bool -> context (B*n, S),
        targets (B*n,), controls (B*n, 2): the window's share and the tile's box share (NaN where
        null), both over the level's tiles in the window. Targets that are BORDER are -1 (unscored)."""
        c = self.config
        b, k, _ = windows.shape
        pos, ctx = context_index(k, k, self.offsets)
        pos_t, ctx_t = torch.from_numpy(pos), torch.from_numpy(ctx)  # (k*k,), (k*k, S)
        flat = pad(windows, self.offsets, extra_tokens(c.tiles)[1]).reshape(b, -1)  # (B, P), UNSEEN around
        context = gather_context(flat, ctx_t[picks].reshape(b, -1), self.offsets, c.tiles).reshape(-1, self.slots)
        targets = torch.gather(flat, 1, pos_t[picks]).reshape(-1)  # (B*n,)
        targets = targets.masked_fill(targets >= self.border, -1)
        mask, inside = self._mask_tokens()[windows], windows < self.border  # (B, k, k) each
        boxes = box_shares(mask, c.control_radius) / box_shares(inside, c.control_radius).clamp_min(1e-6)
        local = torch.gather(boxes.reshape(b, -1), 1, picks).masked_fill(null, float("nan"))  # (B, n)
        share = mask.sum(dim=(1, 2)) / inside.sum(dim=(1, 2)).clamp_min(1)
        return context, targets, torch.stack([share[:, None].expand_as(local).float(), local], dim=-1).reshape(-1, 2)

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        b, k, _ = batch.shape
        n = min(self.config.tiles_per_window, k * k)
        picks = ranked_picks(batch, self.offsets, self.border, n, generator)  # (B, n) distinct tiles
        null = torch.rand(b, n, generator=generator) < LOCAL_DROP
        context, targets, controls = self._window_batch(batch, picks, null)
        loss = F.cross_entropy(self.module(context, controls), targets, ignore_index=-1)
        optimizers[0].zero_grad()
        loss.backward()
        optimizers[0].step()
        return {"loss": float(loss.detach())}

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        # A fixed subset (its own stream, not the training one) so epochs compare.
        fixed = self.training_generator("validation")
        if len(data) > VALIDATION_WINDOWS:
            data = data[torch.randperm(len(data), generator=fixed)[:VALIDATION_WINDOWS].sort().values]
        b, k, _ = data.shape
        n = min(4 * self.config.tiles_per_window, k * k)
        picks = ranked_picks(data, self.offsets, self.border, n, fixed)
        null = torch.rand(b, n, generator=fixed) < LOCAL_DROP
        context, targets, controls = self._window_batch(data, picks, null)
        total = 0.0
        for start in range(0, len(targets), CHUNK):
            part = slice(start, start + CHUNK)
            logits = self.module(context[part], controls[part])
            total += float(F.cross_entropy(logits, targets[part], reduction="sum", ignore_index=-1))
        return total / max(1, int((targets >= 0).sum()))

    def fit(self, data: LevelCorpus | str | os.PathLike[str], *, out: Any = None, resume: bool = False,
            progress: bool = False, **params: Any) -> "TransformerLevel":
        """As :meth:`LearnedLevel.fit`; ``control_tag`` defaults to the corpus's (see the config)."""
        corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
        tags = {t for tile_tags in corpus.legend["tiles"].values() for t in tile_tags}
        tag = params.get("control_tag", self.config.control_tag)
        if "control_tag" in params and tag not in tags:
            raise ParameterError(f"control_tag {tag!r} is no tag of the corpus legend; its tags are "
                                 f"{', '.join(sorted(tags))}")
        params["control_tag"] = tag if tag in tags else default_control_tag(corpus)
        return super().fit(corpus, out=out, resume=resume, progress=progress, **params)  # type: ignore[return-value]

    # ---- sampling -------------------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator, height: int, width: int) -> dict[str, np.ndarray]:
        return {"density": rng.random(1),  # picks the natural density
                "tiles": rng.random((height, width))}  # one uniform per tile

    def control_for(self, uniform: torch.Tensor) -> tuple[float, float]:
        """A level's (window share, local share): the config's density for both, or (natural) a
        window share picked by ``uniform`` (1,) and a null local share (NaN)."""
        self.control_mask()  # the control_tag must be the one the weights were trained to steer
        if self.config.density >= 0.0:
            return float(self.config.density), float(self.config.density)
        table = self.natural_densities()
        return float(table[min(int(float(uniform[0]) * len(table)), len(table) - 1)]), float("nan")

    def sample(self, noise: dict[str, torch.Tensor], height: int, width: int,
               record: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Tile ids (H, W), and with ``record`` the probability (H, W) each tile was drawn with."""
        c = self.config
        tables = ScanTables(self.module, self.control_for(noise["density"]), c.temperature,  # type: ignore[arg-type]
                            self.blocked)
        return sample_scan(tables, noise["tiles"], self.offsets, c.tiles, record)

    def decode(self, noise: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
        with torch.inference_mode():
            return self.sample(noise, height, width)[0].clone()

    # ---- likelihood -------------------------------------------------------------------------
    def terrain_ids(self, level: TileMap | np.ndarray) -> torch.Tensor:
        """(H, W) long ids with spawn/goal markers replaced by the floor (as in training)."""
        tiles = level.tiles if isinstance(level, TileMap) else np.asarray(level)
        if tiles.ndim != 2 or tiles.size == 0 or not np.issubdtype(tiles.dtype, np.integer):
            raise ContentError(f"a level is a non-empty (H, W) grid of tile ids, got shape {tiles.shape}")
        if tiles.min() < 0 or tiles.max() >= self.config.tiles:
            raise ContentError(f"tile ids must be in [0, {self.config.tiles}) for this model")
        if isinstance(level, TileMap) and tuple(t.char for t in level.tileset) != tuple(t.char for t in self.tileset):
            raise ContentError(f"the level's tileset is not the one {self.name} was trained on")
        grid = np.array(tiles, dtype=np.int64)
        floor = int(self.extras.get("floor", np.zeros(1, dtype=np.int64))[0])
        for marker in marker_ids(self.tileset, self.legend).values():
            if marker is not None:
                grid[grid == marker] = floor
        return torch.from_numpy(grid)

    def tile_log_probs(self, level: TileMap | np.ndarray, density: float,
                       local: bool = True) -> np.ndarray:
        """(H, W) float64: log p(x_(r,c) | its context, control) of every tile, at the temperature.
        The control is ``density`` for both shares (steered), or with ``local=False`` the window
        share ``density`` and a null local one (one term of the natural mixture)."""
        if isinstance(density, bool) or not isinstance(density, numbers.Real) or not 0.0 <= float(density) <= 1.0:
            raise ParameterError(f"density must be a share in [0, 1], got {density!r}")
        self.control_mask()  # the control_tag must be the one the weights were trained to steer
        control = torch.tensor([[float(density), float(density) if local else float("nan")]])  # (1, 2)
        c, m = self.config, self.module
        grid = self.terrain_ids(level)  # (H, W)
        h, w = grid.shape
        pos, ctx = context_index(h, w, self.offsets)
        flat = pad(grid[None], self.offsets, self.border).reshape(1, -1)
        context = gather_context(flat, torch.from_numpy(ctx).reshape(1, -1), self.offsets, c.tiles).view(h * w, -1)
        targets = flat[0, torch.from_numpy(pos)]  # (H*W, S), (H*W,)
        out = torch.empty(h * w, dtype=torch.float64)
        with torch.no_grad(), one_thread():
            for start in range(0, h * w, CHUNK):
                part = slice(start, start + CHUNK)
                logits = m(context[part], control.expand(len(targets[part]), 2))
                logits = self.mask_logits(logits / c.temperature, dim=1).log_softmax(dim=1)
                out[part] = logits.gather(1, targets[part, None])[:, 0].double()
        return out.view(h, w).numpy()

    def log_prob(self, level: TileMap | np.ndarray, density: float | None = None) -> float:
        """Exact log-likelihood (nats) of ``level`` in scan order: conditional on ``density``, or
        (None) under the natural mixture over the stored training densities."""
        if density is not None:
            return float(self.tile_log_probs(level, density).sum())
        terms = np.array([self.tile_log_probs(level, float(d), local=False).sum() for d in self.natural_densities()])
        top = terms.max()
        return float(top + np.log(np.mean(np.exp(terms - top))))
