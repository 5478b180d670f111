import math

import numpy as np
import pytest

import procgen
from procgen.content import RiverPath
from procgen.errors import ParameterError
from procgen.evaluate.novelty import Novelty, nearest_distances, novelty
from procgen.evaluate.statistics import (STATISTICS, StatisticDistance, river_statistics, statistic_distances,
                                         turn_windows)

W = 64


# ---- statistics on constructed windows ----------------------------------------------------
def test_straight_window() -> None:
    s = river_statistics(np.zeros((3, W)), 2.0)
    assert set(s) == set(STATISTICS)
    np.testing.assert_allclose(s["sinuosity"], 1.0, rtol=1e-12)
    np.testing.assert_array_equal(s["curvature_acf"], 0.0)
    assert s["run_length"].size == 0
    assert s["turning_angle"].shape == (3 * W,)
    # W + 1 equal steps: W + 2 evenly spaced points; var = s^2 n (n + 2) / 12 with n steps.
    n = W + 1
    np.testing.assert_allclose(s["extent"], math.sqrt((n + 2) / (12 * n)), rtol=1e-12)


@pytest.mark.parametrize("theta", [0.01, 0.05, -0.04])
def test_constant_turn_arc(theta: float) -> None:
    s = river_statistics(np.full((2, W), theta), 1.5)
    # Each step is a chord 2R sin(|theta|/2) of a circle; the ends subtend (W + 1) theta.
    n = W + 1
    expected = n * math.sin(abs(theta) / 2) / abs(math.sin(n * theta / 2))
    np.testing.assert_allclose(s["sinuosity"], expected, rtol=1e-9)
    np.testing.assert_array_equal(s["run_length"], [W, W])
    np.testing.assert_array_equal(s["curvature_acf"], 0.0)  # zero variance


def test_alternating_turns() -> None:
    a = 0.2
    window = np.where(np.arange(W) % 2 == 0, a, -a)[None, :]  # (1, W)
    s = river_statistics(window, 1.0)
    np.testing.assert_allclose(s["curvature_acf"], -1.0, rtol=1e-12)
    np.testing.assert_array_equal(s["run_length"], np.ones(W))


def test_runs_are_ended_by_zeros_and_window_borders() -> None:
    windows = np.array([[0.1, 0.2, 0.0, 0.3, -0.1, -0.1, -0.2, 0.1],
                        [0.1, 0.1, 0.1, 0.0, 0.0, 0.1, 0.1, 0.1]])
    runs = river_statistics(windows, 1.0)["run_length"]
    np.testing.assert_array_equal(runs, [2, 1, 3, 1, 3, 3])


def test_acf_matches_pearson_on_random_windows() -> None:
    x = np.random.default_rng(3).normal(size=(5, W))
    acf = river_statistics(x, 1.0)["curvature_acf"]
    expected = [np.corrcoef(row[:-1], row[1:])[0, 1] for row in x]
    np.testing.assert_allclose(acf, expected, rtol=1e-10)


# ---- windows from rivers ----------------------------------------------------------------------
def test_turn_windows_recovers_turns_of_equal_step_paths() -> None:
    turns = np.random.default_rng(0).normal(0, 0.1, size=150)
    path = RiverPath.from_turns(turns, 2.0, heading=0.3)
    short = RiverPath.from_turns(turns[:30], 2.0)
    windows = turn_windows([path, short], 2.0, window=W)
    assert windows.shape == (2, W) and windows.dtype == np.float64
    np.testing.assert_allclose(windows.ravel(), turns[:2 * W], atol=1e-9)
    assert turn_windows([short], 2.0, window=W).shape == (0, W)
    tiny = RiverPath([[0, 0], [0.5, 0]])  # shorter than one step
    assert turn_windows([tiny], 2.0, window=W).shape == (0, W)


def test_turn_windows_from_a_generator() -> None:
    paths = procgen.get("river/meander", steps=200).generate_batch(range(5))
    windows = turn_windows(paths, 1.0, window=W)
    assert windows.shape == (5 * (199 // W), W)


# ---- distances ----------------------------------------------------------------------------------
def _gaussian_windows(seed: int, n: int = 400, sigma: float = 0.2) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sigma, size=(n, W))


def test_same_distribution_is_not_detected() -> None:
    real = river_statistics(_gaussian_windows(1), 1.0)
    generated = river_statistics(_gaussian_windows(2), 1.0)
    d = statistic_distances(real, generated)
    assert list(d) == list(STATISTICS)
    for name, dist in d.items():
        assert isinstance(dist, StatisticDistance)
        assert dist.ks_pvalue > 0.01, (name, dist)


def test_scaled_and_smoothed_distributions_are_detected() -> None:
    base = _gaussian_windows(1)
    real = river_statistics(_gaussian_windows(2), 1.0)
    kernel = np.ones(3) / 3
    smoothed = np.apply_along_axis(lambda r: np.convolve(r, kernel, mode="same"), 1, base)
    scaled = statistic_distances(real, river_statistics(1.5 * base, 1.0))
    assert scaled["turning_angle"].ks_pvalue < 1e-6 and scaled["sinuosity"].ks_pvalue < 1e-6
    # A moving average of iid turns keeps their sum's variance (the kernel sums to 1), so
    # the bends over a whole window and hence the sinuosity barely change; what it changes is
    # the turn spread and the correlation of neighbours, seen by the ACF and the run lengths.
    smooth = statistic_distances(real, river_statistics(smoothed, 1.0))
    for name in ("turning_angle", "curvature_acf", "run_length"):
        assert smooth[name].ks_pvalue < 1e-6, name


def test_identical_samples_have_zero_distance() -> None:
    s = river_statistics(_gaussian_windows(4, n=50), 1.0)
    for dist in statistic_distances(s, s).values():
        assert dist.wasserstein == 0.0 and dist.ks == 0.0 and dist.ks_pvalue == 1.0


# ---- novelty ------------------------------------------------------------------------------------
def _brute_force(samples: np.ndarray, reference: np.ndarray) -> np.ndarray:
    out = []
    for a in samples:
        out.append(min(min(np.sqrt(np.mean((a - b) ** 2)), np.sqrt(np.mean((-a - b) ** 2))) for b in reference))
    return np.array(out)


def test_nearest_distances_match_brute_force() -> None:
    rng = np.random.default_rng(5)
    samples, reference = rng.normal(size=(7, 6)), rng.normal(size=(11, 6))
    expected = _brute_force(samples, reference)
    for chunk in (1, 3, 1024):
        np.testing.assert_allclose(nearest_distances(samples, reference, chunk=chunk), expected, rtol=1e-10)


def test_copies_and_mirrored_copies_are_found() -> None:
    rng = np.random.default_rng(6)
    reference = rng.normal(0, 0.2, size=(200, W))
    fresh = rng.normal(0, 0.2, size=(30, W))
    samples = np.concatenate([reference[:6], -reference[10:14], fresh])  # 10 copies of 40
    d = nearest_distances(samples, reference, chunk=16)
    np.testing.assert_array_equal(d[:10], 0.0)
    assert (d[10:] > 0.1).all()
    result = novelty(samples, reference)
    assert isinstance(result, Novelty)
    assert result.copies == pytest.approx(10 / 40)
    assert result.p05 == 0.0 and result.median > 0


def test_independent_samples_are_novel() -> None:
    rng = np.random.default_rng(7)
    result = novelty(rng.normal(0, 0.2, size=(50, W)), rng.normal(0, 0.2, size=(100, W)))
    assert result.copies == 0.0 and result.median > 0.1 and result.p05 > 0.1


# ---- bad input ------------------------------------------------------------------------------------
def test_bad_input_is_refused() -> None:
    good = np.zeros((2, W))
    with pytest.raises(ParameterError, match="empty"):
        river_statistics(np.zeros((0, W)), 1.0)
    with pytest.raises(ParameterError, match="finite"):
        river_statistics(np.full((2, W), np.nan), 1.0)
    with pytest.raises(ParameterError, match="2-d"):
        river_statistics(np.zeros(W), 1.0)
    with pytest.raises(ParameterError, match="step_length"):
        river_statistics(good, 0.0)
    with pytest.raises(ParameterError, match="window"):
        turn_windows([], 1.0, window=1)
    s = river_statistics(_gaussian_windows(8, n=5), 1.0)
    with pytest.raises(ParameterError, match="same statistics"):
        statistic_distances(s, {k: v for k, v in s.items() if k != "extent"})
    with pytest.raises(ParameterError, match="empty"):
        statistic_distances(s, {**s, "run_length": np.zeros(0)})
    with pytest.raises(ParameterError, match="finite"):
        statistic_distances(s, {**s, "extent": np.array([np.nan])})
    with pytest.raises(ParameterError, match="differ in length"):
        nearest_distances(good, np.zeros((2, W + 1)))
    with pytest.raises(ParameterError, match="empty"):
        nearest_distances(np.zeros((0, W)), good)
    with pytest.raises(ParameterError, match="finite"):
        novelty(good, np.full((2, W), np.inf))
    with pytest.raises(ParameterError, match="copy_threshold"):
        novelty(good, good, copy_threshold=-1.0)
