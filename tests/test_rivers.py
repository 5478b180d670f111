"""River geometry (resample, headings, turns) and the river generators' likelihoods and fits."""

from __future__ import annotations

import math

import numpy as np
import pytest

import procgen
from procgen.content import RiverPath
from procgen.content.river import wrap_angle
from procgen.errors import ContentError, ParameterError
from procgen.generators.handwritten.coinflip import NOISE_FLOOR_DEG, CoinFlipRiver
from procgen.generators.handwritten.meander import MeanderRiver, ar1_filter
from procgen.generators.handwritten.turns import observed_turns, walk

SQUARE = RiverPath([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]])  # counterclockwise, side 1


def arc(radius: float, start: float, stop: float, count: int) -> RiverPath:
    t = np.linspace(start, stop, count)
    return RiverPath(np.stack([radius * np.cos(t), radius * np.sin(t)], axis=1))


def densify(path: RiverPath, factor: int) -> RiverPath:
    """The same polyline with factor - 1 extra points evenly inside every segment."""
    a, b = path.points[:-1], path.points[1:]
    f = (np.arange(factor) / factor)[None, :, None]
    inner = (a[:, None, :] + f * (b - a)[:, None, :]).reshape(-1, 2)
    return RiverPath(np.concatenate([inner, path.points[-1:]]))


def noisy_coinflip_paths(count: int, turns_each: int, *, angle: float, p_left: float, noise: float,
                         seed: int = 123) -> list[RiverPath]:
    """Coin-flip rivers with Gaussian noise added to the turns here, independent of the generator."""
    rng = np.random.default_rng(seed)
    coins = np.where(rng.random((count, turns_each)) < p_left, 1.0, -1.0)
    turns = np.deg2rad(angle) * coins + np.deg2rad(noise) * rng.standard_normal((count, turns_each))
    return [RiverPath(p) for p in walk(turns, step_length=1.0, heading=30.0)]


# ---- geometry -----------------------------------------------------------------------

def test_square_headings_and_turns() -> None:
    np.testing.assert_allclose(SQUARE.headings(), [0, np.pi / 2, np.pi, -np.pi / 2])
    np.testing.assert_allclose(SQUARE.turning_angles(), [np.pi / 2] * 3)  # left turns are positive
    clockwise = RiverPath(SQUARE.points[::-1])
    np.testing.assert_allclose(clockwise.turning_angles(), [-np.pi / 2] * 3)


def test_turns_wrap_the_short_way_round() -> None:
    # From heading 170 to -170 degrees is a 20 degree left turn, not 340 degrees right.
    path = RiverPath(np.cumsum([[0, 0], [np.cos(np.deg2rad(170)), np.sin(np.deg2rad(170))],
                                [np.cos(np.deg2rad(-170)), np.sin(np.deg2rad(-170))]], axis=0))
    assert np.rad2deg(path.turning_angles()) == pytest.approx([20.0])
    wrapped = wrap_angle([np.pi, -np.pi, 3 * np.pi, 2 * np.pi, -1e-300, 0.5, -0.5 - 4 * np.pi])
    np.testing.assert_allclose(wrapped, [np.pi, np.pi, np.pi, 0, -1e-300, 0.5, -0.5], atol=1e-12)
    assert (wrapped > -np.pi).all() and (wrapped <= np.pi).all()


def test_circle_arc_has_constant_turns() -> None:
    coarse = arc(5.0, 0.0, np.pi, 13)  # 12 chords of pi/12 each
    np.testing.assert_allclose(coarse.turning_angles(), np.full(11, np.pi / 12), atol=1e-12)
    # A finely drawn arc resampled every step turns by ~ step / radius after every step.
    turns = arc(10.0, 0.0, 1.5 * np.pi, 20_000).resample(0.5).turning_angles()
    np.testing.assert_allclose(turns, 0.5 / 10.0, rtol=2e-3)
    assert (turns > 0).all()  # counterclockwise: left turns


def test_resample_spaces_points_evenly_along_the_line() -> None:
    line = RiverPath([[0, 0], [0.3, 0], [0.3, 0], [2.0, 0], [3.5, 0]], width=[1, 2, 2, 3, 4])
    out = line.resample(0.5)
    np.testing.assert_allclose(out.points, np.stack([np.arange(8) * 0.5, np.zeros(8)], axis=1))
    np.testing.assert_allclose(out.width, np.interp(np.arange(8) * 0.5, [0, 0.3, 2.0, 3.5], [1, 2, 3, 4]))
    square = SQUARE.resample(0.3)  # length 4: points at 0, 0.3, ..., 3.9; the 0.1 left over is dropped
    assert len(square) == 14 and square.width is None
    np.testing.assert_array_equal(square.points[0], SQUARE.points[0])
    np.testing.assert_allclose(square.points[4], [1.0, 0.2])  # arc length 1.2 is 0.2 up the second side
    np.testing.assert_allclose(SQUARE.resample(0.5).points[[0, 2, 4, 6, 8]], SQUARE.points, atol=1e-12)


def test_resampling_a_walk_at_its_own_step_gives_it_back() -> None:
    river = procgen.get("river/coinflip", steps=300, step_length=2.5).generate(4)
    out = river.resample(2.5)
    assert len(out) == len(river)  # rounding must not drop the last point
    np.testing.assert_allclose(out.points, river.points, atol=1e-9)
    np.testing.assert_allclose(densify(river, 3).resample(2.5).points, river.points, atol=1e-9)


def test_resample_rejects_bad_steps_and_short_paths() -> None:
    with pytest.raises(ContentError, match="shorter than one step"):
        SQUARE.resample(4.5)
    assert len(SQUARE.resample(4.0)) == 2  # exactly one step long
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ParameterError, match="step_length"):
            SQUARE.resample(bad)


# ---- river/coinflip -----------------------------------------------------------------

def test_coinflip_default_output_has_no_noise_and_noise_keeps_the_coins() -> None:
    clean = procgen.get("river/coinflip").generate(9)
    np.testing.assert_allclose(np.abs(np.rad2deg(clean.turning_angles())), 15.0, atol=1e-9)
    noisy = procgen.get("river/coinflip", turn_noise=0.5).generate(9)
    noisy_turns = np.rad2deg(noisy.turning_angles())
    assert np.array_equal(np.sign(noisy_turns), np.sign(clean.turning_angles()))
    assert 0.3 < np.std(np.abs(noisy_turns) - 15.0) < 0.7


def test_coinflip_log_prob_is_finite_and_prefers_the_true_parameters() -> None:
    data = noisy_coinflip_paths(5, 200, angle=20.0, p_left=0.7, noise=3.0)
    true = procgen.get("river/coinflip", turn_angle=20.0, p_left=0.7, turn_noise=3.0)
    default = procgen.get("river/coinflip")  # turn_noise 0: scored with the 1 degree floor
    assert NOISE_FLOOR_DEG == 1.0
    for path in data:
        scores = {"true": true.log_prob(path), "default": default.log_prob(path)}
        for other in (dict(turn_angle=12.0), dict(p_left=0.3), dict(turn_noise=8.0), dict(turn_noise=1.0)):
            scores[str(other)] = true.with_params(**other).log_prob(path)
        assert all(math.isfinite(s) for s in scores.values())
        assert scores["true"] == max(scores.values()), scores
    # Same under any point spacing: the path is resampled to the model's step first.
    assert true.log_prob(densify(data[0], 4)) == pytest.approx(true.log_prob(data[0]), abs=1e-6)


def test_coinflip_log_prob_matches_a_slow_reference() -> None:
    stats = pytest.importorskip("scipy.stats")
    model = procgen.get("river/coinflip", turn_angle=25.0, p_left=0.35, turn_noise=40.0, step_length=1.0)
    path = noisy_coinflip_paths(1, 12, angle=60.0, p_left=0.5, noise=70.0, seed=5)[0]
    turns = path.turning_angles()
    a, sd = math.radians(25.0), math.radians(40.0)
    expected = 0.0
    for y in turns:
        density = 0.0
        for k in range(-6, 7):  # a wider wrap than the model's, to check its 7 terms suffice
            density += 0.35 * stats.norm.pdf(y + 2 * math.pi * k, a, sd)
            density += 0.65 * stats.norm.pdf(y + 2 * math.pi * k, -a, sd)
        expected += math.log(density)
    assert model.log_prob(path) == pytest.approx(expected, rel=1e-12)


def test_coinflip_fit_recovers_known_parameters() -> None:
    data = noisy_coinflip_paths(20, 300, angle=20.0, p_left=0.7, noise=3.0)
    start = procgen.get("river/coinflip", steps=77, step_length=1.0, heading=10.0)
    fitted = start.fit(data)
    c = fitted.config
    assert isinstance(fitted, CoinFlipRiver) and fitted is not start
    assert (c.steps, c.step_length, c.heading) == (77, 1.0, 10.0)  # kept, not fitted
    assert c.turn_angle == pytest.approx(20.0, abs=0.3)
    assert c.p_left == pytest.approx(0.7, abs=0.02)
    assert c.turn_noise == pytest.approx(3.0, abs=0.15)
    # The fit is a maximum: nudging any parameter lowers the total log likelihood.
    total = sum(fitted.log_prob(p) for p in data)
    for change in (dict(turn_angle=c.turn_angle + 0.2), dict(p_left=c.p_left - 0.02),
                   dict(turn_noise=c.turn_noise * 1.05), dict(turn_noise=c.turn_noise * 0.95)):
        assert sum(fitted.with_params(**change).log_prob(p) for p in data) < total


def test_coinflip_fit_handles_mostly_right_turns_and_wide_noise() -> None:
    fitted = procgen.get("river/coinflip").fit(noisy_coinflip_paths(10, 400, angle=30.0, p_left=0.2, noise=12.0))
    assert fitted.config.turn_angle == pytest.approx(30.0, abs=1.5)  # reported as a positive angle
    assert fitted.config.p_left == pytest.approx(0.2, abs=0.04)
    assert fitted.config.turn_noise == pytest.approx(12.0, abs=1.0)


def test_coinflip_fit_on_its_own_noise_free_output_floors_the_noise() -> None:
    generator = procgen.get("river/coinflip", turn_angle=15.0, p_left=0.6)
    fitted = generator.fit(generator.generate_batch(range(10)), min_noise=0.05)
    assert fitted.config.turn_angle == pytest.approx(15.0, abs=1e-6)
    assert fitted.config.turn_noise == pytest.approx(0.05)
    assert 0.55 < fitted.config.p_left < 0.65


def test_coinflip_bad_inputs() -> None:
    model = procgen.get("river/coinflip", step_length=1.0)
    with pytest.raises(ParameterError, match="at least one RiverPath"):
        model.fit([])
    with pytest.raises(ParameterError, match="list of RiverPaths"):
        model.fit(SQUARE)
    with pytest.raises(ParameterError, match="path 1: expected a RiverPath"):
        model.fit([SQUARE, np.zeros((4, 2))])
    with pytest.raises(ParameterError, match="turn_angle is fitted"):
        model.fit([SQUARE], turn_angle=10.0)
    with pytest.raises(ParameterError, match="no parameter"):
        model.fit([SQUARE], wiggle=1.0)
    short = RiverPath([[0, 0], [1.5, 0]])
    with pytest.raises(ContentError, match="too short to score"):
        model.log_prob(short)
    with pytest.raises(ContentError, match="path 1: .*too short"):
        model.fit([SQUARE, short])
    assert math.isfinite(model.log_prob(RiverPath([[0, 0], [1, 0], [1, 1]])))  # two steps: one turn


# ---- river/meander ------------------------------------------------------------------

def test_meander_is_registered_with_its_parameters() -> None:
    assert "river/meander" in procgen.available("hand-written")
    assert set(procgen.info("river/meander").parameters) == {"steps", "step_length", "phi", "sigma",
                                                              "mean_turn", "heading"}


def test_ar1_filter_matches_the_recursion() -> None:
    x = np.random.default_rng(0).standard_normal((3, 1000))
    for phi in (0.0, 0.5, -0.7, 0.99):
        expected = np.empty_like(x)
        previous = np.zeros(3)
        for t in range(x.shape[1]):
            previous = phi * previous + x[:, t]
            expected[:, t] = previous
        np.testing.assert_allclose(ar1_filter(x, phi), expected, rtol=1e-10, atol=1e-12)
        assert np.array_equal(ar1_filter(x[1], phi), ar1_filter(x, phi)[1])  # same bits alone or batched


def test_meander_turns_have_the_stationary_distribution() -> None:
    generator = procgen.get("river/meander", phi=0.7, sigma=5.0, mean_turn=-2.0, steps=400)
    turns = np.rad2deg(np.stack([p.turning_angles() for p in generator.generate_batch(range(200))]))
    spread = 5.0 / math.sqrt(1 - 0.7**2)
    # The first turn too: no burn-in.
    assert turns[:, 0].mean() == pytest.approx(-2.0, abs=3 * spread / math.sqrt(200))
    assert turns[:, 0].std() == pytest.approx(spread, rel=0.15)
    assert turns.std() == pytest.approx(spread, rel=0.05)


def test_meander_log_prob_matches_a_slow_reference() -> None:
    stats = pytest.importorskip("scipy.stats")
    model = procgen.get("river/meander", phi=-0.4, sigma=7.0, mean_turn=3.0, step_length=2.0)
    path = densify(procgen.get("river/meander", phi=0.8, sigma=6.0, steps=15, step_length=2.0).generate(3), 2)
    turns = path.resample(2.0).turning_angles()
    assert turns.shape == (14,)
    mu, sigma, phi = math.radians(3.0), math.radians(7.0), -0.4
    expected = stats.norm.logpdf(turns[0], mu, sigma / math.sqrt(1 - phi**2))
    for t in range(1, len(turns)):
        expected += stats.norm.logpdf(turns[t], mu + phi * (turns[t - 1] - mu), sigma)
    assert model.log_prob(path) == pytest.approx(expected, rel=1e-12)


def test_meander_fit_recovers_its_own_parameters() -> None:
    truth = procgen.get("river/meander", phi=0.8, sigma=4.0, mean_turn=1.5, steps=501)
    data = truth.generate_batch(range(40))
    fitted = procgen.get("river/meander", steps=64, heading=0.0).fit(data)
    c = fitted.config
    assert isinstance(fitted, MeanderRiver) and (c.steps, c.heading, c.step_length) == (64, 0.0, 1.0)
    assert c.phi == pytest.approx(0.8, abs=0.02)
    assert c.sigma == pytest.approx(4.0, abs=0.1)
    assert c.mean_turn == pytest.approx(1.5, abs=0.4)
    total = sum(fitted.log_prob(p) for p in data)
    assert total > sum(truth.with_params(phi=0.5).log_prob(p) for p in data)
    assert total > sum(procgen.get("river/meander").log_prob(p) for p in data)


def test_meander_fit_on_a_perfect_arc() -> None:
    fitted = procgen.get("river/meander", step_length=0.5).fit([arc(10.0, 0.0, 1.5 * np.pi, 20_000)])
    assert -1.0 < fitted.config.phi < 1.0  # any value fits: the turns barely vary
    assert fitted.config.mean_turn == pytest.approx(math.degrees(0.05), rel=5e-3)
    assert fitted.config.sigma < 0.05


def test_meander_bad_inputs() -> None:
    model = procgen.get("river/meander", step_length=1.0)
    with pytest.raises(ParameterError, match="at least one RiverPath"):
        model.fit(())
    with pytest.raises(ParameterError, match="phi is fitted"):
        model.fit([SQUARE], phi=0.5)
    with pytest.raises(ContentError, match="too short to score"):
        model.log_prob(RiverPath([[0, 0], [0, 1.9]]))
    with pytest.raises(ContentError, match="at least 3 pairs"):
        model.fit([SQUARE])  # 3 turns make only 2 consecutive pairs
    with pytest.raises(ParameterError, match="phi"):
        procgen.get("river/meander", phi=1.0)


def test_shared_turn_reader_is_what_both_models_score() -> None:
    path = procgen.get("river/meander").generate(1)
    np.testing.assert_allclose(observed_turns(path, 1.0), path.turning_angles(), atol=1e-9)
