"""Level metrics: pattern KL, playability rate, diversity, novelty, expressive range, baseline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from procgen.content import Tile, TileMap
from procgen.errors import ContentError, ParameterError
from procgen.evaluate.level_metrics import (copied_share, diversity, expressive_range, expressive_range_png,
                                            independent_tiles, novelty, pattern_kl, playability_rate)

TILES = (Tile("floor", (200, 200, 200), ".", True), Tile("wall", (50, 50, 50), "#", False))


def rooms(count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Structured levels: walled 12x12 rooms with one random interior wall segment each."""
    out = []
    for _ in range(count):
        grid = np.zeros((12, 12), dtype=np.int32)
        grid[0], grid[-1], grid[:, 0], grid[:, -1] = 1, 1, 1, 1
        r, c = rng.integers(2, 10, size=2)
        grid[r, 2:c] = 1
        out.append(grid)
    return out


def test_pattern_kl_of_a_set_with_itself_is_zero():
    levels = rooms(8, np.random.default_rng(0))
    result = pattern_kl(levels, levels)
    assert set(result.per_size) == {2, 3, 4}
    assert all(v == pytest.approx(0.0, abs=1e-12) for v in result.per_size.values())
    assert result.mean == pytest.approx(0.0, abs=1e-12)


def test_independent_tiles_baseline_is_far_worse_than_a_structured_copy():
    rng = np.random.default_rng(1)
    reference = rooms(20, rng)
    structured = rooms(20, np.random.default_rng(2))  # same process, other draws
    shuffled = [rng.permutation(g.ravel()).reshape(g.shape) for g in reference]
    baseline = independent_tiles(reference, (12, 12), np.random.default_rng(3), 20)
    kl_struct = pattern_kl(structured, reference).mean
    kl_shuffled = pattern_kl(shuffled, reference).mean
    kl_base = pattern_kl(baseline, reference).mean
    assert kl_shuffled > 0 and kl_base > 0
    assert kl_base > 2 * kl_struct


def test_pattern_kl_accepts_tilemaps_and_many_tile_ids():
    rng = np.random.default_rng(4)
    many = [rng.integers(0, 40, size=(6, 6)) for _ in range(3)]  # 40**16 overflows an int64 key
    assert pattern_kl(many, many, sizes=(4,)).mean == pytest.approx(0.0, abs=1e-12)
    maps = [TileMap(g, TILES) for g in rooms(2, rng)]
    assert pattern_kl(maps, maps, sizes=(2,)).per_size[2] == pytest.approx(0.0, abs=1e-12)


def test_pattern_kl_bad_input():
    levels = rooms(2, np.random.default_rng(5))
    with pytest.raises(ParameterError):
        pattern_kl([], levels)
    with pytest.raises(ParameterError):
        pattern_kl(levels, levels, sizes=(20,))
    with pytest.raises(ParameterError):
        pattern_kl(levels, levels, epsilon=0)
    with pytest.raises(ContentError):
        pattern_kl([np.zeros((3, 3))], levels)  # float tiles


def test_independent_tiles_follow_corpus_frequencies():
    reference = [np.array([[0, 0, 0, 1]])]
    drawn = independent_tiles(reference, (50, 40), np.random.default_rng(6), 4)
    assert len(drawn) == 4 and drawn[0].shape == (50, 40) and drawn[0].dtype == np.int32
    assert np.mean(drawn) == pytest.approx(0.25, abs=0.02)
    with pytest.raises(ParameterError):
        independent_tiles(reference, (5, 5), np.random.RandomState(0), 1)  # type: ignore[arg-type]


def test_diversity():
    one = rooms(1, np.random.default_rng(7))[0]
    assert diversity([one, one, one]) == 0.0
    random = list(np.random.default_rng(8).integers(0, 2, size=(30, 20, 20)))
    assert diversity(random) == pytest.approx(0.5, abs=0.01)  # 1 - sum f^2 for two equal tiles
    with pytest.raises(ParameterError):
        diversity([one])
    with pytest.raises(ParameterError):
        diversity([one, one[:5]])


def test_novelty_counts_exact_copies():
    train = rooms(5, np.random.default_rng(9))
    other = np.zeros((12, 12), dtype=np.int32)
    result = novelty([train[2], other], train)
    assert result.nearest[0] == 0.0 and result.nearest[1] > 0
    assert result.copy_share == 0.5
    # Larger training maps are cut into level-shaped windows.
    big = np.zeros((12, 30), dtype=np.int32)
    big[:, 7:19] = train[0]
    assert novelty([train[0]], [big]).nearest[0] == 0.0
    with pytest.raises(ParameterError):
        novelty([np.zeros((40, 40), dtype=np.int32)], train)


def corridor(bend: bool) -> TileMap:
    grid = np.ones((5, 7), dtype=np.int32)
    if bend:
        grid[1, 1:4], grid[1:4, 3], grid[3, 3:6] = 0, 0, 0
        return TileMap(grid, TILES, (1, 1), (3, 5))
    grid[2, 1:6] = 0
    return TileMap(grid, TILES, (2, 1), (2, 5))


def test_playability_rate_and_expressive_range(tmp_path):
    broken = TileMap(np.array([[0, 1, 0]]), TILES, (0, 0), (0, 2))
    assert playability_rate([corridor(False), corridor(True), broken]) == pytest.approx(2 / 3)
    er = expressive_range([corridor(False), corridor(True), broken])
    assert er.density[0] == pytest.approx(30 / 35)
    assert er.linearity[0] == 1.0 and er.linearity[1] == 1.0  # a bend is still a shortest Manhattan route
    assert np.isnan(er.linearity[2])
    detour = np.zeros((3, 5), dtype=np.int32)
    detour[0:2, 2] = 1
    er2 = expressive_range([TileMap(detour, TILES, (0, 0), (0, 4))])
    assert er2.linearity[0] == pytest.approx(4 / 8)
    side = expressive_range([corridor(False)], view="side-view")
    assert 0.0 <= side.linearity[0] <= 1.0
    path = tmp_path / "er.png"
    expressive_range_png({"corpus": er, "model": (np.array([0.2, 0.5]), np.array([0.3, np.nan]))}, str(path))
    assert Image.open(path).size == (480, 480)
    with pytest.raises(ParameterError):
        expressive_range_png({}, str(path))
    with pytest.raises(ParameterError):
        playability_rate([corridor(False)], view="isometric")


def test_copied_share_counts_full_height_windows_found_in_training():
    rng = np.random.default_rng(3)
    training = [rng.integers(0, 2, (5, 30)) for _ in range(3)]
    copy = training[1][:, 4:20]  # 16 columns: 3 windows of 14, all copied
    fresh = 1 - copy  # every window differs from training
    assert copied_share([copy], training, 14) == 1.0
    assert copied_share([fresh], training, 14) == 0.0
    # 32 columns give 19 windows; only the 3 inside the copy are found in training.
    assert copied_share([np.concatenate([copy, fresh], axis=1)], training, 14) == pytest.approx(3 / 19)
    with pytest.raises(ParameterError, match="one height"):
        copied_share([copy[:4]], training, 14)
