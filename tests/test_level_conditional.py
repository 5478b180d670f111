"""level/conditional: parameters chosen by fit, targets, the parameter table, and the shipped models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import procgen
from procgen.datasets.levels import load_corpus
from procgen.errors import ParameterError
from procgen.generators.learned.levels.conditional import (NEAREST, ConditionalLevel, choose_parameters,
                                                           parse_parameters, parse_targets)
from procgen.generators.learned.levels.data import tag_shares

ROOMS = "assets/levels/vglc-rooms"
SHIPPED = ConditionalLevel.pretrained_folder()
SHIPPED_ROOMS = SHIPPED.parent / "level-conditional-rooms"
needs_shipped = pytest.mark.skipif(not (SHIPPED / "model.json").is_file(),
                                   reason="no shipped level/conditional weights")
# frame=0: the unframed network of the shipped overworld model; the framed one has its own test.
TINY = dict(window=8, max_windows=256, epochs=3, batch_size=64, latent=4, channels=8, patience=5, frame=0)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOMS)


@pytest.fixture(scope="module")
def trained(corpus) -> ConditionalLevel:
    return ConditionalLevel().fit(corpus, **TINY)


def _shares(model: ConditionalLevel, levels, tag: str) -> np.ndarray:
    """Share of each level's tiles that carry ``tag``."""
    mask = model.tag_masks([tag])[0].numpy()  # (T,)
    return np.array([mask[level.tiles].mean() for level in levels])


# ---- parameters and targets -----------------------------------------------------------------
def test_fit_chooses_common_distinct_tags_and_stores_them(trained: ConditionalLevel, tmp_path) -> None:
    # Most common first (training levels: 44%, 41%, 13%); wall marks the same tiles as solid,
    # coin (0.9%) is under 1%, passable/spawn/goal never count.
    assert trained.config.parameters == "solid,floor,water"
    assert trained.extras["table"].shape[1] == 3 and trained.module.decoder.stem.in_channels == 4 + 3
    loaded = procgen.get(str(trained.save(tmp_path / "cond")))
    assert loaded.config.parameters == trained.config.parameters
    assert loaded.generate(4) == trained.generate(4)


def test_overworld_parameters_are_its_four_commonest_tags() -> None:
    # water 36%, grass 26%, deep water 18%, forest 16%; then hill (9%) would be the fifth.
    assert choose_parameters(load_corpus("assets/levels/overworld-64")) == ["water", "grass", "deep water", "forest"]


def test_given_parameters_are_kept_and_checked(corpus) -> None:
    model = ConditionalLevel(parameters="water, coin").fit(corpus, **{**TINY, "epochs": 1})
    assert model.parameter_tags() == ["water", "coin"] and model.extras["table"].shape[1] == 2
    with pytest.raises(ParameterError, match="parameters.*'lava'"):
        ConditionalLevel(parameters="water,lava").fit(corpus, **{**TINY, "epochs": 1})


@pytest.mark.parametrize("text", ["water", "water=", "water=1.5", "water=-0.1", "water=abc", "=0.3",
                                  "water=0.1,water=0.2", "water=nan"])
def test_bad_targets_text_names_the_parameter(text: str) -> None:
    with pytest.raises(ParameterError, match="targets"):
        ConditionalLevel(targets=text)


@pytest.mark.parametrize("text", ["a,,b", "a,a", "a=1"])
def test_bad_parameters_text_names_the_parameter(text: str) -> None:
    with pytest.raises(ParameterError, match="parameters"):
        ConditionalLevel(parameters=text)


def test_parsing() -> None:
    assert parse_parameters(" water , deep water") == ["water", "deep water"] and parse_parameters(" ") == []
    assert parse_targets("water=0.4, forest = 0.2") == {"water": 0.4, "forest": 0.2} and parse_targets("") == {}


def test_targets_must_name_a_parameter(trained: ConditionalLevel) -> None:
    with pytest.raises(ParameterError, match="targets.*'lava'"):
        trained.with_params(targets="lava=0.3")
    with pytest.raises(ParameterError, match="targets"):
        ConditionalLevel(height=8, width=8, targets="lava=0.3").generate(0)  # unfitted: checked on use


def test_parameters_are_fixed_by_fit(trained: ConditionalLevel) -> None:
    reordered = ",".join(reversed(trained.parameter_tags()))
    with pytest.raises(ParameterError, match="parameters"):
        trained.with_params(parameters=reordered)


def test_untargeted_parameters_come_from_the_table(trained: ConditionalLevel) -> None:
    table = torch.from_numpy(trained.extras["table"])  # (N, K)
    tags = trained.parameter_tags()
    for pick in (0.0, 0.37, 0.999):
        row = trained.parameters_for(torch.tensor(pick))
        assert (table == row).all(dim=1).any()  # no targets: a row of the table as it is
    aimed = trained.with_params(targets="water=0.6")
    w = tags.index("water")
    nearest = torch.sort((table[:, w] - 0.6).abs(), stable=True).values[NEAREST - 1]
    for pick in (0.0, 0.5, 0.99):
        row = aimed.parameters_for(torch.tensor(pick))
        assert float(row[w]) == pytest.approx(0.6)
        # The other parameters are those of a row among the NEAREST closest in water.
        others = [k for k in range(len(tags)) if k != w]
        candidates = table[(table[:, w] - 0.6).abs() <= nearest + 1e-6]
        assert (candidates[:, others] == row[others]).all(dim=1).any()


def test_training_conditions_are_the_windows_own_shares(trained: ConditionalLevel, corpus) -> None:
    x = torch.randint(0, len(corpus.tileset), (5, 8, 8), generator=torch.Generator().manual_seed(0))
    shares = tag_shares(x, trained.tag_masks(trained.parameter_tags()))  # (5, K)
    expected = (shares - torch.from_numpy(trained.extras["mean"])) / torch.from_numpy(trained.extras["scale"])
    assert torch.allclose(trained.window_conditions(x), expected)


def test_framed_model_reads_its_parameters_beside_the_level_latent(corpus) -> None:
    """Framed (the default), the parameters join the level latent as one vector the decoder
    reads, and a window's parameters are the shares of its level tiles, BORDER not counted."""
    model = ConditionalLevel().fit(corpus, **{**TINY, "frame": 4, "window": 16, "epochs": 1, "level_latent": 6})
    assert model.framed and model.config.parameters == "solid,floor,water"
    assert model.module.decoder.stem.in_channels == 4 + 6 + 3 + 2  # z, g, parameters, edge maps
    border, water = model.config.tiles, [t.char for t in model.tileset].index("~")
    x = torch.full((1, 16, 16), border)
    x[0, 4:12, 4:12] = water  # a level of water in its frame
    raw = tag_shares(x, model.tag_masks(model.parameter_tags()), border=True)  # (1, K)
    assert raw.tolist() == [[0.0, 0.0, 1.0]]
    scale, mean = torch.from_numpy(model.extras["scale"]), torch.from_numpy(model.extras["mean"])
    assert torch.allclose(model.window_conditions(x), (raw - mean) / scale)
    dry, wet = (model.with_params(targets=f"water={w}", draws=1, repair=False) for w in (0.0, 1.0))
    assert dry.generate(5) != wet.generate(5)  # same noise, other parameters: another level
    assert dry.generate_batch([5, 6]) == [dry.generate(5), dry.generate(6)]


def test_same_seed_same_level_with_targets(trained: ConditionalLevel) -> None:
    model = trained.with_params(targets="water=0.3", height=19, width=21, temperature=0.5)
    assert model.generate(3) == model.generate(3) and model.generate(3) != model.generate(4)
    assert model.generate_batch([3, 4]) == [model.generate(3), model.generate(4)]
    assert model.generate(3).shape == (19, 21)


def test_untrained_model_samples_any_size() -> None:
    model = ConditionalLevel(tiles=5, latent=3, channels=8, height=13, width=9)
    assert model.conditions() == 4 and model.generate(0).shape == (13, 9)


# ---- the shipped models --------------------------------------------------------------------
@needs_shipped
def test_asking_for_more_water_gives_more_water() -> None:
    model = procgen.get("level/conditional", repair=False, height=32, width=32, draws=1)
    assert "water" in model.parameter_tags()
    means = []
    for target in (0.1, 0.3, 0.5, 0.7, 0.9):
        levels = model.with_params(targets=f"water={target}").generate_batch(range(8))
        means.append(float(_shares(model, levels, "water").mean()))
    assert all(a < b for a, b in zip(means, means[1:])), means  # monotone
    assert means[0] < 0.2 and means[-1] > 0.75, means  # and near what was asked at the ends


@needs_shipped
def test_shipped_rooms_model_follows_its_parameters() -> None:
    model = procgen.get(str(SHIPPED_ROOMS), repair=False, draws=1)
    assert model.legend["tiles"] == load_corpus(ROOMS).legend["tiles"]
    low = model.with_params(targets="water=0.0").generate_batch(range(6))
    high = model.with_params(targets="water=0.5").generate_batch(range(6))
    assert _shares(model, low, "water").mean() + 0.2 < _shares(model, high, "water").mean()


@needs_shipped
def test_default_name_loads_the_overworld_model() -> None:
    model = procgen.get("level/conditional")
    assert type(model) is ConditionalLevel and model.config.tiles == 11
    level = model.generate("mossy-canyon")
    assert level.shape == (model.config.height, model.config.width) == (64, 64)
    assert level.spawn is not None and level.goal is not None
