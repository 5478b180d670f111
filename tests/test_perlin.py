"""Our vectorized gradient noise against the ``noise`` package's pnoise2 (the oracle)."""

import numpy as np
import pytest

from procgen.generators.handwritten.perlin import CANONICAL_PERMUTATION, fbm, perlin2, permutation

noise = pytest.importorskip("noise")


def _points(n: int, span: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    # pnoise2 reads its arguments as float32, so compare on float32-exact points.
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-span, span, size=(2, n)).astype(np.float32).astype(np.float64)
    return xy[0], xy[1]


def test_single_octave_matches_pnoise2() -> None:
    x, y = _points(4000, 300.0, 0)
    expected = np.array([noise.pnoise2(a, b) for a, b in zip(x, y)])
    assert np.abs(perlin2(x, y) - expected).max() < 1e-5


@pytest.mark.parametrize("octaves,persistence", [(2, 0.5), (6, 0.45), (8, 0.7)])
def test_fbm_matches_pnoise2(octaves: int, persistence: float) -> None:
    x, y = _points(2000, 40.0, octaves)
    expected = np.array([noise.pnoise2(a, b, octaves=octaves, persistence=persistence, lacunarity=2.0)
                         for a, b in zip(x, y)])
    assert np.abs(fbm(x, y, octaves=octaves, persistence=persistence) - expected).max() < 1e-5


def test_period_makes_noise_wrap_and_matches_repeat() -> None:
    x, y = _points(500, 7.9, 3)
    x, y = np.abs(x), np.abs(y)
    assert np.allclose(perlin2(x, y, period=8), perlin2(x + 8, y - 16, period=8))
    expected = np.array([noise.pnoise2(a, b, repeatx=8, repeaty=8) for a, b in zip(x, y)])
    assert np.abs(perlin2(x, y, period=8) - expected).max() < 1e-5


def test_seeded_permutations_give_different_fields() -> None:
    x, y = _points(200, 20.0, 4)
    p1, p2 = permutation(np.random.default_rng(1)), permutation(np.random.default_rng(2))
    assert sorted(p1.tolist()) == list(range(256))
    assert not np.allclose(perlin2(x, y, p1), perlin2(x, y, p2))
    assert np.allclose(perlin2(x, y, CANONICAL_PERMUTATION), perlin2(x, y))
