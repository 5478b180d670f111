"""Classifier two-sample test: chance on equal distributions, clear wins on different ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from procgen.errors import ParameterError
from procgen.evaluate.discriminator import TwoSampleResult, classifier_two_sample_test, wilson_interval

N, W, SD = 600, 64, 0.2


def rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seed))


def iid(seed: int, n: int = N, width: int = W) -> np.ndarray:
    return rng(seed).normal(0.0, SD, (n, width))


def ar1(seed: int, phi: float = 0.6) -> np.ndarray:
    """Stationary AR(1) turns with marginal std SD (burn-in dropped)."""
    noise = rng(seed).normal(0.0, SD * math.sqrt(1 - phi * phi), (N, W + 50))
    turns = np.zeros_like(noise)
    turns[:, 0] = rng(seed + 10_000).normal(0.0, SD, N)
    for i in range(1, W + 50):
        turns[:, i] = phi * turns[:, i - 1] + noise[:, i]
    return turns[:, 50:]


def smoothed(seed: int) -> np.ndarray:
    """Moving average over 3 i.i.d. turns, rescaled to the same variance: only autocorrelation differs."""
    raw = iid(seed, width=W + 2)
    return (raw[:, 2:] + raw[:, 1:-1] + raw[:, :-2]) / 3 * math.sqrt(3)


@pytest.fixture(scope="module")
def null_results() -> list[TwoSampleResult]:
    return [classifier_two_sample_test(iid(100 + s), iid(200 + s), seed=s) for s in range(5)]


def test_same_distribution_is_chance(null_results: list[TwoSampleResult]) -> None:
    covered = sum(r.ci_low <= 0.5 <= r.ci_high for r in null_results)
    assert covered >= 4, null_results
    for r in null_results:
        assert abs(r.accuracy - 0.5) < 0.08, r
        assert r.n_test == N
    assert sum(r.p_value < 0.01 for r in null_results) == 0, null_results


def test_same_autocorrelated_distribution_is_chance() -> None:
    r = classifier_two_sample_test(ar1(1), ar1(2), seed=3)
    assert abs(r.accuracy - 0.5) < 0.08 and r.p_value > 0.01, r


def test_scaled_turns_are_detected() -> None:
    r = classifier_two_sample_test(iid(1), 1.5 * iid(2))
    assert r.accuracy > 0.7 and r.p_value < 1e-4, r


def test_autocorrelation_alone_is_detected() -> None:
    real, fake = iid(3), smoothed(4)
    assert abs(real.std() / fake.std() - 1) < 0.05   # the marginal spread really is the same
    r = classifier_two_sample_test(real, fake)
    assert r.accuracy > 0.7 and r.p_value < 1e-4, r


def test_deterministic_and_leaves_global_rng_alone() -> None:
    real, fake = iid(5, n=200), smoothed(6)[:300]
    before = torch.get_rng_state()
    first = classifier_two_sample_test(real, fake, seed=7, epochs=10)
    assert first == classifier_two_sample_test(real, fake, seed=7, epochs=10)
    assert torch.equal(before, torch.get_rng_state())
    assert first.n_test == 200     # balanced to 200 per class, half of each held out


def test_wilson_interval_contains_accuracy(null_results: list[TwoSampleResult]) -> None:
    for r in null_results:
        assert 0.0 <= r.ci_low <= r.accuracy <= r.ci_high <= 1.0
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and 0.1 < high < 0.2   # Wilson, unlike Wald, is not degenerate at 0
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-3) and high == pytest.approx(0.5962, abs=1e-3)


@pytest.mark.parametrize("real, generated", [
    (iid(1, n=9), iid(2, n=50)),                       # too few real windows
    (iid(1, n=50), iid(2, n=9)),                       # too few generated windows
    (iid(1, n=50), iid(2, n=50, width=32)),            # widths differ
    (np.where(np.eye(50, W) > 0, np.nan, iid(1, n=50)), iid(2, n=50)),
    (iid(1, n=50), np.full((50, W), np.inf)),
    (iid(1, n=50)[0], iid(2, n=50)),                   # not 2-D
])
def test_bad_input_raises(real: np.ndarray, generated: np.ndarray) -> None:
    with pytest.raises(ParameterError):
        classifier_two_sample_test(real, generated)


def test_bad_epochs_raises() -> None:
    with pytest.raises(ParameterError):
        classifier_two_sample_test(iid(1, n=50), iid(2, n=50), epochs=0)
