"""level/gan: any-size sampling, WGAN-GP training, the validation divergence, and the shipped models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import procgen
from procgen.datasets.levels import load_corpus
from procgen.evaluate.level_metrics import independent_tiles, pattern_kl
from procgen.generators.learned.levels.data import split_corpus, terrain
from procgen.generators.learned.levels.framed import canvas, canvas_ids, framed_grids
from procgen.generators.learned.levels.gan import GanLevel, pattern_divergence, pattern_histograms
from procgen.levels.endpoints import marker_ids

ROOMS = "assets/levels/vglc-rooms"
SHIPPED = GanLevel.pretrained_folder()
OVERWORLD = SHIPPED.parent / "level-gan-overworld"
needs_shipped = pytest.mark.skipif(not (SHIPPED / "model.json").is_file(), reason="no shipped level/gan weights")
TINY = dict(window=8, max_windows=256, epochs=3, batch_size=64, n_critic=2, latent=4, style=2, channels=8,
            critic_channels=8, patience=5)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOMS)


@pytest.fixture(scope="module")
def trained(corpus) -> GanLevel:
    return GanLevel().fit(corpus, **TINY)


def _markers(model: GanLevel) -> list[int]:
    return [m for m in marker_ids(model.tileset, model.legend).values() if m is not None]


def _drawn(level) -> np.ndarray:
    """The tiles the model drew: every cell but spawn and goal (where the rule writes markers)."""
    keep = np.ones(level.shape, dtype=bool)
    for cell in (level.spawn, level.goal):
        if cell is not None:
            keep[cell] = False
    return level.tiles[keep]


# ---- sampling at any size --------------------------------------------------------------------
def test_a_level_of_any_size_is_drawn_on_its_framed_canvas() -> None:
    model = GanLevel(tiles=5, latent=3, style=2, channels=8, critic_channels=8)
    for height, width in ((4, 4), (5, 9), (17, 8), (64, 101)):
        rows, cols = canvas(height, width, model.config.frame)
        noise = model.noise_tensors(np.random.default_rng(0), height, width)
        assert noise["z"].shape == (3, rows // 4, cols // 4) and noise["style"].shape == (2,)
        ids = canvas_ids(height, width, model.config.frame, 5)[None]
        assert model.logits(noise["z"][None].float(), noise["style"][None].float(), ids).shape == (1, 5, rows, cols)
        with model.inference():
            assert model.decode(noise, height, width).shape == (height, width)
    assert model.with_params(height=13, width=37).generate(0).tiles.shape == (13, 37)


def test_the_generator_reads_where_the_level_ends() -> None:
    """The same noise on two canvases: the edge maps (not the noise) move the level edge; generated
    windows keep BORDER where the real window has it."""
    model = GanLevel(tiles=6, latent=3, style=2, channels=8, critic_channels=8, seed=3)
    g = torch.Generator().manual_seed(0)
    z, style = torch.randn(1, 3, 6, 6, generator=g), torch.randn(1, 2, generator=g)
    inside = torch.zeros(1, 24, 24, dtype=torch.long)
    framed = inside.clone()
    framed[:, :4], framed[:, :, :4] = 6, 6  # a level edge along the top and the left
    a, b = model.logits(z, style, inside), model.logits(z, style, framed)
    assert not torch.allclose(a[:, :, 4:8, 4:8], b[:, :, 4:8, 4:8])  # near the edge: drawn differently
    drawn = model.sample_windows(framed.expand(3, 24, 24), torch.Generator().manual_seed(1))
    assert (drawn[framed.expand(3, 24, 24) == 6] == 6).all() and (drawn[:, 4:, 4:] < 6).all()


def test_markers_are_never_drawn_even_when_the_network_prefers_them(trained: GanLevel) -> None:
    markers = _markers(trained)
    assert markers, "vglc-rooms has S and G markers"
    biased = GanLevel(trained.config)
    biased._set_weights(trained._weights())
    with torch.no_grad():
        biased.module.average.head.bias[markers] = 1e3  # the sampling logits all say "marker"
    for seed in range(3):
        assert not np.isin(_drawn(biased.with_params(repair=False).generate(seed)), markers).any()
        # The level keeps exactly one spawn and one goal, placed by the endpoint rule.
        level = biased.generate(seed)
        assert sorted(np.flatnonzero(np.isin(level.tiles, markers)).tolist()) == sorted(
            np.ravel_multi_index(np.array([level.spawn, level.goal]).T, level.tiles.shape).tolist())


# ---- training -------------------------------------------------------------------------------
def test_fit_reads_the_corpus_and_reports(trained: GanLevel, corpus) -> None:
    c = trained.config
    assert (c.tiles, c.view, c.height, c.width) == (len(corpus.tileset), "top-down", 24, 40)
    assert [t.char for t in trained.tileset] == [t.char for t in corpus.tileset]
    report = trained.training_report
    assert report.epochs == 3 and report.train_examples == 256
    assert {"critic_gap", "penalty", "validation"} <= set(report.history[0])
    assert all(np.isfinite(h["validation"]) for h in report.history)
    # Sampling uses the moving average of the generator, which lags the last step's weights.
    average, latest = trained.module.average.state_dict(), trained.module.generator.state_dict()
    assert set(average) == set(latest) and not all(torch.equal(average[k], latest[k]) for k in average)


def test_critic_sees_one_hot_fakes_with_the_softmax_gradient(trained: GanLevel) -> None:
    model = GanLevel(trained.config)
    model.module.train()
    t = trained.config.tiles
    real = torch.zeros(4, 8, 8, dtype=torch.long)
    real[:, :2] = t  # BORDER along the top: the level edge
    fake = model._fakes(real, torch.Generator().manual_seed(0))  # (4, T + 1, 8, 8)
    assert fake.shape == (4, t + 1, 8, 8) and fake.requires_grad
    values = fake.detach()
    assert torch.allclose(values, values.round(), atol=1e-6)  # straight-through: one-hot forward
    assert torch.allclose(values.sum(dim=1), torch.ones(4, 8, 8))
    assert torch.equal(values[:, t], (real == t).float())  # BORDER where the real window has it, only there
    fake.sum(dim=(0, 2, 3))[0].backward()  # a gradient reaches the generator through the softmax
    assert model.module.generator.stem.weight.grad.abs().sum() > 0
    soft = GanLevel(trained.config.replace(fake_input="softmax"))
    soft.set_legend(trained.legend)
    soft.module.train()
    probs = soft._fakes(real, torch.Generator().manual_seed(0))
    assert torch.allclose(probs.sum(dim=1), torch.ones(4, 8, 8)) and ((probs > 0) & (probs < 1)).any()
    assert (probs[:, _markers(trained)] == 0).all()  # markers masked in training too


def test_training_is_deterministic_and_leaves_global_rng_alone(trained: GanLevel, corpus) -> None:
    before = torch.get_rng_state().clone(), np.random.get_state()[1].copy()
    again = GanLevel().fit(corpus, **TINY)
    assert torch.equal(torch.get_rng_state(), before[0]) and np.array_equal(np.random.get_state()[1], before[1])
    ours, theirs = trained._weights(), again._weights()
    assert set(ours) == set(theirs) and all(np.array_equal(ours[k], theirs[k]) for k in ours)
    assert again.generate(5) == trained.generate(5)


def test_training_step_draws_only_from_its_generator(trained: GanLevel) -> None:
    def step(seed: int) -> dict[str, float]:
        model = GanLevel(trained.config)
        batch = torch.randint(0, 7, (16, 8, 8), generator=torch.Generator().manual_seed(9))
        return model.training_step(batch, model.make_optimizers(), torch.Generator().manual_seed(seed))

    first = step(1)
    assert step(1) == first and step(2) != first
    assert np.isfinite(first["critic_gap"]) and first["penalty"] >= 0


def test_save_load_round_trip(trained: GanLevel, tmp_path) -> None:
    loaded = procgen.get(str(trained.save(tmp_path / "m")))
    assert type(loaded) is GanLevel and loaded.config == trained.config
    assert loaded.legend == trained.legend
    assert all(np.array_equal(loaded._weights()[k], v) for k, v in trained._weights().items())
    assert [loaded.generate(s) for s in range(3)] == [trained.generate(s) for s in range(3)]
    assert loaded.generate_batch([7, 8]) == [trained.generate(7), trained.generate(8)]


# ---- the validation divergence ---------------------------------------------------------------
def test_pattern_divergence_matches_the_evaluation_measure() -> None:
    rng = np.random.default_rng(0)
    a = rng.integers(0, 3, (20, 8, 8))
    b = np.where(rng.random((30, 8, 8)) < 0.7, 0, rng.integers(0, 3, (30, 8, 8)))
    p, q = pattern_histograms(a, b, 2, 3)
    assert p.shape == q.shape and p.sum() == pytest.approx(1) and q.sum() == pytest.approx(1)
    assert pattern_divergence(a, a, 3) == 0.0
    expected = pattern_kl(list(b), list(a), sizes=(2, 3)).mean  # KL(reference || generated)
    assert pattern_divergence(a, b, 3) == pytest.approx(expected, rel=1e-9)
    assert pattern_divergence(a, b, 3) > pattern_divergence(a, a[::-1, ::-1], 3)


def _validation_windows(corpus, size: int) -> torch.Tensor:
    """The top-left size x size window of each level framed with BORDER (as training cuts them)."""
    parts = split_corpus(corpus)
    grids = framed_grids(terrain(parts["validation"] + parts["train"], corpus), 4, size, len(corpus.tileset))
    return torch.from_numpy(np.stack([g[:size, :size] for g in grids]))


def test_validation_loss_uses_fixed_noise(trained: GanLevel, corpus) -> None:
    val = _validation_windows(corpus, 8)
    first = trained.validation_loss(val, torch.Generator().manual_seed(123))
    assert np.isfinite(first) and first > 0
    assert trained.validation_loss(val, torch.Generator().manual_seed(456)) == first  # not the loop's noise
    reseeded = GanLevel(trained.config.replace(seed=trained.config.seed + 1))
    reseeded.set_legend(trained.legend)
    reseeded._set_weights(trained._weights())
    assert reseeded.validation_loss(val, torch.Generator().manual_seed(123)) != first  # seeded from the training seed


# ---- the shipped models ----------------------------------------------------------------------
@needs_shipped
@pytest.mark.parametrize("folder, corpus_path", [(SHIPPED, ROOMS), (OVERWORLD, "assets/levels/overworld-64")],
                         ids=["vglc-rooms", "overworld-64"])
def test_shipped_model_beats_the_independent_tiles_baseline(folder, corpus_path) -> None:
    model = procgen.get(str(folder))
    corpus = load_corpus(corpus_path)
    assert model.legend["tiles"] == corpus.legend["tiles"]
    parts = split_corpus(corpus)
    hold, train = terrain(parts["holdout"], corpus), terrain(parts["train"], corpus)
    raw = [model.with_params(repair=False).generate(s) for s in range(12)]
    assert not any(np.isin(_drawn(level), _markers(model)).any() for level in raw)
    floor = [i for i, b in enumerate(model.blocked) if b]
    grids = [np.where(np.isin(level.tiles, floor), 0, level.tiles) for level in raw]
    baseline = pattern_kl(independent_tiles(train, grids[0].shape, np.random.default_rng(0), 12), hold).mean
    assert pattern_kl(grids, hold).mean < 0.5 * baseline
    assert len({g.tobytes() for g in grids}) == len(grids)  # no two seeds give the same level


@needs_shipped
def test_shipped_model_has_a_far_lower_validation_divergence_than_untrained(corpus) -> None:
    model = procgen.get("level/gan")
    untrained = GanLevel(model.config)
    untrained.set_legend(model.legend)
    val = _validation_windows(corpus, model.config.window)
    loop = torch.Generator().manual_seed(0)
    assert model.validation_loss(val, loop) < 0.5 * untrained.validation_loss(val, loop)


@needs_shipped
def test_default_name_loads_the_rooms_model() -> None:
    model = procgen.get("level/gan")
    assert type(model) is GanLevel and model.config.tiles == 8 and model.config.frame > 0
    level = model.generate("mossy-canyon")
    assert level.shape == (model.config.height, model.config.width)
    assert level.spawn is not None and level.goal is not None
    big = model.with_params(height=64, width=64).generate(1)
    assert big.shape == (64, 64)
