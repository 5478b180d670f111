"""The base of learned level generators: a torch model of tile grids behind the Generator interface.

A model is trained on square windows of a corpus's levels (``procgen.datasets.levels``)
and samples a level of any size in one piece: the convolutional models are fully
convolutional over a noise grid as large as the level, the autoregressive one runs its
scan over the whole level. Sampling splits like the river models': ``draw_noise`` takes
every random number a level needs from that seed's own ``torch.Generator``; ``decode``
turns the noise into tile ids with no randomness, on one thread, one level at a time, so
a level never depends on the batch it was in or the machine's core count.

Every level then gets spawn and goal by the shared rule of ``procgen.levels.endpoints``.
``generate`` draws up to ``draws`` levels from the seed's stream and returns the first
that is playable as drawn (generate and test; a side-view level must pass a comfortable
jump, ``procgen.levels.jumps.COMFORT``, with enemies as air); when none is, it returns the
first with the repair of ``procgen.levels.playability`` (``repair=True``; side-view: gaps
filled, walls lowered, pipes completed, under that same jump), so ``generate`` returns
playable levels. ``repair=False`` returns the unedited draw;
``draws=1, repair=False`` is the model's first draw alone.

The corpus's legend (tile chars to tags) travels with the weights, as UTF-8 JSON bytes in
the safetensors file, so a model folder alone says what its tiles mean.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from procgen.assets import model_folder
from procgen.content import Tile, TileMap
from procgen.datasets.legend import identity_entries
from procgen.datasets.levels import VIEWS, LevelCorpus, build_tileset, load_corpus
from procgen.errors import CheckpointError, ContentError, ParameterError
from procgen.fileio import parse_json
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.learned.core import LearnedConfig, TorchGenerator, training_stream
from procgen.generators.learned.levels.data import grown_to, side_view_window, split_corpus, terrain, windows
from procgen.levels.endpoints import marker_ids, place_endpoints
from procgen.levels.jumps import COMFORT
from procgen.levels.pipes import mirror_ids
from procgen.levels.playability import is_playable, repair
from procgen.seeding import make_rng

LEGEND_KEY = "corpus.legend"
MOVERS = ("enemy", "moving")  # tags of tiles that are no floor for the side-view player


@dataclass(frozen=True, kw_only=True)
class LearnedLevelConfig(LearnedConfig):
    """Sampling and data options every learned level generator has (training settings: LearnedConfig)."""

    width: int = param(64, "columns of a generated level (set by fit to the corpus's widest level)", ge=4, le=1024)
    height: int = param(64, "rows of a generated level (set by fit to the corpus's tallest level)", ge=4, le=1024)
    repair: bool = param(True, "place spawn and goal and repair the level so the goal is reachable "
                               "(side-view: also complete broken pipes); false gives the raw level the model drew")
    draws: int = param(8, "levels drawn per seed until one is playable as drawn (generate and test); "
                          "1 = the model's first draw only", ge=1, le=64)
    tiles: int = param(8, "tile kinds in the corpus legend; set by fit (must match the weights)", ge=2, le=64)
    view: str = param("top-down", "top-down or side-view; set by fit from the corpus", choices=VIEWS)
    window: int = param(16, "side of the square training windows cut from the corpus levels", ge=8, le=128)
    stride: int = param(2, "step between training windows", ge=1, le=128)
    max_windows: int = param(20_000, "most training windows (a seeded subsample beyond this)", ge=64,
                             le=10_000_000)
    augment: bool = param(True, "train on rotated and mirrored windows too (top-down: 8 symmetries; "
                                "side-view: left-right mirror)")
    epochs: int = param(60, "most passes over the training windows", ge=1, le=10_000)
    batch_size: int = param(64, "windows per optimisation step", ge=1, le=65_536)
    patience: int = param(8, "stop after this many epochs without a better validation loss", ge=1)
    max_minutes: float = param(10.0, "stop training after this many minutes", gt=0.0)
    jump_height: int = param(COMFORT.height, "side-view: rows the jump that generate-and-test and repair ask "
                                             "of a level climbs", ge=0, le=64)
    jump_across: int = param(COMFORT.across, "side-view: columns that jump carries (at least 2 x jump_height)",
                             ge=0, le=128)

    def validate(self) -> None:
        if self.window % 4:
            raise ParameterError(f"parameter window must be a multiple of 4, got {self.window}")
        if self.jump_across < 2 * self.jump_height:
            raise ParameterError(f"parameter jump_across must be at least 2 * jump_height = {2 * self.jump_height}"
                                 f" (a jump rises and falls one row per column), got {self.jump_across}")


def placeholder_legend(tiles: int) -> dict[str, Any]:
    """The legend of an untrained model: tile 0 floor, the others walls (fit replaces it)."""
    chars = ".#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRTUVWXYZ0123456789%&*+=@"
    return {"tiles": {chars[i]: ["passable", "floor"] if i == 0 else ["solid", f"tile-{i}"] for i in range(tiles)},
            "view": "top-down"}


def training_corpus(data: Any) -> LevelCorpus:
    """``data`` (a LevelCorpus or a corpus folder) as a corpus with enough levels to split."""
    corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
    if len(corpus) < 3:
        raise ParameterError(f"a level corpus needs at least 3 levels (training, validation, held out); "
                             f"got {len(corpus)}")
    return corpus


class LearnedLevel(TorchGenerator[TileMap]):
    """A torch model of tile grids. Subclasses implement the hooks below."""

    content_type = TileMap
    Config: ClassVar[type[LearnedLevelConfig]] = LearnedLevelConfig
    config: LearnedLevelConfig

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        self.set_legend(placeholder_legend(self.config.tiles))

    # ---- the corpus's tiles --------------------------------------------------------
    def set_legend(self, legend: dict[str, Any]) -> None:
        tileset = build_tileset(legend)
        if len(tileset) != self.config.tiles:
            raise CheckpointError(f"the legend has {len(tileset)} tiles but the model was built for "
                                  f"{self.config.tiles}")
        self.legend: dict[str, Any] = {"tiles": dict(legend["tiles"]), **identity_entries(legend),
                                       "view": self.config.view}  # names, colours travel with the weights
        self.tileset: tuple[Tile, ...] = tileset
        blocked = torch.zeros(len(tileset), dtype=torch.bool)
        for marker in marker_ids(tileset, self.legend).values():
            if marker is not None:
                blocked[marker] = True
        self.blocked = blocked  # (T,) markers: placed by the endpoint rule, never drawn

    def movers(self) -> torch.Tensor:
        """(T,) bool: the tiles tagged as enemies (``MOVERS``)."""
        return self.tag_masks(list(MOVERS)).any(dim=0)

    def side_air(self) -> np.ndarray:
        """(T,) bool: what a side-view player moves through when generate-and-test judges a
        level: air, and enemies too, which walk and fall and so are no floor to count on."""
        return np.array([t.walkable for t in self.tileset]) | self.movers().numpy()

    def tag_masks(self, tags: list[str]) -> torch.Tensor:
        """(K, T) bool: which tiles carry each of ``tags`` (by the legend)."""
        return torch.tensor([[tag in self.legend["tiles"][t.char] for t in self.tileset] for tag in tags],
                            dtype=torch.bool).reshape(len(tags), len(self.tileset))

    def mask_logits(self, logits: torch.Tensor, dim: int = 1) -> torch.Tensor:
        """``logits`` with spawn/goal marker tiles made impossible along the tile axis ``dim``."""
        shape = [1] * logits.ndim
        shape[dim] = -1
        return logits.masked_fill(self.blocked.reshape(shape), float("-inf"))

    # ---- hooks -------------------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator, height: int, width: int) -> dict[str, np.ndarray]:
        """Every random number one level of ``height`` x ``width`` needs, from its own numpy generator."""
        raise NotImplementedError

    def decode(self, noise: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
        """Tile ids (height, width) int64 from one level's float64 noise; no randomness, no marker tiles.

        Runs inside :meth:`inference`, where ``self.module`` is the float64 network; a
        categorical draw compares its uniform with float64 cumulative probabilities."""
        raise NotImplementedError

    def training_setup(self, data: Any, params: dict[str, Any]) -> tuple["LearnedLevel", torch.Tensor,
                                                                          torch.Tensor]:
        """A model sized and tiled for the corpus ``data``, and its training and validation windows.

        The tile count and view come from the corpus; the output size defaults to the
        corpus's largest level unless ``width`` / ``height`` are given.
        """
        corpus = training_corpus(data)
        size = {"height": max(level.shape[0] for level in corpus.levels),
                "width": max(level.shape[1] for level in corpus.levels)}
        if corpus.view == "side-view" and "window" not in params:  # a platformer's window spans its height
            size["window"] = side_view_window([level.tiles for level in corpus.levels])
        model = type(self)(self.config.replace(**{**size, **params, "tiles": len(corpus.tileset),
                                                  "view": corpus.view}))
        model.set_legend(corpus.legend)
        c = model.config
        parts = {split: terrain(levels, corpus) for split, levels in split_corpus(corpus).items()}
        if c.view == "side-view":
            parts = {split: grown_to(grids, c.window) for split, grids in parts.items()}
        train_x = windows(parts["train"], c.window, c.stride, view=c.view, augment=c.augment,
                          mirror=mirror_ids(corpus.tileset))
        if len(train_x) > c.max_windows:  # a seeded subsample: large corpora train in bounded time
            rng = make_rng(training_stream(c.seed, "subsample"))
            keep = np.sort(rng.permutation(len(train_x))[:c.max_windows])
            train_x = train_x[torch.from_numpy(keep)]
        val_x = windows(parts["validation"], c.window, max(c.stride, c.window // 4), view=c.view)
        return model, train_x, val_x

    def noise_tensors(self, rng: np.random.Generator, height: int, width: int) -> dict[str, torch.Tensor]:
        """:meth:`draw_noise` as the float64 tensors :meth:`decode` takes."""
        return {k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in self.draw_noise(rng, height, width).items()}

    # ---- Generator -------------------------------------------------------------------
    def _generate(self, stream: np.random.SeedSequence) -> TileMap:
        # Generate and test: up to `draws` levels from the seed's one stream, drawn in order
        # (fixed shapes), keep the first that is playable as drawn; else repair the first.
        c = self.config
        jump = {"jump_height": c.jump_height, "jump_across": c.jump_across,
                "air": self.side_air()} if c.view == "side-view" else {}
        rng = make_rng(stream)
        first = None
        for _ in range(c.draws):
            level = self._draw(rng)
            if is_playable(level, view=c.view, **jump):
                # A side-view draw can be playable with a broken pipe: repair completes it.
                return repair(level, view=c.view, **jump) if c.repair and c.view == "side-view" else level
            if first is None:
                first = level
        assert first is not None  # draws >= 1
        if c.repair:
            return repair(first, view=c.view, **jump)
        return first

    def _draw(self, rng: np.random.Generator) -> TileMap:
        """One level as the model draws it, with spawn and goal placed by the rule."""
        c = self.config
        noise = self.noise_tensors(rng, c.height, c.width)
        with self.inference():
            ids = self.decode(noise, c.height, c.width)
        grid = ids.numpy().astype(np.int32)  # (H, W)
        if grid.shape != (c.height, c.width):
            raise RuntimeError(f"{self.name} decoded {grid.shape}, not {(c.height, c.width)}")  # a bug
        return place_endpoints(grid, self.tileset, self.legend, c.view)

    # ---- weights: the module's, the extras, and the corpus legend ----------------------
    def fit(self, data: LevelCorpus | str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
            resume: bool = False, progress: bool = False, **params: Any) -> "LearnedLevel":
        """A new generator of this kind trained on ``data`` (a LevelCorpus or a corpus folder)."""
        if not isinstance(data, (LevelCorpus, str, os.PathLike)):
            raise ParameterError("training data must be a LevelCorpus (see procgen.datasets.levels) or a corpus "
                                 f"folder, got {type(data).__name__}")
        corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
        return super().fit(corpus, out=out, resume=resume, progress=progress, **params)  # type: ignore[return-value]

    def _weights(self) -> dict[str, np.ndarray]:
        weights = super()._weights()
        weights[LEGEND_KEY] = np.frombuffer(json.dumps(self.legend, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        return weights

    def _set_weights(self, weights: dict[str, np.ndarray]) -> None:
        weights = dict(weights)
        if LEGEND_KEY not in weights:
            raise CheckpointError(f"the weights hold no {LEGEND_KEY}: not a {self.name} model")
        try:
            legend = parse_json(np.asarray(weights.pop(LEGEND_KEY), dtype=np.uint8).tobytes())
            self.set_legend(legend)
        except (ValueError, ContentError) as exc:
            raise CheckpointError(f"the stored corpus legend is unreadable ({exc})") from None
        super()._set_weights(weights)

    @classmethod
    def pretrained_folder(cls) -> Path | None:
        return model_folder(cls.name)
