"""river/gan (WGAN-GP turn windows) and river/rcurve (one river as X = f(Z) + noise), on small data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

import procgen
from procgen.content import RiverPath
from procgen.errors import ParameterError
from procgen.generators.handwritten.turns import observed_turns
from procgen.generators.learned.gan import GanRiver, sliced_wasserstein, windows_of
from procgen.generators.learned.rcurve import RCurveRiver, choose_path

NOISE = 1.0  # standard deviation of the S-curve's noise; its extent is 100


def s_curve(t: np.ndarray) -> np.ndarray:
    return np.stack([30 * np.sin(2 * np.pi * t), 100 * t], axis=1)  # (n, 2)


def distance_to(points: np.ndarray, curve: np.ndarray) -> np.ndarray:
    """(n,) distance from each point to the nearest of ``curve``'s (dense) points."""
    return np.sqrt(((points[:, None, :] - curve[None, :, :]) ** 2).sum(axis=2)).min(axis=1)


@pytest.fixture(scope="module")
def rcurve() -> RCurveRiver:
    rng = np.random.default_rng(0)
    noisy = RiverPath(s_curve(np.linspace(0, 1, 300)) + rng.normal(0, NOISE, (300, 2)))
    return RCurveRiver(epochs=40, patience=40, batch_size=64, lr=6e-3, sigma0=0.05, warm_steps=300,
                       steps=256).fit([noisy], step_length=1.0)


@pytest.fixture(scope="module")
def meanders() -> list[RiverPath]:
    return procgen.get("river/meander", steps=200, sigma=8.0, phi=0.7).generate_batch(range(24))


@pytest.fixture(scope="module")
def gan(meanders) -> GanRiver:
    small = dict(window=16, latent=8, hidden=32, channels=16, stride=4, batch_size=64, n_critic=2, lr=1e-3)
    return GanRiver(epochs=3, patience=10, **small).fit(meanders, step_length=1.0)


# ---- river/rcurve -------------------------------------------------------------------------

def test_rcurve_recovers_an_s_curve_and_sigma_shrinks_to_the_noise(rcurve: RCurveRiver) -> None:
    truth = s_curve(np.linspace(0, 1, 5000))
    fitted = rcurve.world_curve(torch.linspace(0, 1, 500))  # (500, 2)
    assert distance_to(fitted, truth).mean() < 0.02 * 100  # within 2% of the extent on average
    assert distance_to(truth[::50], fitted).max() < 0.1 * 100  # and it covers the whole S
    # sigma starts at sigma0 = 5% of the extent (5 units) and falls to about the noise.
    assert 0.5 * NOISE < rcurve.sigma < 2.5 * NOISE
    assert rcurve.fitted_path == 0 and rcurve.config.path_index == -1 and rcurve.training_report.best_epoch > 1


def test_rcurve_log_prob_is_the_seeds_formula(rcurve: RCurveRiver) -> None:
    path = RiverPath(s_curve(np.linspace(0.1, 0.9, 50)) + 0.3)
    x = path.resample(rcurve.config.step_length).points  # (N, 2) world units
    mu = rcurve.world_curve(torch.linspace(0, 1, rcurve.config.m))  # (m, 2)
    sigma = rcurve.sigma
    d2 = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(axis=2)  # (N, m)
    direct = -np.log(2 * np.pi * sigma ** 2) + logsumexp(-d2 / (2 * sigma ** 2), axis=1) - np.log(len(mu))
    assert rcurve.log_prob(path) == pytest.approx(direct.sum(), rel=1e-5)
    assert rcurve.scored_steps(path) == len(x)
    assert RCurveRiver.density_space == "points"


def test_rcurve_variations_differ_per_seed_but_stay_near_the_fit(rcurve: RCurveRiver) -> None:
    fitted = rcurve.world_curve(torch.linspace(0, 1, 2000))
    rivers = rcurve.generate_batch(range(4))
    assert all(len(r) == rcurve.config.steps + 1 for r in rivers)
    assert len({r.digest() for r in rivers}) == 4
    bound = rcurve.config.variation * rcurve.sigma
    for river in rivers:
        gap = distance_to(river.points, fitted)
        assert gap.mean() < 2 * bound and gap.max() < 6 * bound
    assert [r.digest() for r in rivers] == [rcurve.generate(s).digest() for s in range(4)]
    still = rcurve.with_params(variation=0.0).generate(5)
    on_curve = rcurve.world_curve(torch.linspace(0, 1, 20_000))  # dense: its own gaps are tiny
    assert distance_to(still.points, on_curve).max() < 0.05 * rcurve.sigma


def test_rcurve_picks_a_long_winding_path() -> None:
    t = np.linspace(0, 1, 400)
    straight = RiverPath(np.stack([600 * t, 0 * t], axis=1))
    winding = RiverPath(np.stack([300 * t, 40 * np.sin(12 * np.pi * t)], axis=1))
    short = RiverPath(np.stack([20 * t, 5 * np.sin(12 * np.pi * t)], axis=1))  # more winding, but < 256 points
    assert choose_path([straight, short, winding], 1.0) == 2
    assert choose_path([short], 1.0) == 0  # nothing long enough: the longest


# ---- river/gan ----------------------------------------------------------------------------

def test_gan_trains_without_nan_and_moves_toward_the_data(gan: GanRiver, meanders) -> None:
    history = gan.training_report.history
    assert all(math.isfinite(v) for h in history for v in h.values())
    data = windows_of([observed_turns(p, 1.0) for p in meanders], 16, 4)
    untrained = GanRiver(gan.config)
    untrained.module.scale.copy_(gan.module.scale)  # the same units; only training differs
    before, after = untrained.sample_windows(2000).numpy(), gan.sample_windows(2000).numpy()
    assert abs(after.std() - data.std()) < abs(before.std() - data.std())
    assert np.isfinite(gan.generate(0).points).all()
    assert float(gan.module.scale) == pytest.approx(data[:len(data)].std(), rel=0.2)


def test_gan_is_implicit(gan: GanRiver, meanders) -> None:
    with pytest.raises(ParameterError, match="implicit"):
        gan.log_prob(meanders[0])
    assert not GanRiver.explicit


def test_gan_rivers_are_windows_joined_and_batch_exact(gan: GanRiver) -> None:
    model = gan.with_params(steps=37)  # 3 windows of 16, cut to 37 turns
    river = model.generate(1)
    assert len(river) == 37 + 2
    seeds = list(range(70))  # more than one sampling block of 64
    assert [r.digest() for r in model.generate_batch(seeds)] == [model.generate(s).digest() for s in seeds]


def test_sliced_wasserstein_is_zero_for_equal_sets_and_grows_with_a_shift() -> None:
    a = torch.randn(500, 8, generator=torch.Generator().manual_seed(1))
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731  the same directions for every call
    assert sliced_wasserstein(a, a, g()) == 0.0
    assert sliced_wasserstein(a, a + 0.5, g()) > sliced_wasserstein(a, a + 0.1, g()) > 0.0


# ---- both -----------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["gan", "rcurve"])
def test_save_load_round_trips(which: str, request: pytest.FixtureRequest, tmp_path) -> None:
    model = request.getfixturevalue(which)
    folder = model.save(tmp_path / which)
    loaded = procgen.get(str(folder))
    assert type(loaded) is type(model) and loaded.config == model.config
    assert all(np.array_equal(loaded._weights()[k], v) for k, v in model._weights().items())
    assert loaded.generate("shared") == model.generate("shared")
