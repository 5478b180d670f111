"""Landscapes: endless chunks, tiling, islands, erosion, fractal noise, and exactness across threads."""

from __future__ import annotations

import time

import numba
import numpy as np
import pytest

import procgen
from procgen.errors import ParameterError
from procgen.generators.handwritten.eroded import hydraulic_erosion
from procgen.generators.handwritten.island import SEA_LEVEL
from procgen.generators.handwritten.perlin import (
    _GRADIENTS, CANONICAL_PERMUTATION, domain_warp, fbm, perlin2, permutation, ridged,
)

LANDSCAPES = ["landscape/fbm", "landscape/island", "landscape/eroded"]
SEEDS = [0, 7, "mossy-canyon"]


def _grid(width: int, height: int, scale: float = 9.7) -> tuple[np.ndarray, np.ndarray]:
    return np.arange(width)[None, :] / scale - 3.0, np.arange(height)[:, None] / scale + 1.5  # (1, W), (H, 1)


def _numpy_perlin2(x: np.ndarray, y: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """The plain numpy formulation the kernels replaced, kept as an exact reference."""
    table = np.concatenate([perm, perm])
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    i, j = x0.astype(np.int64) & 255, y0.astype(np.int64) & 255
    a, b = table[i], table[(i + 1) & 255]

    def corner(h: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        g = _GRADIENTS[table[h] & 15]  # (..., 2)
        return g[..., 0] * dx + g[..., 1] * dy

    u = fx * fx * fx * (fx * (fx * 6.0 - 15.0) + 10.0)
    v = fy * fy * fy * (fy * (fy * 6.0 - 15.0) + 10.0)
    n00 = corner(table[a + j], fx, fy)
    bottom = n00 + u * (corner(table[b + j], fx - 1.0, fy) - n00)
    top = corner(table[a + j + 1], fx, fy - 1.0)
    top = top + u * (corner(table[b + j + 1], fx - 1.0, fy - 1.0) - top)
    return bottom + v * (top - bottom)


# ---- noise functions ------------------------------------------------------------------
def test_kernels_equal_the_numpy_formulation_bit_for_bit() -> None:
    # Catches fastmath or fused multiply-adds creeping into the compiled kernels.
    perm = permutation(np.random.default_rng(5))
    x, y = np.random.default_rng(6).uniform(-500, 500, size=(2, 3000))
    assert np.array_equal(perlin2(x, y, perm), _numpy_perlin2(x, y, perm))
    offsets = np.random.default_rng(7).uniform(0, 256, size=(4, 2))
    expected = sum(0.5**k * _numpy_perlin2(x * 2.0**k + offsets[k, 0], y * 2.0**k + offsets[k, 1], perm)
                   for k in range(4)) / 1.875
    assert np.array_equal(fbm(x, y, perm, octaves=4, offsets=offsets), expected)


@pytest.mark.parametrize("function", [fbm, ridged])
def test_grid_path_equals_point_path(function) -> None:
    x, y = _grid(70, 50)
    full = np.broadcast_to(x, (50, 70)), np.broadcast_to(y, (50, 70))
    for period in (None, (8, 5)):
        grid = function(x, y, octaves=5, period=period)
        assert grid.shape == (50, 70)
        assert np.array_equal(grid, function(*full, octaves=5, period=period))


def test_ridged_lies_in_unit_interval_and_differs_from_fbm() -> None:
    x, y = _grid(200, 120)
    r = ridged(x, y, permutation(np.random.default_rng(1)), octaves=6)
    assert r.shape == (120, 200) and r.dtype == np.float64
    assert 0.0 <= r.min() and r.max() <= 1.0 and r.std() > 0.05
    assert ridged(np.float64(0.3), 0.7).shape == ()


def test_domain_warp_moves_points_by_at_most_its_strength() -> None:
    x, y = _grid(90, 60)
    perm = permutation(np.random.default_rng(2))
    wx, wy = domain_warp(x, y, perm, strength=1.5)
    assert wx.shape == wy.shape == (60, 90)
    dx, dy = wx - x, wy - y
    assert np.abs(dx).max() <= 1.5 and np.abs(dy).max() <= 1.5 and np.abs(dx).mean() > 0.01
    assert not np.allclose(dx, dy)  # the two displacement fields are independent
    still = domain_warp(x, y, perm, strength=0.0)
    assert np.array_equal(still[0], np.broadcast_to(x, (60, 90)))
    assert not np.allclose(fbm(wx, wy, perm, octaves=4), fbm(x, y, perm, octaves=4))


def test_periodic_fbm_and_warp_wrap() -> None:
    x, y = _grid(40, 30, scale=3.3)
    for period in (4, (5, 3)):
        px, py = (period, period) if np.ndim(period) == 0 else period
        shifted = (x + px, y - 2 * py)
        assert np.allclose(fbm(x, y, octaves=4, period=period), fbm(*shifted, octaves=4, period=period))
        warped = domain_warp(x, y, strength=0.8, period=period)
        warped_shifted = domain_warp(*shifted, strength=0.8, period=period)
        assert np.allclose(fbm(*warped, octaves=3, period=period), fbm(*warped_shifted, octaves=3, period=period))


def test_bad_permutation_or_period_is_refused() -> None:
    with pytest.raises(ValueError, match="permutation"):
        perlin2(0.5, 0.5, np.arange(255))
    with pytest.raises(ValueError, match="permutation"):
        perlin2(0.5, 0.5, np.full(256, 300))
    with pytest.raises(ValueError, match="period"):
        fbm(0.5, 0.5, period=0.5)
    assert np.array_equal(perlin2(0.5, 0.5, CANONICAL_PERMUTATION), perlin2(0.5, 0.5))


# ---- exactness across thread counts ------------------------------------------------------
@pytest.fixture
def thread_counts():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here (NUMBA_NUM_THREADS=1)")
    before = numba.get_num_threads()
    yield (1, 2)
    numba.set_num_threads(before)


def _with_threads(threads: int, make):
    numba.set_num_threads(threads)
    return make()


def test_noise_is_identical_with_one_and_two_threads(thread_counts) -> None:
    x, y = _grid(333, 257)
    perm = permutation(np.random.default_rng(3))
    runs = {
        "fbm grid": lambda: fbm(x, y, perm, octaves=6),
        "fbm points": lambda: fbm(np.broadcast_to(x, (257, 333)), np.broadcast_to(y, (257, 333)), perm, octaves=6),
        "ridged": lambda: ridged(x, y, perm, octaves=6, period=(7, 5)),
        "warp": lambda: np.stack(domain_warp(x, y, perm, strength=1.0)),
    }
    for name, make in runs.items():
        one, two = (_with_threads(t, make) for t in thread_counts)
        assert np.array_equal(one, two), name


@pytest.mark.parametrize("name", LANDSCAPES)
def test_landscapes_are_identical_with_one_and_two_threads(name: str, thread_counts) -> None:
    generator = procgen.get(name, width=96, height=80, warp=0.5, ridged=0.3)
    one, two = (_with_threads(t, lambda: generator.generate("threads")) for t in thread_counts)
    assert one == two


# ---- endless worlds and tiling -------------------------------------------------------------
@pytest.mark.parametrize("params", [{}, {"warp": 1.0, "ridged": 0.5}, {"octaves": 3, "lacunarity": 2.7}])
def test_neighbouring_chunks_join_exactly(params: dict) -> None:
    chunk = procgen.get("landscape/fbm", width=48, height=32, **params)
    whole = procgen.get("landscape/fbm", width=96, height=64, offset_x=-48, **params).generate(11).height
    rows = [np.hstack([chunk.generate_chunk(11, cx, cy).height for cx in (-1, 0)]) for cy in (0, 1)]
    assert np.array_equal(np.vstack(rows), whole)
    assert np.array_equal(chunk.generate_chunk(11, 0, 0).height, chunk.generate(11).height)


def test_chunks_far_away_are_terrain_and_out_of_range_chunks_are_refused() -> None:
    chunk = procgen.get("landscape/fbm", width=64, height=64)
    far = chunk.generate_chunk(3, 10**6, -(10**6)).height
    assert far.std() > 0.01 and not np.array_equal(far, chunk.generate(3).height)
    with pytest.raises(ParameterError, match="offset_x"):
        chunk.generate_chunk(3, 2**40, 0)


def test_tileable_map_wraps() -> None:
    tile = procgen.get("landscape/fbm", width=128, height=96, scale=40.0, tileable=True)
    h = tile.generate(5).height.astype(np.float64)
    # Any chunk of a tileable map is the same tile.
    assert np.array_equal(tile.generate_chunk(5, 1, -1).height, h)
    # The left column continues the right one: the step across the seam is an ordinary step.
    assert _seam_step(h) < 2.0 * _inner_step(h)
    plain = procgen.get("landscape/fbm", width=128, height=96, scale=40.0).generate(5).height.astype(np.float64)
    assert _seam_step(plain) > 4.0 * _inner_step(plain)  # without tiling the seam shows


def _inner_step(h: np.ndarray) -> float:
    return float(np.abs(np.diff(h, axis=1)).mean() + np.abs(np.diff(h, axis=0)).mean())


def _seam_step(h: np.ndarray) -> float:
    return float(np.abs(h[:, 0] - h[:, -1]).mean() + np.abs(h[0] - h[-1]).mean())


def test_tileable_needs_a_whole_lacunarity() -> None:
    with pytest.raises(ParameterError, match="lacunarity"):
        procgen.get("landscape/fbm", tileable=True, lacunarity=2.5)
    procgen.get("landscape/fbm", tileable=True, lacunarity=3.0)


# ---- island ------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_island_has_sea_at_the_edges_and_land_in_the_middle(seed) -> None:
    h = procgen.get("landscape/island", width=160, height=120).generate(seed).height
    border = np.concatenate([h[0], h[-1], h[:, 0], h[:, -1]])
    assert border.max() < SEA_LEVEL and border.mean() < SEA_LEVEL - 0.1
    assert h[50:70, 70:90].min() > SEA_LEVEL
    assert 0.15 < (h > SEA_LEVEL).mean() < 0.8  # an island, not a speck or a continent


# ---- erosion -------------------------------------------------------------------------------
def test_erosion_changes_the_map_and_stays_in_range() -> None:
    worn = procgen.get("landscape/eroded", width=128, height=128)
    bare = worn.with_params(droplets=0.0)
    a, b = worn.generate(9).height, bare.generate(9).height
    assert a.min() >= 0.0 and a.max() <= 1.0
    changed = np.abs(a - b)
    assert changed.mean() > 1e-3 and (changed > 1e-4).mean() > 0.3
    assert abs(float(a.mean()) - float(b.mean())) < 0.1  # worn down, not wiped out
    assert worn.generate(9) == worn.generate(9)


def test_hydraulic_erosion_is_a_pure_function_of_its_rng() -> None:
    terrain = procgen.get("landscape/fbm", width=64, height=48).generate(1).height
    runs = [hydraulic_erosion(terrain, np.random.default_rng(4), droplets=2000) for _ in range(2)]
    assert np.array_equal(runs[0], runs[1]) and runs[0].shape == (48, 64)
    assert not np.array_equal(runs[0], hydraulic_erosion(terrain, np.random.default_rng(5), droplets=2000))
    assert np.array_equal(hydraulic_erosion(terrain, np.random.default_rng(4), droplets=0), terrain)
    thin = hydraulic_erosion(terrain[:1], np.random.default_rng(4), droplets=100)  # no slope to follow
    assert np.array_equal(thin, terrain[:1])


# ---- size limits -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", LANDSCAPES)
def test_oversized_maps_fail_before_allocating(name: str) -> None:
    start = time.perf_counter()
    with pytest.raises(ParameterError):
        procgen.get(name, width=100000, height=100000)
    with pytest.raises(ParameterError, match="exceeds"):
        procgen.get(name, width=8192, height=8192)
    with pytest.raises(ParameterError, match="exceeds"):
        procgen.get(name).with_params(width=4096, height=2048)
    assert time.perf_counter() - start < 0.5
    procgen.get(name, width=2048, height=1)  # a long thin strip is fine
