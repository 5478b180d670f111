"""level/transformer: the causal neighbourhood, sampling in scan order, exact log_prob, the density control."""

from __future__ import annotations

from pathlib import Path

import numba
import numpy as np
import pytest
import torch

import procgen
from procgen.content import TileMap
from procgen.datasets.levels import LevelCorpus, build_tileset, load_corpus
from procgen.errors import ParameterError
from procgen.generators import generator_class
from procgen.generators.learned.levels.data import split_corpus, terrain
from procgen.generators.learned.levels.scan import passes
from procgen.generators.learned.levels.transformer import (TransformerLevel, box_shares, context_offsets,
                                                           control_features, default_control_tag, wavefront_time)

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ROOT / "assets" / "levels" / "vglc-rooms"
OVERWORLD_MODEL = ROOT / "assets" / "models" / "level-transformer-overworld"
TINY = {"epochs": 2, "window": 8, "max_windows": 256, "batch_size": 32, "d_model": 16, "heads": 2,
        "tiles_per_window": 8}


@pytest.fixture(scope="module")
def rooms() -> LevelCorpus:
    return load_corpus(ROOMS)


@pytest.fixture(scope="module")
def tiny(rooms: LevelCorpus, tmp_path_factory: pytest.TempPathFactory) -> TransformerLevel:
    out = tmp_path_factory.mktemp("models") / "tiny"
    return generator_class("level/transformer")().fit(rooms, out=out, **TINY)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def shipped() -> TransformerLevel:
    return procgen.get("level/transformer")  # type: ignore[return-value]


def _noise(model: TransformerLevel, seed: int, h: int, w: int) -> dict[str, torch.Tensor]:
    return model.noise_tensors(np.random.default_rng(seed), h, w)


# ---- the neighbourhood and the wavefront -------------------------------------------------

@pytest.mark.parametrize("rows, reach", [(3, 4), (1, 1), (2, 5)])
def test_every_context_tile_is_drawn_in_an_earlier_pass(rows: int, reach: int) -> None:
    offsets = context_offsets(rows, reach)
    assert len(offsets) == rows * (2 * reach + 1) + reach
    t = wavefront_time(9, 13, reach)
    for r in range(9):
        for c in range(13):
            for dr, dc in offsets:
                if 0 <= r + dr < 9 and 0 <= c + dc < 13:
                    assert t[r + dr, c + dc] < t[r, c]
    assert t.max() + 1 == 13 + (reach + 1) * (9 - 1)  # W + (L+1)(H-1) passes


@pytest.mark.parametrize("far, below", [(0, 0), (2, 2)])
def test_far_and_edge_slots_precede_the_tile(far: int, below: int) -> None:
    offsets = context_offsets(3, 4, far, below)
    assert len(offsets) == 3 * 9 + 4 + far * (9 + 1) + below
    t = wavefront_time(20, 20, 4)
    for r in range(20):
        for c in range(20):
            for dr, dc in offsets:
                if dr > 0:  # an edge slot reads no tile
                    assert dc == 0
                elif 0 <= r + dr < 20 and 0 <= c + dc < 20:
                    assert t[r + dr, c + dc] < t[r, c] and (dr < 0 or dc < 0)  # earlier in both orders


@pytest.fixture(scope="module")
def tiny_far(rooms: LevelCorpus) -> TransformerLevel:
    model = generator_class("level/transformer")().fit(rooms, **{**TINY, "far": 1, "below": 2})
    return model  # type: ignore[return-value]


@pytest.mark.parametrize("which", ["tiny", "tiny_far"])
def test_sampled_probabilities_are_the_teacher_forced_ones(which: str, request: pytest.FixtureRequest) -> None:
    """The sampler draws each tile from exactly the factor log_prob scores it with: the
    draws respect the scan order's causality (a wrong order would change the context), and
    the edge slots read the same INSIDE / BORDER in both."""
    tiny = request.getfixturevalue(which)
    for density, (h, w) in ((0.3, (11, 17)), (0.7, (20, 9)), (-1.0, (13, 13))):
        model = tiny.with_params(density=density)
        with model.inference():
            ids, drawn = model.sample(_noise(model, 5, h, w), h, w, record=True)
        assert ids.shape == (h, w) and drawn is not None
        window, local = model.control_for(_noise(model, 5, h, w)["density"])
        assert (local == window) if density >= 0 else np.isnan(local)
        per_tile = model.tile_log_probs(ids.numpy(), window, local=density >= 0)
        np.testing.assert_allclose(np.log(drawn.double().numpy()), per_tile, atol=2e-3)


@pytest.mark.parametrize("far, below", [(0, 0), (2, 2)])
def test_the_sampler_passes_hold_only_tiles_of_finished_contexts(far: int, below: int) -> None:
    """The compiled sampler draws a pass's tiles at once: each tile once, passes in order, and
    every context tile in an earlier pass (an edge slot below: a later one, still undrawn)."""
    offsets = context_offsets(3, 4, far, below)
    order, starts = passes(12, 17, offsets)
    assert sorted(order.tolist()) == list(range(12 * 17)) and starts[0] == 0 and starts[-1] == 12 * 17
    drawn_in = np.empty(12 * 17, dtype=np.int64)
    for p in range(len(starts) - 1):
        drawn_in[order[starts[p]:starts[p + 1]]] = p
    drawn_in = drawn_in.reshape(12, 17)
    for r in range(12):
        for c in range(17):
            for dr, dc in offsets:
                if 0 <= r + dr < 12 and 0 <= c + dc < 17:
                    assert (drawn_in[r + dr, c + dc] < drawn_in[r, c]) == (dr <= 0)
    assert len(starts) - 1 == 17 + 5 * 11  # W + (L+1)(H-1) passes, as wavefront_time


def test_a_level_is_the_same_on_any_number_of_threads(tiny_far: TransformerLevel) -> None:
    """Threads split each pass; a tile's arithmetic and what it reads do not depend on them."""
    model = tiny_far.with_params(repair=False, draws=1, width=31, height=14)
    before = numba.get_num_threads()
    levels = []
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            levels.append(model.generate_batch([0, 1, 2]))
    finally:
        numba.set_num_threads(before)
    assert all(batch == levels[0] for batch in levels)


# ---- sampling ---------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["tiny_far", "shipped"])
def test_the_compiled_scan_is_the_module_up_to_rounding(which: str, request: pytest.FixtureRequest) -> None:
    """The compiled sampler draws each tile with the float64 probability the module's forward
    (teacher-forced, ``tile_log_probs``) gives it, to rounding: the same function."""
    model = request.getfixturevalue(which).with_params(temperature=0.7)
    for density, (h, w) in ((0.3, (13, 21)), (-1.0, (9, 30))):
        steered = model.with_params(density=density)
        with steered.inference():
            noise = _noise(steered, 3, h, w)
            ids, drawn = steered.sample(noise, h, w, record=True)
            window, local = steered.control_for(noise["density"])
            per_tile = steered.tile_log_probs(ids.numpy(), window, local=density >= 0)
        assert drawn is not None and drawn.dtype == torch.float64
        np.testing.assert_allclose(np.log(drawn.numpy()), per_tile, rtol=0, atol=1e-12)


def test_levels_any_size_deterministic_and_without_markers(tiny: TransformerLevel) -> None:
    raw = tiny.with_params(repair=False, width=23, height=12)
    first = raw.generate(3)
    assert first.shape == (12, 23) and first == raw.generate(3) and first != raw.generate(4)
    with raw.inference():
        for seed in range(3):
            ids = raw.decode(_noise(raw, seed, 30, 7), 30, 7)
            assert ids.shape == (30, 7) and ids.dtype == torch.long
            assert not raw.blocked[ids].any()  # spawn/goal markers are never drawn
    assert tiny.with_params(width=64, height=64).generate(0).shape == (64, 64)


def test_save_load_keeps_levels_extras_and_control(tiny: TransformerLevel, tmp_path: Path) -> None:
    folder = tiny.save(tmp_path / "m")
    loaded = procgen.get(str(folder))
    assert isinstance(loaded, TransformerLevel) and loaded.config == tiny.config
    assert loaded.generate("mossy") == tiny.generate("mossy")
    assert set(loaded.extras) == {"densities", "control", "floor"}
    assert np.all(np.diff(loaded.extras["densities"]) >= 0) and len(loaded.extras["densities"]) == 16
    assert loaded.extras["control"].tolist() == [t.char == "#" for t in loaded.tileset]  # solid: the walls


def test_temperature_and_density_change_levels(tiny: TransformerLevel) -> None:
    base = tiny.with_params(repair=False)
    assert base.with_params(temperature=0.5).generate(1) != base.generate(1)
    assert base.with_params(density=0.9).generate(1) != base.with_params(density=0.1).generate(1)


def test_natural_density_is_drawn_from_the_stored_quantiles(tiny: TransformerLevel) -> None:
    table = tiny.extras["densities"]
    drawn = [tiny.control_for(torch.tensor([u])) for u in np.linspace(0, 0.999, 64)]
    assert {window for window, _ in drawn} == {float(d) for d in table}
    assert all(np.isnan(local) for _, local in drawn)  # natural: no local condition
    assert tiny.with_params(density=0.25).control_for(torch.tensor([0.9])) == (0.25, 0.25)


def test_the_condition_is_the_share_in_a_box_around_the_tile() -> None:
    mask = torch.zeros(1, 6, 6, dtype=torch.bool)
    mask[0, 0, :] = True  # the top row
    shares = box_shares(mask, 1)[0]
    assert shares[0, 0] == pytest.approx(2 / 4)  # a corner's box is clipped to 2x2
    assert shares[1, 3] == pytest.approx(3 / 9) and shares[3, 3] == 0.0
    features = control_features(torch.tensor([[0.0, 0.0], [0.5, 1.0], [1.0, float("nan")]]))
    assert features.shape == (3, 19) and torch.isfinite(features).all()
    assert features[:, 0].tolist() == [0.0, 0.5, 1.0] and features[:, 9].tolist() == [0.0, 1.0, 0.0]
    assert features[0, 1] == 1.0 and features[1, 17] == 1.0  # the bumps at 0 (window) and 1 (local)
    assert features[2, 9:18].abs().sum() == 0 and features[:, 18].tolist() == [0.0, 0.0, 1.0]  # null local


# ---- configuration and the control tag ----------------------------------------------------

def test_bad_settings_raise_parameter_errors(tiny: TransformerLevel) -> None:
    with pytest.raises(ParameterError, match="density"):
        tiny.with_params(density=-0.5)
    with pytest.raises(ParameterError, match="heads"):
        generator_class("level/transformer")(d_model=48, heads=5)
    with pytest.raises(ParameterError, match="control_tag 'lava'"):
        tiny.with_params(control_tag="lava").generate(0)
    with pytest.raises(ParameterError, match="trained to steer"):
        tiny.with_params(control_tag="water").generate(0)
    with pytest.raises(ParameterError, match="control_tag"):
        generator_class("level/transformer")().fit(load_corpus(ROOMS), control_tag="lava", **TINY)


def _corpus(legend: dict[str, list[str]], rows: list[str]) -> LevelCorpus:
    tileset = build_tileset({"tiles": legend})
    ids = {t.char: i for i, t in enumerate(tileset)}
    grid = np.array([[ids[ch] for ch in row] for row in rows], dtype=np.int32)
    return LevelCorpus([TileMap(grid, tileset)] * 3, ["a", "b", "c"], {"tiles": legend})


def test_control_tag_defaults_to_solid_else_the_most_common_blocking_tag(rooms: LevelCorpus) -> None:
    assert default_control_tag(rooms) == "solid"
    legend = {".": ["passable", "floor"], "~": ["water"], "T": ["hazard", "thorns"], "b": ["hazard", "lava"]}
    corpus = _corpus(legend, ["..~~T...", ".~~~.b..", "...~.bT."])
    assert [t.walkable for t in corpus.tileset if t.char in "~Tb"] == [False] * 3
    assert default_control_tag(corpus) == "water"  # 6 water tiles, 4 hazard
    corpus = _corpus(legend, ["..~~T...", ".~...b..", "....bbT."])
    assert default_control_tag(corpus) == "hazard"  # 5 hazard tiles (thorns and lava), 3 water


# ---- the likelihood -----------------------------------------------------------------------

def test_log_prob_is_a_sum_of_tile_terms_and_a_mixture(tiny: TransformerLevel, rooms: LevelCorpus) -> None:
    level = rooms.levels[0]
    per_tile = tiny.tile_log_probs(level, 0.4)
    assert per_tile.shape == level.shape and np.all(per_tile <= 0) and np.all(np.isfinite(per_tile))
    assert tiny.log_prob(level, 0.4) == pytest.approx(per_tile.sum(), rel=1e-9)
    conditionals = [tiny.tile_log_probs(level, float(d), local=False).sum() for d in tiny.extras["densities"]]
    natural = tiny.log_prob(level)  # the mixture (1/16) sum_k p(level | d_k, null local)
    assert max(conditionals) - np.log(16) - 1e-6 <= natural <= max(conditionals) + 1e-6
    assert natural == pytest.approx(np.log(np.mean(np.exp(np.array(conditionals) - max(conditionals))))
                                    + max(conditionals))
    with pytest.raises(ParameterError, match="density"):
        tiny.log_prob(level, 1.5)
    # Markers are scored as the floor they stand on.
    floor = int(tiny.extras["floor"][0])
    assert tiny.log_prob(level.tiles, 0.4) == pytest.approx(
        tiny.log_prob(np.where(tiny.blocked.numpy()[level.tiles], floor, level.tiles), 0.4))


def test_held_out_level_is_likelier_than_its_shuffled_tiles(shipped: TransformerLevel, rooms: LevelCorpus) -> None:
    held = terrain(split_corpus(rooms)["holdout"], rooms)
    rng = np.random.default_rng(0)
    for grid in held:
        shuffled = rng.permutation(grid.ravel()).reshape(grid.shape)
        assert shipped.log_prob(grid) < 0
        assert shipped.log_prob(grid) > shipped.log_prob(shuffled) + 0.5 * grid.size  # nats: by a wide margin


# ---- the shipped models -------------------------------------------------------------------

def test_density_control_steers_the_shipped_model(shipped: TransformerLevel) -> None:
    mask = shipped.control_mask().numpy()
    achieved = []
    for density in (0.1, 0.3, 0.5):
        model = shipped.with_params(density=density, repair=False, draws=1, height=16, width=32)  # first draws
        achieved.append(np.mean([mask[level.tiles].mean() for level in model.generate_batch(range(30))]))
    assert achieved[0] < achieved[1] < achieved[2], achieved


def test_shipped_models_load_and_make_corpus_sized_levels(shipped: TransformerLevel) -> None:
    assert shipped.config.control_tag == "solid"
    assert shipped.legend["tiles"] == load_corpus(ROOMS).legend["tiles"]
    overworld = procgen.get(str(OVERWORLD_MODEL))
    assert isinstance(overworld, TransformerLevel) and overworld.config.tiles == 11
    level = overworld.generate(0)
    assert level.shape == (64, 64) and level.spawn is not None and level.goal is not None
