"""river/meander: a river whose turning persists, so it swings in smooth bends.

The turn after each step follows a Gaussian AR(1) process around a mean turn mu:

    turn_t - mu = phi * (turn_{t-1} - mu) + sigma * eps_t,   eps_t ~ Normal(0, 1)

and the first turn is drawn from the stationary distribution Normal(mu, sigma**2 / (1 - phi**2)),
so every turn has that distribution. phi near 1 gives long lazy bends, phi near 0 the
coin-flip river's jitter, phi < 0 a zig-zag; mu != 0 makes the river curl one way.
Angles are degrees in the config (phi = ``phi``, sigma = ``sigma``, mu = ``mean_turn``),
radians inside.

Likelihood (:meth:`MeanderRiver.log_prob`): the river is resampled every ``step_length``
and read as turning angles y_1..y_n (wrapped to (-pi, pi]); their exact log density is

    log N(y_1; mu, sigma**2 / (1 - phi**2)) + sum_{t >= 2} log N(y_t; mu + phi (y_{t-1} - mu), sigma**2).

It treats the wrapped observed turns as the process's values, which is exact while turns
stay within +-180 degrees (overwhelmingly so for sensible parameters). Only the turns are
scored: not the start point, first heading or number of steps.

Fitting (:meth:`MeanderRiver.fit`) is closed form: least squares of y_t on (1, y_{t-1})
over every consecutive pair of every path gives phi and the intercept c, mu = c / (1 - phi),
and sigma**2 is the mean squared residual. That is the maximum likelihood given each path's
first turn (the conditional MLE); it ignores only the first turn's stationary term, which
weighs one turn per path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from procgen.content import RiverPath
from procgen.errors import ContentError, ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten.turns import gaussian_logpdf, observed_turns, turns_of_paths, walk
from procgen.generators.registry import register
from procgen.seeding import make_rng

__all__ = ["MeanderConfig", "MeanderRiver", "ar1_filter"]

MAX_SIGMA_DEG = 90.0
MAX_MEAN_TURN_DEG = 90.0
PHI_MAX = 0.999  # fitted phi is clipped to [-PHI_MAX, PHI_MAX] so the process stays stationary
_FITTED = ("phi", "sigma", "mean_turn")


@dataclass(frozen=True, kw_only=True)
class MeanderConfig(GeneratorConfig):
    steps: int = param(256, "number of forward increments (the path has steps + 1 points)", ge=1, le=1_000_000)
    step_length: float = param(1.0, "length of each increment, in world units", gt=0.0)
    phi: float = param(0.9, "persistence: the share of the last turn carried into the next "
                            "(near 1 = long bends, 0 = jitter, < 0 = zig-zag)", gt=-1.0, lt=1.0)
    sigma: float = param(3.0, "degrees: standard deviation of the fresh random part of each turn",
                         gt=0.0, le=MAX_SIGMA_DEG)
    mean_turn: float = param(0.0, "degrees: average turn per step (> 0 curls left, < 0 right)",
                             ge=-MAX_MEAN_TURN_DEG, le=MAX_MEAN_TURN_DEG)
    heading: float = param(90.0, "starting direction in degrees (0 = east, 90 = north)", ge=-360.0, le=360.0)


def ar1_filter(x: np.ndarray, phi: float) -> np.ndarray:
    """y (..., n) with y_t = phi * y_{t-1} + x_t along the last axis (y_{-1} = 0).

    A log-depth doubling scan instead of a Python loop over t: after the round with
    shift s, y_t holds sum_{j < 2s} phi**j x_{t-j}. It uses only elementwise products and
    sums, so a row gives the same bits alone or inside a batch.
    """
    y = np.array(x, dtype=np.float64, copy=True)  # (..., n)
    n = y.shape[-1]
    power, shift = float(phi), 1
    while shift < n and power != 0.0:
        y[..., shift:] += power * y[..., :-shift]  # the product is a new array, so no aliasing
        power *= power
        shift *= 2
    return y


@register
class MeanderRiver(Generator[RiverPath]):
    name = "river/meander"
    description = "a river whose turns persist (AR(1) curvature), so it swings in smooth bends"
    content_type = RiverPath
    Config = MeanderConfig
    config: MeanderConfig

    # ---- generating --------------------------------------------------------------
    def _noise(self, stream: np.random.SeedSequence) -> np.ndarray:
        return make_rng(stream).standard_normal(self.config.steps - 1)  # (steps - 1,)

    def _turns(self, eps: np.ndarray) -> np.ndarray:
        """(..., n) turns in radians from standard normal draws (..., n)."""
        c = self.config
        sigma = np.deg2rad(c.sigma)
        innovations = sigma * eps  # (..., n)
        # The first turn starts in the stationary distribution, so no burn-in is needed.
        innovations[..., :1] /= np.sqrt(1.0 - c.phi * c.phi)
        return np.deg2rad(c.mean_turn) + ar1_filter(innovations, c.phi)

    def _generate(self, stream: np.random.SeedSequence) -> RiverPath:
        turns = self._turns(self._noise(stream))
        return RiverPath(walk(turns, step_length=self.config.step_length, heading=self.config.heading))

    def _generate_batch(self, streams: list[np.random.SeedSequence]) -> list[RiverPath]:
        if not streams:
            return []
        turns = self._turns(np.stack([self._noise(s) for s in streams]))  # (B, steps - 1)
        paths = walk(turns, step_length=self.config.step_length, heading=self.config.heading)
        return [RiverPath(p) for p in paths]

    def turn_process(self) -> "MeanderTurns":
        """The walk one turn at a time, for terrain-guided rivers (``procgen.generators.guided``)."""
        return MeanderTurns(self.config)

    # ---- likelihood --------------------------------------------------------------
    def log_prob(self, path: RiverPath) -> float:
        """Exact log density (nats) of ``path``'s turning angles at this step_length (module docstring).

        Raises ContentError if the path is shorter than two steps (it then has no turn).
        """
        c = self.config
        turns = observed_turns(path, c.step_length)  # (n,)
        mu, sigma = np.deg2rad(c.mean_turn), np.deg2rad(c.sigma)
        first = gaussian_logpdf(turns[0], mu, sigma / np.sqrt(1.0 - c.phi * c.phi))
        rest = gaussian_logpdf(turns[1:], mu + c.phi * (turns[:-1] - mu), sigma)  # (n - 1,)
        return float(first + rest.sum())

    def fit(self, paths: Sequence[RiverPath], *, min_sigma: float = 0.01, **params: Any) -> MeanderRiver:
        """A new generator with phi, sigma and mean_turn fitted to ``paths`` (module docstring).

        ``params`` (e.g. ``step_length=2.0``, ``steps``, ``heading``) are set first and kept.
        All paths are pooled: one phi, sigma and mean turn for the whole set. phi is clipped
        to [-0.999, 0.999] and is 0 when the previous turns do not vary (a perfect arc);
        sigma is kept >= ``min_sigma`` degrees, as noise-free data would drive it to 0;
        mean_turn and sigma are clipped to their config bounds.
        """
        fixed = [name for name in params if name in _FITTED]
        if fixed:
            raise ParameterError(f"{', '.join(fixed)} {'is' if len(fixed) == 1 else 'are'} fitted, not set; "
                                 "fit(paths, ...) accepts steps, step_length and heading")
        if not (0 < min_sigma <= MAX_SIGMA_DEG):
            raise ParameterError(f"min_sigma must be in (0, {MAX_SIGMA_DEG}] degrees, got {min_sigma!r}")
        config = self.config.replace(**params)
        per_path = turns_of_paths(paths, config.step_length)
        before = np.concatenate([t[:-1] for t in per_path])  # (m,) y_{t-1} of every pair
        after = np.concatenate([t[1:] for t in per_path])  # (m,) y_t
        if before.shape[0] < 3:
            raise ContentError(f"fit needs at least 3 pairs of consecutive turns over all paths, got "
                               f"{before.shape[0]}: give longer rivers or a shorter step_length")
        x0, y0 = before - before.mean(), after - after.mean()  # (m,) centred
        sxx = float(x0 @ x0)
        # Constant previous turns (a perfect arc) leave phi undetermined; 0 is the simplest answer.
        phi = float(np.clip((x0 @ y0) / sxx, -PHI_MAX, PHI_MAX)) if sxx > 1e-24 * before.shape[0] else 0.0
        intercept = float(after.mean() - phi * before.mean())
        residual = after - intercept - phi * before  # (m,)
        sigma = np.rad2deg(np.sqrt(float(residual @ residual) / residual.shape[0]))
        mean_turn = np.rad2deg(intercept / (1.0 - phi))
        return type(self)(config.replace(
            phi=phi,
            sigma=float(np.clip(sigma, min_sigma, MAX_SIGMA_DEG)),
            mean_turn=float(np.clip(mean_turn, -MAX_MEAN_TURN_DEG, MAX_MEAN_TURN_DEG))))


class MeanderTurns:
    """AR(1) turns drawn one step at a time; the state is the last turn (None before the first)."""

    def __init__(self, config: MeanderConfig) -> None:
        self.config = config

    def start(self) -> float | None:
        return None

    def draw(self, last: float | None, rng: np.random.Generator, count: int) -> np.ndarray:
        """(count,) next turns in radians given the ``last`` one (the stationary law for the first)."""
        c = self.config
        mu, sigma = np.deg2rad(c.mean_turn), np.deg2rad(c.sigma)
        if last is None:
            return mu + sigma / np.sqrt(1.0 - c.phi * c.phi) * rng.standard_normal(count)
        return mu + c.phi * (last - mu) + sigma * rng.standard_normal(count)

    def advance(self, last: float | None, turn: float) -> float:
        return turn
