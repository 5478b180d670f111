"""procgen.sampling: statistical and exact checks of the affine Gaussian and inverse transform.

Every statistical check is paired with a negative control (a deliberately wrong target
that the same check must reject), so a check that can never fail would be caught.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import pytest
from scipy import stats

from procgen.errors import ParameterError
from procgen.sampling import AffineGaussian, InverseTransform
from procgen.seeding import make_rng, seed_sequence

MU = np.array([1.0, -2.0, 0.5])
SIGMA = np.array([[4.0, 1.8, -0.6],
                  [1.8, 2.0, 0.3],
                  [-0.6, 0.3, 1.0]])  # correlated, positive definite


# ---------------------------------------------------------------- AffineGaussian

def _moments_match(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray, z: float = 5.0) -> bool:
    """Sample mean and covariance within z standard errors of (mu, sigma), for Gaussian x."""
    n = x.shape[0]
    se_mean = np.sqrt(np.diag(sigma) / n)  # (d,)
    var = np.diag(sigma)
    # Var of a sample covariance entry for Gaussian data: (S_ii S_jj + S_ij^2) / n.
    se_cov = np.sqrt((np.outer(var, var) + sigma**2) / n)  # (d, d)
    mean_ok = np.all(np.abs(x.mean(axis=0) - mu) < z * se_mean)
    cov_ok = np.all(np.abs(np.cov(x, rowvar=False) - sigma) < z * se_cov)
    return bool(mean_ok and cov_ok)


def test_gaussian_moments_match_targets() -> None:
    g = AffineGaussian.from_covariance(MU, SIGMA)
    x = g.sample(np.random.default_rng(1), 200_000)
    assert x.shape == (200_000, 3)
    assert _moments_match(x, MU, SIGMA)


def test_moment_check_rejects_a_wrong_transform() -> None:
    # x = mu + z L (L applied on the wrong side) has covariance L^T L != Sigma.
    L = np.linalg.cholesky(SIGMA)
    z = np.random.default_rng(1).standard_normal((200_000, 3))
    assert not _moments_match(MU + z @ L, MU, SIGMA)
    assert not _moments_match(MU + z, MU, SIGMA)  # uncorrelated
    assert not _moments_match(MU + 0.02 + z @ L.T, MU, SIGMA)  # shifted mean


def test_cholesky_factor_reproduces_covariance() -> None:
    g = AffineGaussian.from_covariance(MU, SIGMA)
    np.testing.assert_allclose(g.covariance, SIGMA, rtol=1e-12, atol=1e-12)
    assert np.all(np.triu(g.scale_tril, 1) == 0)
    assert g.dim == 3


def test_log_prob_matches_scipy() -> None:
    g = AffineGaussian.from_covariance(MU, SIGMA)
    x = np.random.default_rng(2).normal(size=(4, 5, 3)) * 3.0  # (4, 5, 3)
    expected = stats.multivariate_normal(MU, SIGMA).logpdf(x)  # (4, 5)
    got = g.log_prob(x)
    assert got.shape == (4, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g.log_prob(MU), stats.multivariate_normal(MU, SIGMA).logpdf(MU), rtol=1e-12)
    wrong = stats.multivariate_normal(MU, np.diag(np.diag(SIGMA))).logpdf(x)
    assert not np.allclose(got, wrong, rtol=1e-3)


def test_one_dimensional_gaussian() -> None:
    g = AffineGaussian.from_covariance([3.0], [[0.25]])
    x = g.sample(np.random.default_rng(3), 100_000)
    assert x.shape == (100_000, 1)
    assert stats.kstest(x[:, 0], stats.norm(3.0, 0.5).cdf).pvalue > 0.01
    assert stats.kstest(x[:, 0], stats.norm(3.0, 0.55).cdf).pvalue < 1e-6
    np.testing.assert_allclose(g.log_prob([[2.0], [3.5]]), stats.norm(3.0, 0.5).logpdf([2.0, 3.5]), rtol=1e-12)


def test_gaussian_sampling_is_deterministic_and_stream_driven() -> None:
    g = AffineGaussian.from_covariance(MU, SIGMA)
    a = g.sample(make_rng(seed_sequence(7, "test/gaussian")), 50)
    b = g.sample(make_rng(seed_sequence(7, "test/gaussian")), 50)
    c = g.sample(make_rng(seed_sequence(8, "test/gaussian")), 50)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert g.sample(np.random.default_rng(0), 0).shape == (0, 3)


@pytest.mark.parametrize("mean, cov, words", [
    ([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], "positive definite"),        # eigenvalue -1
    ([0.0, 0.0], [[1.0, 1.0], [1.0, 1.0]], "positive definite"),        # singular
    ([0.0, 0.0], [[-1.0, 0.0], [0.0, 1.0]], "positive definite"),       # negative variance
    ([0.0, 0.0], [[0.0, 0.0], [0.0, 0.0]], "positive definite"),
    ([0.0, 0.0], [[2.0, 0.5], [0.4, 2.0]], "symmetric"),
    ([0.0, 0.0], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], "shape"),
    ([0.0, 0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]], "shape"),
    ([[0.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], "1-D"),
    ([], np.zeros((0, 0)), "1-D"),
    ([0.0, np.nan], [[1.0, 0.0], [0.0, 1.0]], "NaN"),
    ([0.0, 0.0], [[1.0, 0.0], [0.0, np.inf]], "finite"),
    ([0.0, 0.0], [[1.0, 0.0], [0.0, np.nan]], "NaN"),
    (["a", "b"], [[1.0, 0.0], [0.0, 1.0]], "real"),
    ([0.0, 0.0], [[1, 0], [0]], "numeric"),
])
def test_bad_gaussian_parameters_raise(mean: object, cov: object, words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        AffineGaussian.from_covariance(mean, cov)


def test_not_positive_definite_message_reports_eigenvalue_and_fix() -> None:
    with pytest.raises(ParameterError) as info:
        AffineGaussian.from_covariance([0.0, 0.0], [[1.0, 1.3], [1.3, 1.0]])
    message = str(info.value)
    assert "smallest eigenvalue -0.3" in message
    assert "identity" in message


def test_tiny_asymmetry_is_tolerated_and_symmetrized() -> None:
    cov = SIGMA.copy()
    cov[0, 1] += 1e-12
    g = AffineGaussian.from_covariance(MU, cov)
    np.testing.assert_allclose(g.covariance, g.covariance.T, atol=1e-15)


@pytest.mark.parametrize("rng, n, words", [
    (0, 5, "Generator"), (None, 5, "Generator"),
    ("rng", -1, "non-negative"), ("rng", 2.5, "non-negative"), ("rng", True, "non-negative"),
])
def test_bad_sample_arguments_raise(rng: object, n: object, words: str) -> None:
    g = AffineGaussian.from_covariance(MU, SIGMA)
    t = InverseTransform.from_table([0.0, 1.0], [1.0, 1.0])
    rng = np.random.default_rng(0) if rng == "rng" else rng
    for sampler in (g, t):
        with pytest.raises(ParameterError, match=words):
            sampler.sample(rng, n)  # type: ignore[arg-type]


def test_log_prob_rejects_wrong_shape_and_direct_construction_is_checked() -> None:
    g = AffineGaussian.from_covariance(MU, SIGMA)
    with pytest.raises(ParameterError, match="shape"):
        g.log_prob(np.zeros((4, 2)))
    with pytest.raises(ParameterError, match="lower triangular"):
        AffineGaussian(np.zeros(2), np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ParameterError, match="positive diagonal"):
        AffineGaussian(np.zeros(2), np.array([[1.0, 0.0], [0.5, 0.0]]))


def test_gaussian_arrays_are_frozen_copies() -> None:
    mean = MU.copy()
    g = AffineGaussian.from_covariance(mean, SIGMA)
    mean[0] = 99.0
    assert g.mean[0] == MU[0]
    with pytest.raises(ValueError):
        g.mean[0] = 5.0


# ---------------------------------------------------------------- InverseTransform

# Tree density by height: none at sea level, peaking on the lowlands, thinning to the tree line.
TABLE_XS = np.array([0.0, 0.1, 0.3, 0.6, 0.8, 1.0])
TABLE_DENSITY = np.array([0.0, 2.0, 3.0, 1.0, 1.0, 0.0])
# Enemy spawn distances: unequal bins, one empty bin that must never be drawn.
HIST_EDGES = np.array([2.0, 5.0, 10.0, 20.0, 25.0, 40.0])
HIST_WEIGHTS = np.array([0.1, 0.3, 0.0, 0.4, 0.2])  # probability of each bin


def _table_target_cdf() -> Callable[[np.ndarray], np.ndarray]:
    """The target CDF by brute-force numerical integration of the interpolated table."""
    grid = np.linspace(TABLE_XS[0], TABLE_XS[-1], 200_001)  # (G,)
    dens = np.interp(grid, TABLE_XS, TABLE_DENSITY)  # (G,)
    steps = 0.5 * (dens[1:] + dens[:-1]) * np.diff(grid)
    cum = np.concatenate([[0.0], np.cumsum(steps)]) / np.trapezoid(dens, grid)
    return lambda x: np.interp(x, grid, cum)


def _hist_target_cdf() -> Callable[[np.ndarray], np.ndarray]:
    grid = np.linspace(HIST_EDGES[0], HIST_EDGES[-1], 400_001)
    heights = HIST_WEIGHTS / np.diff(HIST_EDGES)
    bins = np.clip(np.searchsorted(HIST_EDGES, grid, side="right") - 1, 0, len(heights) - 1)
    dens = heights[bins]
    steps = 0.5 * (dens[1:] + dens[:-1]) * np.diff(grid)
    cum = np.concatenate([[0.0], np.cumsum(steps)]) / np.trapezoid(dens, grid)
    return lambda x: np.interp(x, grid, cum)


def _table() -> InverseTransform:
    return InverseTransform.from_table(TABLE_XS, TABLE_DENSITY)


def _hist() -> InverseTransform:
    return InverseTransform.from_histogram(HIST_EDGES, HIST_WEIGHTS)


@pytest.mark.parametrize("build, target", [(_table, _table_target_cdf), (_hist, _hist_target_cdf)])
def test_inverse_transform_samples_pass_ks(build, target) -> None:
    sampler = build()
    x = sampler.sample(np.random.default_rng(11), 50_000)
    assert x.shape == (50_000,)
    assert stats.kstest(x, sampler.cdf).pvalue > 0.01
    assert stats.kstest(x, target()).pvalue > 0.01
    # Negative control: uniform on the same range is a different distribution.
    lo, hi = sampler.knots[0], sampler.knots[-1]
    assert stats.kstest(x, stats.uniform(lo, hi - lo).cdf).pvalue < 1e-6


def test_ks_rejects_a_slightly_wrong_table() -> None:
    x = _table().sample(np.random.default_rng(12), 50_000)
    nearby = InverseTransform.from_table(TABLE_XS, [0.0, 2.0, 3.0, 1.3, 1.0, 0.0])
    assert stats.kstest(x, nearby.cdf).pvalue < 1e-6


def test_exact_cdf_matches_numerical_integration() -> None:
    x = np.linspace(-0.5, 1.5, 1001)
    np.testing.assert_allclose(_table().cdf(x), _table_target_cdf()(x), atol=1e-8)
    y = np.linspace(0.0, 45.0, 1001)
    np.testing.assert_allclose(_hist().cdf(y), _hist_target_cdf()(y), atol=1e-4)  # grid smears the jumps


def test_histogram_bin_frequencies_match_weights() -> None:
    n = 200_000
    x = _hist().sample(np.random.default_rng(13), n)
    counts = np.histogram(x, HIST_EDGES)[0]  # (5,)
    se = np.sqrt(n * HIST_WEIGHTS * (1 - HIST_WEIGHTS))
    assert np.all(np.abs(counts - n * HIST_WEIGHTS) <= 5 * se)
    assert counts[2] == 0  # the empty bin


def test_histogram_density_flag_reads_weights_as_heights() -> None:
    heights = HIST_WEIGHTS / np.diff(HIST_EDGES)
    a = InverseTransform.from_histogram(HIST_EDGES, heights, density=True)
    x = np.linspace(0, 45, 301)
    np.testing.assert_allclose(a.cdf(x), _hist().cdf(x), rtol=1e-12, atol=1e-15)
    b = InverseTransform.from_histogram(HIST_EDGES, HIST_WEIGHTS, density=True)
    assert not np.allclose(b.cdf(x), _hist().cdf(x), atol=1e-3)


def test_closed_form_linear_density() -> None:
    # p(x) = 2x on [0, 1]: F = x^2, F^-1 = sqrt(u); exercises the left density == 0 branch.
    up = InverseTransform.from_table([0.0, 1.0], [0.0, 5.0])
    u = np.linspace(0, 1, 101)
    np.testing.assert_allclose(up.ppf(u), np.sqrt(u), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(up.cdf(u), u**2, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(up.pdf(u), 2 * u, rtol=1e-14)
    # p(x) = 2 (1 - x): F = 1 - (1 - x)^2; exercises the falling branch.
    down = InverseTransform.from_table([0.0, 1.0], [1.0, 0.0])
    np.testing.assert_allclose(down.ppf(u), 1 - np.sqrt(1 - u), rtol=1e-14, atol=1e-15)
    # Nearly flat: the textbook quadratic formula would cancel catastrophically here.
    flat = InverseTransform.from_table([0.0, 1.0], [1.0, 1.0 + 1e-12])
    np.testing.assert_allclose(flat.ppf(u), u, rtol=1e-11, atol=1e-15)


@pytest.mark.parametrize("build", [_table, _hist])
def test_ppf_cdf_round_trips(build) -> None:
    sampler = build()
    x = np.linspace(sampler.knots[0], sampler.knots[-1], 2001)
    positive = sampler.pdf(x) > 1e-3  # where F is flat, ppf returns the gap's left end instead
    np.testing.assert_allclose(sampler.ppf(sampler.cdf(x[positive])), x[positive], rtol=1e-10, atol=1e-10)
    u = np.linspace(0, 1, 2001)
    np.testing.assert_allclose(sampler.cdf(sampler.ppf(u)), u, rtol=0, atol=1e-13)
    assert np.all(np.diff(sampler.ppf(u)) >= 0)  # an inverse CDF never decreases


def test_ppf_ends_and_gaps() -> None:
    h = InverseTransform.from_histogram([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 1.0, 0.0, 1.0])
    assert h.support == (1.0, 4.0)
    assert h.ppf(0.5) == 2.0  # the smallest x with F(x) >= 1/2, not inside the empty bin
    x = h.sample(np.random.default_rng(14), 10_000)
    assert np.all(((x >= 1) & (x < 2)) | ((x >= 3) & (x <= 4)))
    t = InverseTransform.from_table([-1.0, 0.0, 2.0, 3.0], [0.0, 1.0, 1.0, 0.0])
    assert t.support == (-1.0, 3.0)


def test_pdf_is_normalized_and_shaped_like_the_input() -> None:
    t = _table()
    grid = np.linspace(-0.2, 1.2, 100_001)
    assert np.trapezoid(t.pdf(grid), grid) == pytest.approx(1.0, abs=1e-6)
    scale = t.pdf(TABLE_XS)[2] / TABLE_DENSITY[2]
    np.testing.assert_allclose(t.pdf(TABLE_XS), scale * TABLE_DENSITY, rtol=1e-12)
    assert t.pdf(np.array([[-1.0, 2.0]])).tolist() == [[0.0, 0.0]]
    h = _hist()
    assert np.trapezoid(h.pdf(np.linspace(0, 45, 400_001)), np.linspace(0, 45, 400_001)) == pytest.approx(1.0, abs=1e-4)
    assert h.pdf(10.0) == 0.0 and h.pdf(20.0) > 0  # right-continuous at edges
    assert h.cdf(-np.inf) == 0.0 and h.cdf(np.inf) == 1.0


def test_inverse_transform_is_deterministic() -> None:
    t = _table()
    a = t.sample(make_rng(seed_sequence("mossy-canyon", "test/trees")), 100)
    b = t.sample(make_rng(seed_sequence("mossy-canyon", "test/trees")), 100)
    c = t.sample(make_rng(seed_sequence("dry-canyon", "test/trees")), 100)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert t.sample(np.random.default_rng(0), 0).shape == (0,)


@pytest.mark.parametrize("xs, density, words", [
    ([0.0, 1.0, 1.0], [1.0, 1.0, 1.0], "strictly increasing"),
    ([1.0, 0.0], [1.0, 1.0], "strictly increasing"),
    ([0.0], [1.0], "at least 2"),
    ([[0.0, 1.0]], [1.0, 1.0], "1-D"),
    ([0.0, 1.0], [1.0, 1.0, 1.0], "shape"),
    ([0.0, 1.0], [1.0, -0.5], ">= 0"),
    ([0.0, 1.0], [0.0, 0.0], "total mass"),
    ([0.0, 1.0], [1.0, np.nan], "NaN"),
    ([0.0, np.inf], [1.0, 1.0], "finite"),
    ([-1e308, 1e308], [1.0, 1.0], "overflows"),
    ([0.0, 1.0], [1e308, 1e308], "total mass"),
    ([0.0, 1.0], ["a", "b"], "real"),
])
def test_bad_table_raises(xs: object, density: object, words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        InverseTransform.from_table(xs, density)


@pytest.mark.parametrize("edges, weights, words", [
    ([0.0, 1.0, 2.0], [1.0, 1.0, 1.0], "shape"),
    ([0.0, 2.0, 1.0], [1.0, 1.0], "strictly increasing"),
    ([0.0, 1.0, 2.0], [0.0, 0.0], "total mass"),
    ([0.0, 1.0, 2.0], [1.0, -1.0], ">= 0"),
    ([0.0, 1.0, 2.0], [1.0, np.inf], "finite"),
])
def test_bad_histogram_raises(edges: object, weights: object, words: str) -> None:
    with pytest.raises(ParameterError, match=words):
        InverseTransform.from_histogram(edges, weights)


def test_bad_queries_raise() -> None:
    t = _table()
    for u in (-0.1, 1.1, np.nan, [0.5, 2.0]):
        with pytest.raises(ParameterError):
            t.ppf(u)
    with pytest.raises(ParameterError, match="NaN"):
        t.cdf([0.5, np.nan])
    with pytest.raises(ParameterError, match="NaN"):
        t.pdf(np.nan)
