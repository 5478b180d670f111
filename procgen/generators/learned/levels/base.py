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
that is playable as drawn (generate and test); when none is, it returns the first with
the minimal repair of ``procgen.levels.playability`` (``repair=True``, top-down views), so
``generate`` returns playable levels. ``repair=False`` returns the unedited draw;
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
from procgen.datasets.levels import VIEWS, LevelCorpus, build_tileset, load_corpus
from procgen.errors import CheckpointError, ContentError, ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.learned.base import init_parameters, load_module_weights, one_thread
from procgen.levels.endpoints import marker_ids, place_endpoints
from procgen.levels.playability import is_playable, repair
from procgen.seeding import torch_generator

LEGEND_KEY = "corpus.legend"
EXTRA_PREFIX = "extra."


@dataclass(frozen=True, kw_only=True)
class LearnedLevelConfig(GeneratorConfig):
    """Sampling and training options every learned level generator has."""

    width: int = param(64, "columns of a generated level (set by fit to the corpus's widest level)", ge=4, le=1024)
    height: int = param(64, "rows of a generated level (set by fit to the corpus's tallest level)", ge=4, le=1024)
    repair: bool = param(True, "place spawn and goal and repair the level so the goal is reachable "
                               "(top-down); false gives the raw level the model drew")
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
    seed: int = param(0, "training seed: weight initialisation, batch order, training noise", ge=0)
    epochs: int = param(60, "most passes over the training windows", ge=1, le=10_000)
    batch_size: int = param(64, "windows per optimisation step", ge=1, le=65_536)
    lr: float = param(2e-3, "Adam learning rate", gt=0.0, le=1.0)
    patience: int = param(8, "stop after this many epochs without a better validation loss", ge=1)
    max_minutes: float = param(10.0, "stop training after this many minutes", gt=0.0)

    def validate(self) -> None:
        if self.window % 4:
            raise ParameterError(f"parameter window must be a multiple of 4, got {self.window}")


def placeholder_legend(tiles: int) -> dict[str, Any]:
    """The legend of an untrained model: tile 0 floor, the others walls (fit replaces it)."""
    chars = ".#abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRTUVWXYZ0123456789%&*+=@"
    return {"tiles": {chars[i]: ["passable", "floor"] if i == 0 else ["solid", f"tile-{i}"] for i in range(tiles)},
            "view": "top-down"}


class LearnedLevel(Generator[TileMap]):
    """A torch model of tile grids. Subclasses implement the hooks below."""

    kind = "learned"
    content_type = TileMap
    Config: ClassVar[type[LearnedLevelConfig]] = LearnedLevelConfig
    config: LearnedLevelConfig

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        self.extras: dict[str, np.ndarray] = {}  # plain arrays saved beside the weights (e.g. data tables)
        self.set_legend(placeholder_legend(self.config.tiles))
        # Building draws default weights from the global RNG; fork it so the caller's global
        # state is untouched, then overwrite every weight from the training seed.
        with torch.random.fork_rng(devices=[]):
            self.module = self.build()
        init_parameters(self.module, torch.Generator().manual_seed(self.config.seed))
        self.module.eval()

    # ---- the corpus's tiles --------------------------------------------------------
    def set_legend(self, legend: dict[str, Any]) -> None:
        tileset = build_tileset(legend)
        if len(tileset) != self.config.tiles:
            raise CheckpointError(f"the legend has {len(tileset)} tiles but the model was built for "
                                  f"{self.config.tiles}")
        self.legend: dict[str, Any] = {"tiles": dict(legend["tiles"]), "view": self.config.view}
        self.tileset: tuple[Tile, ...] = tileset
        blocked = torch.zeros(len(tileset), dtype=torch.bool)
        for marker in marker_ids(tileset, self.legend).values():
            if marker is not None:
                blocked[marker] = True
        self.blocked = blocked  # (T,) markers: placed by the endpoint rule, never drawn

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
    def build(self) -> nn.Module:
        """The network for ``self.config``."""
        raise NotImplementedError

    def draw_noise(self, generator: torch.Generator, height: int, width: int) -> dict[str, torch.Tensor]:
        """Every random number one level of ``height`` x ``width`` needs, from its own generator."""
        raise NotImplementedError

    def decode(self, noise: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
        """Tile ids (height, width) int64 from one level's noise; no randomness, no marker tiles."""
        raise NotImplementedError

    def prepare(self, train_x: torch.Tensor) -> None:
        """Called once before training with the training windows (N, k, k): fit data statistics
        a model keeps in ``self.extras`` (a table of conditions, say). Default: nothing."""

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        """One optimisation step on windows (B, k, k); returns named losses for the progress bar."""
        raise NotImplementedError

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        """A number to minimise on validation windows (early stopping keeps the best)."""
        raise NotImplementedError

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.module.parameters(), lr=self.config.lr)]

    # ---- Generator -------------------------------------------------------------------
    def _generate(self, stream: np.random.SeedSequence) -> TileMap:
        # Generate and test: up to `draws` levels from the seed's one torch stream, drawn in
        # order (fixed shapes), keep the first that is playable as drawn; else repair the first.
        c = self.config
        generator = torch_generator(stream)
        first = None
        for _ in range(c.draws):
            level = self._draw(generator)
            if is_playable(level, view=c.view):
                return level
            if first is None:
                first = level
        assert first is not None  # draws >= 1
        if c.repair and c.view == "top-down":
            return repair(first)
        return first

    def _draw(self, generator: torch.Generator) -> TileMap:
        """One level as the model draws it, with spawn and goal placed by the rule."""
        c = self.config
        noise = self.draw_noise(generator, c.height, c.width)
        with torch.no_grad(), one_thread():
            ids = self.decode(noise, c.height, c.width)
        grid = ids.numpy().astype(np.int32)  # (H, W)
        if grid.shape != (c.height, c.width):
            raise RuntimeError(f"{self.name} decoded {grid.shape}, not {(c.height, c.width)}")  # a bug
        return place_endpoints(grid, self.tileset, self.legend, c.view)

    # ---- training and weights --------------------------------------------------------
    def fit(self, data: LevelCorpus | str | os.PathLike[str], *, out: Any = None, resume: bool = False,
            progress: bool = False, **params: Any) -> "LearnedLevel":
        """A new generator of this kind trained on ``data`` (a LevelCorpus or a corpus folder)."""
        from procgen.generators.learned.levels.train import fit_level_model

        corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
        return fit_level_model(self, corpus, out=out, resume=resume, progress=progress, **params)

    def _weights(self) -> dict[str, np.ndarray]:
        weights = {k: v.detach().cpu().numpy().copy() for k, v in self.module.state_dict().items()}
        weights[LEGEND_KEY] = np.frombuffer(json.dumps(self.legend, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        weights.update({EXTRA_PREFIX + k: np.ascontiguousarray(v) for k, v in self.extras.items()})
        return weights

    def _set_weights(self, weights: dict[str, np.ndarray]) -> None:
        weights = dict(weights)
        if LEGEND_KEY not in weights:
            raise CheckpointError(f"the weights hold no {LEGEND_KEY}: not a {self.name} model")
        try:
            legend = json.loads(np.asarray(weights.pop(LEGEND_KEY), dtype=np.uint8).tobytes().decode("utf-8"))
            self.set_legend(legend)
        except (ValueError, UnicodeDecodeError, ContentError) as exc:
            raise CheckpointError(f"the stored corpus legend is unreadable ({exc})") from None
        self.extras = {k[len(EXTRA_PREFIX):]: np.array(weights.pop(k)) for k in list(weights)
                       if k.startswith(EXTRA_PREFIX)}
        load_module_weights(self.module, weights, self.name)
        self.module.eval()

    @classmethod
    def pretrained_folder(cls) -> Path | None:
        return model_folder(cls.name)
