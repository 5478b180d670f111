"""level/vae: any-size sampling from a spatial latent grid, the ELBO, training, and the shipped models."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import procgen
from procgen.content import TileMap
from procgen.datasets.levels import load_corpus
from procgen.errors import ContentError
from procgen.evaluate.level_metrics import independent_tiles, pattern_kl
from procgen.generators.learned.levels.data import split_corpus, terrain
from procgen.generators.learned.levels.conditional import ConditionalLevel
from procgen.generators.learned.levels.framed import canvas, framed_grids, framed_windows
from procgen.generators.learned.levels.vae import VAELevel, latent_shape, pick_tiles
from procgen.generators.learned.levels.vae_net import FramedTileVAE, TileVAE
from procgen.levels.endpoints import marker_ids

ROOMS = "assets/levels/vglc-rooms"
OVERWORLD = "assets/levels/overworld-64"
SHIPPED = VAELevel.pretrained_folder()
SHIPPED_OVERWORLD = SHIPPED.parent / "level-vae-overworld"
needs_shipped = pytest.mark.skipif(not (SHIPPED / "model.json").is_file(), reason="no shipped level/vae weights")
TINY = dict(window=8, max_windows=256, epochs=3, batch_size=64, latent=4, channels=8, patience=5)


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOMS)


@pytest.fixture(scope="module")
def trained(corpus) -> VAELevel:
    return VAELevel().fit(corpus, **TINY)


def _markers(model: VAELevel) -> list[int]:
    return [m for m in marker_ids(model.tileset, model.legend).values() if m is not None]


def _off_endpoints(level: TileMap) -> np.ndarray:
    """The level's tiles with the spawn and goal cells blanked out (-1)."""
    grid = level.tiles.astype(np.int64)
    for cell in (level.spawn, level.goal):
        if cell is not None:
            grid[cell] = -1
    return grid


# ---- sampling ------------------------------------------------------------------------------
@pytest.mark.parametrize("height, width", [(4, 4), (5, 9), (13, 27), (24, 40), (33, 8)])
def test_any_size_is_one_decode_of_its_framed_canvas(height: int, width: int) -> None:
    model = VAELevel(tiles=5, latent=3, level_latent=2, channels=8, height=height, width=width, repair=False)
    rows, cols = canvas(height, width, model.config.frame)
    assert rows % 4 == cols % 4 == 0 and rows >= height + 8 and cols >= width + 8 and rows - height - 8 < 4
    noise = model.noise_tensors(np.random.default_rng(0), height, width)
    assert noise["z"].shape == (3, rows // 4, cols // 4) and noise["g"].shape == (2,)
    assert noise["u"].shape == (height, width)
    with model.inference():
        assert model.decode(noise, height, width).shape == (height, width)
    assert model.generate(0).tiles.shape == (height, width)


@pytest.mark.parametrize("height, width", [(4, 4), (13, 27), (33, 8)])
def test_frame_0_is_the_unframed_vae_on_a_cropped_noise_grid(height: int, width: int) -> None:
    model = VAELevel(tiles=5, latent=3, channels=8, height=height, width=width, repair=False, frame=0)
    assert not model.framed and isinstance(model.module, TileVAE)
    noise = model.noise_tensors(np.random.default_rng(0), height, width)
    assert noise["z"].shape == (3, -(-height // 4), -(-width // 4)) == (3, *latent_shape(height, width))
    with model.inference():
        assert model.decode(noise, height, width).shape == (height, width)
    assert model.generate(0).tiles.shape == (height, width)


def test_level_conditional_is_framed_by_default_and_loads_unframed_folders() -> None:
    assert VAELevel().framed and isinstance(VAELevel().module, FramedTileVAE)
    conditional = ConditionalLevel()
    assert conditional.framed and isinstance(conditional.module, FramedTileVAE)
    # The shipped overworld folder predates the frame: its config has none, so it loads unframed.
    shipped = procgen.get("level/conditional")
    assert not shipped.framed and isinstance(shipped.module, TileVAE)


def test_training_windows_hold_the_level_edge(corpus) -> None:
    model, train_x, val_x = VAELevel().training_setup(corpus, {"max_windows": 100_000})
    border, k = model.config.tiles, model.config.window
    assert train_x.shape[1:] == val_x.shape[1:] == (k, k) and int(train_x.max()) == border
    grids = framed_grids(terrain(split_corpus(corpus)["train"], corpus), model.config.frame, k, border)
    for level, grid in zip(split_corpus(corpus)["train"], grids):  # the frame, then the level, then the frame
        assert min(grid.shape) >= k and (grid == border).sum() == grid.size - level.tiles.size
        f = model.config.frame
        assert (grid[:f] == border).all() and (grid[:, :f] == border).all()
    # Every window sees some of the level, and windows of a level smaller than the window hold all of it.
    assert ((train_x < border).sum(dim=(1, 2)) > 0).all()
    assert ((train_x == border).sum(dim=(1, 2)) > 0).float().mean() > 0.9  # nearly every window sees an edge
    again = framed_windows(model, corpus)
    assert torch.equal(again[1], val_x)


def test_markers_are_never_drawn_even_when_the_decoder_prefers_them(trained: VAELevel) -> None:
    markers = _markers(trained)
    assert markers, "the rooms legend has spawn/goal markers"
    for temperature in (0.0, 1.0):
        sampler = trained.with_params(repair=False, height=20, width=30, temperature=temperature)
        with torch.no_grad():
            sampler.module.decoder.head.bias[markers] = 100.0  # every tile would be a marker
        for seed in range(3):
            assert not np.isin(_off_endpoints(sampler.generate(seed)), markers).any()


def test_temperature_samples_by_inverse_cdf() -> None:
    logits = torch.log(torch.tensor([0.2, 0.0, 0.5, 0.3]))[:, None, None].expand(4, 1, 5).clone()  # (T, 1, 5)
    u = torch.tensor([[0.0, 0.19, 0.21, 0.69, 0.71]])  # (1, 5)
    assert pick_tiles(logits, u, 1.0).tolist() == [[0, 0, 2, 2, 3]]  # tile 1 has probability 0: never
    assert pick_tiles(logits, u, 0.0).tolist() == [[2] * 5]
    assert pick_tiles(logits, torch.full((1, 5), 0.9999999), 1.0).tolist() == [[3] * 5]


def test_same_seed_same_level_and_batches_are_single_calls(trained: VAELevel) -> None:
    model = trained.with_params(temperature=0.7, height=17, width=23)
    assert model.generate(5) == model.generate(5)
    assert model.generate(5) != model.generate(6)
    assert model.generate_batch([5, 6, "x"]) == [model.generate(s) for s in (5, 6, "x")]


# ---- training and the ELBO -----------------------------------------------------------------
def test_fit_sets_size_legend_and_floor(trained: VAELevel, corpus) -> None:
    c = trained.config
    assert (c.height, c.width) == (max(l.shape[0] for l in corpus.levels), max(l.shape[1] for l in corpus.levels))
    assert c.tiles == len(corpus.tileset) and trained.legend["tiles"] == corpus.legend["tiles"]
    floor = trained.floor()
    assert trained.tileset[floor].char == "." and not bool(trained.blocked[floor])
    report = trained.training_report
    assert report.epochs == 3 and all(math.isfinite(h["validation"]) for h in report.history)


def test_training_is_deterministic_and_leaves_global_rng_alone(trained: VAELevel, corpus) -> None:
    state = torch.random.get_rng_state().clone()
    again = VAELevel().fit(corpus, **TINY)
    assert torch.equal(torch.random.get_rng_state(), state)
    for key, value in trained.module.state_dict().items():
        assert torch.equal(value, again.module.state_dict()[key]), key


def test_elbo_is_a_fixed_finite_bound_that_prefers_real_levels(trained: VAELevel, corpus) -> None:
    level = corpus.levels[0]
    value = trained.elbo(level)
    assert math.isfinite(value) and value < 0 and trained.elbo(level) == value
    rng = np.random.default_rng(0)
    scrambled = TileMap(rng.permutation(level.tiles.ravel()).reshape(level.shape), level.tileset, None, None)
    assert trained.elbo(scrambled) < value  # same tiles, no structure: far less likely


def test_elbo_rejects_another_tileset(trained: VAELevel) -> None:
    other = load_corpus(OVERWORLD).levels[0]
    with pytest.raises(ContentError, match="tileset"):
        trained.elbo(other)
    with pytest.raises(ContentError, match="TileMap"):
        trained.elbo(np.zeros((4, 4), dtype=np.int32))  # type: ignore[arg-type]


def test_save_load_round_trip(trained: VAELevel, tmp_path) -> None:
    folder = trained.save(tmp_path / "vae")
    loaded = procgen.get(str(folder))
    assert type(loaded) is VAELevel and loaded.config == trained.config
    assert loaded.extras.keys() == trained.extras.keys()
    assert loaded.generate("a") == trained.generate("a")
    assert loaded.elbo(load_corpus(ROOMS).levels[1]) == trained.elbo(load_corpus(ROOMS).levels[1])


# ---- the shipped models --------------------------------------------------------------------
@needs_shipped
@pytest.mark.parametrize("folder, corpus_path", [(SHIPPED, ROOMS), (SHIPPED_OVERWORLD, OVERWORLD)],
                         ids=["vglc-rooms", "overworld-64"])
def test_shipped_model_beats_the_independent_tiles_baseline(folder, corpus_path) -> None:
    model = procgen.get(str(folder))
    corpus = load_corpus(corpus_path)
    assert model.legend["tiles"] == corpus.legend["tiles"]
    parts = split_corpus(corpus)
    hold, train = terrain(parts["holdout"], corpus), terrain(parts["train"], corpus)
    raw = [model.with_params(repair=False, draws=1).generate(s) for s in range(12)]
    assert not any(np.isin(_off_endpoints(level), _markers(model)).any() for level in raw)
    grids = [np.where(np.isin(level.tiles, _markers(model)), model.floor(), level.tiles) for level in raw]
    baseline = pattern_kl(independent_tiles(train, grids[0].shape, np.random.default_rng(0), 12), hold).mean
    assert pattern_kl(grids, hold).mean < 0.5 * baseline
    assert len({g.tobytes() for g in grids}) == len(grids)  # no two seeds give the same level
    # The bound prefers held-out levels to independent tiles of the same shape and frequencies.
    level = parts["holdout"][0]
    noise = independent_tiles(train, level.shape, np.random.default_rng(1), 1)[0]
    assert model.elbo(level) > model.elbo(TileMap(noise, level.tileset, None, None))


@needs_shipped
def test_default_name_loads_the_rooms_model() -> None:
    model = procgen.get("level/vae")
    assert type(model) is VAELevel and model.config.tiles == 8
    level = model.generate("mossy-canyon")
    assert level.shape == (model.config.height, model.config.width)
    assert level.spawn is not None and level.goal is not None
    assert model.with_params(height=64, width=64).generate(1).shape == (64, 64)


def test_a_folder_saved_before_the_frame_option_loads_as_the_unframed_network(tmp_path) -> None:
    # procgen 0.1 saved level/vae folders without "frame"; their weights are the unframed
    # network's, so they must load as frame = 0 and draw what they drew before.
    shipped = procgen.get(str(SHIPPED_OVERWORLD))
    assert shipped.config.frame == 0
    folder = shipped.save(tmp_path / "old")
    document = json.loads((folder / "model.json").read_text())
    del document["config"]["frame"], document["config"]["level_latent"]
    (folder / "model.json").write_text(json.dumps(document))
    old = procgen.get(str(folder))
    assert old.config.frame == 0
    assert old.generate(5).digest() == shipped.generate(5).digest()
