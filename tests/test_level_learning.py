"""What every learned level model shares: corpus splits, training windows, spawn/goal placement,
the legend stored with the weights, repair, and the level evaluation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

import procgen
from procgen.content import TileMap
from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.errors import CheckpointError, ParameterError
from procgen.evaluate.level_models import (LevelModelResult, _copy_share, _training_windows,
                                           evaluate_level_model)
from procgen.generators.folder import _read_document, _read_weights
from procgen.generators.learned.levels.base import LearnedLevel
from procgen.generators.learned.levels.data import family, split_corpus, split_names, terrain, windows
from procgen.levels import is_playable
from procgen.levels.endpoints import endpoint_cells, marker_ids, place_endpoints

ROOMS = "assets/levels/vglc-rooms"


class Independent(LearnedLevel):
    """The smallest learned level model: one softmax over tiles, drawn independently per cell."""

    name = "level/test-independent"
    description = "test only"

    def build(self) -> nn.Module:
        module = nn.Module()
        module.logits = nn.Parameter(torch.zeros(self.config.tiles, 1))  # (T, 1)
        return module

    def draw_noise(self, rng: np.random.Generator, height: int, width: int) -> dict[str, np.ndarray]:
        return {"u": rng.random((height, width))}

    def _probs(self) -> torch.Tensor:
        return torch.softmax(self.mask_logits(self.module.logits[:, 0], 0), 0)  # (T,)

    def decode(self, noise: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
        cdf = torch.cumsum(self._probs(), 0)
        ids = torch.searchsorted(cdf, noise["u"].reshape(-1).contiguous()).clamp(max=self.config.tiles - 1)
        return ids.reshape(height, width)

    def _loss(self, batch: torch.Tensor) -> torch.Tensor:
        logits = self.module.logits[:, 0].expand(batch.numel(), -1)  # (N, T)
        return nn.functional.cross_entropy(logits, batch.reshape(-1))

    def training_step(self, batch, optimizers, generator):  # type: ignore[no-untyped-def]
        optimizers[0].zero_grad()
        loss = self._loss(batch)
        loss.backward()
        optimizers[0].step()
        return {"loss": float(loss.detach())}

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        return float(self._loss(data))


Independent.Config.generator_name = Independent.name  # not registered: a test double


@pytest.fixture(scope="module")
def rooms() -> LevelCorpus:
    return load_corpus(ROOMS)


@pytest.fixture(scope="module")
def model(rooms: LevelCorpus) -> Independent:
    return Independent().fit(rooms, epochs=8, lr=0.05, max_windows=512)


def test_split_is_stratified_by_family_and_stable(rooms: LevelCorpus) -> None:
    parts = split_names(rooms.names)
    assert sorted(sum(parts.values(), [])) == list(range(len(rooms)))
    held = [rooms.names[i] for i in parts["holdout"]]
    assert len(held) == 2 and len({family(n) for n in held}) == 2  # two kinds, not two mazes
    flipped = split_names(list(reversed(rooms.names)))
    names_back = {k: sorted(rooms.names[len(rooms) - 1 - i] for i in v) for k, v in flipped.items()}
    assert names_back == {k: sorted(rooms.names[i] for i in v) for k, v in parts.items()}
    assert family("cave-03") == "cave" and family("overworld_0012") == "overworld" and family("boss") == "boss"


def test_windows_cover_edges_and_augment(rooms: LevelCorpus) -> None:
    grid = np.arange(20 * 30).reshape(20, 30)
    cut = windows([grid], 8, 5)
    assert cut.shape[1:] == (8, 8)
    corners = {(int(w[0, 0]), int(w[-1, -1])) for w in cut}
    assert (0, 7 * 30 + 7) in corners and ((12) * 30 + 22, 19 * 30 + 29) in corners  # last row/col included
    assert len(windows([grid], 8, 5, augment=True)) == 8 * len(cut)
    assert len(windows([grid], 8, 5, view="side-view", augment=True)) == 2 * len(cut)
    with pytest.raises(ParameterError, match="window"):
        windows([np.zeros((4, 4), dtype=np.int64)], 8, 1)


def test_terrain_strips_markers(rooms: LevelCorpus) -> None:
    markers = [m for m in marker_ids(rooms.tileset, rooms.legend).values()]
    assert None not in markers
    for grid in terrain(rooms.levels, rooms):
        assert not np.isin(grid, markers).any()


def test_endpoint_rule_west_and_east() -> None:
    walkable = np.zeros((5, 7), dtype=bool)
    walkable[1:4, 1:6] = True
    assert endpoint_cells(walkable) == ((2, 1), (2, 5))
    side = np.zeros((5, 7), dtype=bool)
    side[:4] = True  # bottom row solid: standable cells are row 3
    assert endpoint_cells(side, "side-view") == ((3, 0), (3, 6))
    assert endpoint_cells(np.zeros((3, 3), dtype=bool)) == (None, None)


def test_place_endpoints_writes_marker_tiles(rooms: LevelCorpus) -> None:
    floor = [t.char for t in rooms.tileset].index(".")
    level = place_endpoints(np.full((6, 9), floor), rooms.tileset, rooms.legend)
    assert level.spawn == (2, 0) and level.goal == (2, 8)  # ties go to the first in row-major order
    assert rooms.tileset[level.tiles[level.spawn]].char == "S"
    assert rooms.tileset[level.tiles[level.goal]].char == "G"
    assert is_playable(level)


def test_fit_takes_tiles_view_and_size_from_the_corpus(model: Independent, rooms: LevelCorpus) -> None:
    c = model.config
    assert (c.tiles, c.view) == (len(rooms.tileset), "top-down")
    assert (c.height, c.width) == (max(l.shape[0] for l in rooms.levels), max(l.shape[1] for l in rooms.levels))
    assert model.tileset == rooms.tileset
    probs = model._probs().detach()
    assert rooms.tileset[int(torch.argmax(probs))].char in ".#"  # learned the common tiles
    assert float(probs[model.blocked].sum()) == 0.0


def test_generate_is_playable_and_never_draws_markers(model: Independent) -> None:
    markers = torch.nonzero(model.blocked).ravel().tolist()
    for seed in range(5):
        raw = model.with_params(repair=False).generate(seed)
        level = model.generate(seed)
        assert isinstance(level, TileMap) and level.shape == (model.config.height, model.config.width)
        assert is_playable(level)
        # markers only where the rule put spawn and goal
        assert sorted(map(tuple, np.argwhere(np.isin(raw.tiles, markers)).tolist())) == sorted([raw.spawn, raw.goal])
    assert model.with_params(width=50, height=9).generate(1).shape == (9, 50)


def test_legend_travels_with_the_weights(model: Independent, tmp_path) -> None:
    folder = model.save(tmp_path / "m")
    # The test double is not registered, so rebuild it by hand from the folder's two files.
    document = _read_document(folder)
    clone = Independent(Independent.Config.from_dict(document["config"]))
    clone._set_weights(_read_weights(folder, document["weights"]))
    assert clone.legend == model.legend and clone.tileset == model.tileset
    assert clone.generate("shared") == model.generate("shared")
    broken = dict(model._weights())
    broken["corpus.legend"] = np.frombuffer(b"{not json", dtype=np.uint8)
    with pytest.raises(CheckpointError, match="legend"):
        clone._set_weights(broken)
    del broken["corpus.legend"]
    with pytest.raises(CheckpointError, match="legend"):
        clone._set_weights(broken)


def test_fit_rejects_tiny_corpora_and_bad_windows(rooms: LevelCorpus) -> None:
    two = LevelCorpus(rooms.levels[:2], rooms.names[:2], rooms.legend)
    with pytest.raises(ParameterError, match="at least 3 levels"):
        Independent().fit(two)
    with pytest.raises(ParameterError, match="multiple of 4"):
        Independent(window=10)
    with pytest.raises(ParameterError, match="window"):
        Independent().fit(rooms, window=64)


def test_copies_tell_one_tile_blocks_from_copied_layouts() -> None:
    """A window of solid rock is a copy of any rock in training, yet no layout copied: it is
    counted among the copies and again as one tile; a copied mixed window only as a copy."""
    train = [np.zeros((8, 8), dtype=np.int64)]
    train[0][4:, 4:] = np.arange(16).reshape(4, 4)  # a 4x4 layout in one corner, rock elsewhere
    rock, layout, fresh = np.zeros((4, 4)), train[0][4:, 4:], np.full((4, 4), 20)
    generated = [np.block([[rock, layout], [fresh, fresh]])]  # 4 windows: rock, the layout, 2 new
    seen = _training_windows(train, 4)
    assert _copy_share(generated, seen, 4) == (0.5, 0.25)
    assert _copy_share([np.block([[fresh, layout]])], seen, 4) == (0.5, 0.0)


@pytest.mark.parametrize(("copies", "uniform", "held", "held_uniform", "met"), [
    (0.05, 0.05, 0.0, 0.0, True),  # all-rock windows only: no layout copied
    (0.05, 0.04, 0.0, 0.0, False),  # one layout copied where unseen real levels copy none
    (0.043, 0.035, 0.031, 0.021, True),  # level-gan-overworld: 0.8% layouts against the real 1.0%
    (0.03, 0.0, 0.031, 0.021, False),  # fewer copies than the real levels, but more layouts
])
def test_novelty_target_counts_layouts_against_the_real_levels(
        copies: float, uniform: float, held: float, held_uniform: float, met: bool) -> None:
    """The target compares copied layouts with the held-out levels' own: one-tile windows
    copy nothing, and a real level repeating a layout is the corpus's rate, not a model's fault."""
    fields = {f.name: None for f in dataclasses.fields(LevelModelResult)}
    result = LevelModelResult(**{**fields, "copies": copies, "uniform_copies": uniform,  # type: ignore[arg-type]
                                 "corpus_copies": held, "corpus_uniform_copies": held_uniform})
    assert result.copies_no_more_than_real() is met
    assert result.layout_copies == pytest.approx(copies - uniform)


@pytest.mark.parametrize("name", ["level/vae", "level/gan", "assets/models/level-conditional-rooms"])
def test_shipped_rooms_models_draw_the_corpus_wall_frame(name: str) -> None:
    """Every vglc-rooms level is closed by a frame of wall or water; so are the raw draws of the
    framed models (the transformer learns the edge too, but not so often a whole frame)."""
    model = procgen.get(name).with_params(draws=1, repair=False)
    walkable = np.array([t.walkable for t in model.tileset])
    for seed in range(8):
        tiles = model.generate(seed).tiles
        edge = np.concatenate([tiles[0], tiles[-1], tiles[1:-1, 0], tiles[1:-1, -1]])
        assert (~walkable[edge]).mean() > 0.9, seed  # spawn and goal stand on the edge


def test_evaluation_figures(model: Independent, rooms: LevelCorpus) -> None:
    result = evaluate_level_model(model, rooms, count=12)
    assert result.repaired_playability == 1.0
    assert 0.0 <= result.raw_playability <= 1.0 and result.repaired_share >= 1.0 - result.raw_playability - 1e-9
    # Independent tiles is (about) the baseline itself: far above the data's own floor.
    assert result.kl.mean > result.corpus_kl.mean
    assert result.copies == 0.0 and result.uniform_copies == 0.0 and result.nearest > 0.2
    assert result.copies_text() == (f"0.0% (layout 0.0%; held-out {result.corpus_copies:.1%}, "
                                    f"layout {result.corpus_layout_copies:.1%})")
    assert result.copies_no_more_than_real()
    assert result.corpus_raw_playability == 1.0  # every shipped room crosses west to east
    with pytest.raises(ParameterError, match="tile levels"):
        evaluate_level_model(procgen.get("river/coinflip"), rooms)
