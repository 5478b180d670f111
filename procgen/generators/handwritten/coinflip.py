"""river/coinflip: the seeds' river program, written by hand.

"Walk an increment forward, flip a coin to decide whether to turn left or right,
repeat." Segment k has heading h0 + sum of the first k turns; each turn is
+turn_angle (left, with probability p_left) or -turn_angle.

Observation model (what :meth:`CoinFlipRiver.log_prob` scores and
:meth:`CoinFlipRiver.fit` fits). A river is resampled to points every ``step_length``
of arc length and read as its sequence of turning angles y_1..y_n (radians, wrapped to
(-pi, pi], positive = left). Each turn is independent:

    y_t = wrap(s_t * a + e_t),   s_t = +1 with probability p_left, else -1,
                                 e_t ~ Normal(0, sigma**2)

with a = turn_angle and sigma = turn_noise (both in degrees in the config). So each
y_t has the density of a two-component mixture of wrapped Gaussians centred at +a and -a
with weights p_left and 1 - p_left and one shared scale sigma; the wrapped Gaussian is
summed over 2 pi shifts -3..3, exact to machine precision for sigma <= 90 degrees.

- ``turn_noise`` > 0 is also used when generating: each turn gets its Gaussian
  deviation, drawn after the coins, so the default (turn_noise = 0) output is unchanged.
- ``turn_noise`` == 0 makes the model a pair of spikes, which gives real (noisy) rivers
  zero likelihood; :meth:`log_prob` then scores with sigma = ``NOISE_FLOOR_DEG`` (1 degree)
  so that the answer stays finite and comparable.
- The score is the log density, in nats, of the turning angles only: the start point,
  the first heading and the number of steps are not scored, and a remainder shorter than
  one step at the end of a river is dropped by the resampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from procgen.content import RiverPath
from procgen.errors import ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten.turns import gaussian_logpdf, observed_turns, turns_of_paths, walk, wrap_angle
from procgen.generators.registry import register
from procgen.seeding import make_rng

__all__ = ["CoinFlipConfig", "CoinFlipRiver", "NOISE_FLOOR_DEG", "walk"]

NOISE_FLOOR_DEG = 1.0  # noise scale log_prob assumes when turn_noise is 0
MAX_NOISE_DEG = 90.0  # keeps the 7-term wrapped-Gaussian sum exact
_SHIFTS = 2 * np.pi * np.arange(-3, 4)  # (7,) the wrapped Gaussian's 2 pi shifts
_SIGNS = np.array([1.0, -1.0])  # (2,) left, right
_FITTED = ("turn_angle", "p_left", "turn_noise")


@dataclass(frozen=True, kw_only=True)
class CoinFlipConfig(GeneratorConfig):
    steps: int = param(256, "number of forward increments (the path has steps + 1 points)", ge=1, le=1_000_000)
    step_length: float = param(1.0, "length of each increment, in world units", gt=0.0)
    turn_angle: float = param(15.0, "degrees turned left or right after each increment", ge=0.0, le=180.0)
    p_left: float = param(0.5, "probability that the coin says 'turn left'", ge=0.0, le=1.0)
    heading: float = param(90.0, "starting direction in degrees (0 = east, 90 = north)", ge=-360.0, le=360.0)
    turn_noise: float = param(0.0, "degrees: standard deviation of a Gaussian wobble added to each turn",
                              ge=0.0, le=MAX_NOISE_DEG)


@register
class CoinFlipRiver(Generator[RiverPath]):
    name = "river/coinflip"
    description = "the seeds' river: step forward, flip a coin to turn left or right, repeat"
    content_type = RiverPath
    Config = CoinFlipConfig
    config: CoinFlipConfig

    # ---- generating --------------------------------------------------------------
    def _turns(self, stream: np.random.SeedSequence) -> np.ndarray:
        c = self.config
        rng = make_rng(stream)
        # One coin per bend between consecutive increments: steps - 1 flips.
        left = rng.random(c.steps - 1) < c.p_left
        turns = np.where(left, 1.0, -1.0) * np.deg2rad(c.turn_angle)  # (steps - 1,)
        if c.turn_noise > 0:
            # Drawn after every coin, so the coins (and noise-free output) never change.
            turns = turns + np.deg2rad(c.turn_noise) * rng.standard_normal(c.steps - 1)
        return turns

    def _generate(self, stream: np.random.SeedSequence) -> RiverPath:
        return RiverPath(walk(self._turns(stream), step_length=self.config.step_length, heading=self.config.heading))

    def _generate_batch(self, streams: list[np.random.SeedSequence]) -> list[RiverPath]:
        if not streams:
            return []
        turns = np.stack([self._turns(s) for s in streams])  # (B, steps - 1)
        paths = walk(turns, step_length=self.config.step_length, heading=self.config.heading)
        return [RiverPath(p) for p in paths]

    def turn_process(self) -> "CoinFlipTurns":
        """The walk one turn at a time, for terrain-guided rivers (``procgen.generators.guided``)."""
        return CoinFlipTurns(self.config)

    # ---- likelihood --------------------------------------------------------------
    def log_prob(self, path: RiverPath) -> float:
        """Log density (nats) of ``path``'s turning angles at this step_length (module docstring).

        Raises ContentError if the path is shorter than two steps (it then has no turn).
        """
        c = self.config
        noise = c.turn_noise if c.turn_noise > 0 else NOISE_FLOOR_DEG
        turns = observed_turns(path, c.step_length)  # (n,)
        return float(_mixture_loglik(turns, np.deg2rad(c.turn_angle), c.p_left, np.deg2rad(noise)).sum())

    def fit(self, paths: Sequence[RiverPath], *, max_iter: int = 500, tol: float = 1e-10,
            min_noise: float = 0.01, **params: Any) -> CoinFlipRiver:
        """A new generator whose turn_angle, p_left and turn_noise maximise the likelihood of ``paths``.

        ``params`` (e.g. ``step_length=2.0``, ``steps``, ``heading``) are set first and kept;
        the turns of every path, resampled to that step_length, are pooled. The maximum is
        found by EM for the two-component wrapped-Gaussian mixture with means +a, -a and one
        shared scale; EM stops when the log likelihood gains less than ``tol`` nats per turn
        or after ``max_iter`` rounds. The noise scale is kept >= ``min_noise`` degrees, since
        noise-free data (this generator's own output with turn_noise 0) would drive it to 0.
        """
        fixed = [name for name in params if name in _FITTED]
        if fixed:
            raise ParameterError(f"{', '.join(fixed)} {'is' if len(fixed) == 1 else 'are'} fitted, not set; "
                                 "fit(paths, ...) accepts steps, step_length and heading")
        if not (isinstance(max_iter, int) and max_iter >= 1):
            raise ParameterError(f"max_iter must be an int >= 1, got {max_iter!r}")
        if not (0 < min_noise <= MAX_NOISE_DEG):
            raise ParameterError(f"min_noise must be in (0, {MAX_NOISE_DEG}] degrees, got {min_noise!r}")
        config = self.config.replace(**params)
        turns = np.concatenate(turns_of_paths(paths, config.step_length))  # (n,) pooled
        a, p, sigma = _fit_mixture(turns, max_iter=max_iter, tol=tol, min_sd=np.deg2rad(min_noise),
                                   max_sd=np.deg2rad(MAX_NOISE_DEG))
        return type(self)(config.replace(turn_angle=float(np.clip(np.rad2deg(a), 0.0, 180.0)),
                                         p_left=float(np.clip(p, 0.0, 1.0)),
                                         turn_noise=float(np.clip(np.rad2deg(sigma), 0.0, MAX_NOISE_DEG))))


def _component_logpdf(turns: np.ndarray, a: float, p_left: float, sd: float) -> np.ndarray:
    """(n, 2, 7) log of weight x density of each (left/right, 2 pi shift) component at each turn."""
    with np.errstate(divide="ignore"):  # p_left 0 or 1 gives a -inf weight, which is right
        log_w = np.log(np.array([p_left, 1.0 - p_left]))  # (2,)
    means = _SIGNS[:, None] * a + _SHIFTS[None, :]  # (2, 7)
    return log_w[None, :, None] + gaussian_logpdf(turns[:, None, None], means[None], sd)


def _logsumexp_components(logc: np.ndarray) -> np.ndarray:
    """(n,) log of the sum over the last two axes of (n, 2, 7)."""
    top = logc.max(axis=(1, 2))  # (n,) finite: at least one weight is > 0
    return top + np.log(np.exp(logc - top[:, None, None]).sum(axis=(1, 2)))


def _mixture_loglik(turns: np.ndarray, a: float, p_left: float, sd: float) -> np.ndarray:
    """(n,) log density of each turn under the wrapped two-Gaussian mixture."""
    return _logsumexp_components(_component_logpdf(turns, a, p_left, sd))


def _fit_mixture(turns: np.ndarray, *, max_iter: int, tol: float, min_sd: float,
                 max_sd: float) -> tuple[float, float, float]:
    """EM for (a >= 0, p_left, sd) of the wrapped mixture; the latent is (coin, 2 pi shift)."""
    n = turns.shape[0]
    a = float(np.abs(turns).mean())
    p = (float((turns > 0).sum()) + 1.0) / (n + 2.0)  # never exactly 0 or 1 at the start
    sd = float(np.clip(np.abs(np.abs(turns) - a).mean(), min_sd, max_sd))
    unwrapped = turns[:, None, None] - _SHIFTS[None, None, :]  # (n, 1, 7) turn if shift k happened
    signs = _SIGNS[None, :, None]  # (1, 2, 1)
    previous = -np.inf
    for _ in range(max_iter):
        logc = _component_logpdf(turns, a, p, sd)  # (n, 2, 7)
        loglik = _logsumexp_components(logc)  # (n,)
        r = np.exp(logc - loglik[:, None, None])  # (n, 2, 7) responsibilities
        # M-step; s**2 = 1 makes the symmetric mean a weighted average of s * (y - shift).
        a = float((r * signs * unwrapped).sum() / n)
        p = float(r[:, 0, :].sum() / n)
        sd = float(np.clip(np.sqrt((r * (unwrapped - signs * a) ** 2).sum() / n), min_sd, max_sd))
        total = float(loglik.sum())
        if total - previous <= tol * n:
            break
        previous = total
    # (a, p) and (-a, 1 - p) are the same model, and a is an angle: report a in [0, pi].
    a = float(wrap_angle(a))
    if a < 0:
        a, p = -a, 1.0 - p
    return a, p, sd


class CoinFlipTurns:
    """Coin-flip turns drawn one step at a time: every turn independent of the others."""

    def __init__(self, config: CoinFlipConfig) -> None:
        self.config = config

    def start(self) -> None:
        return None

    def draw(self, state: None, rng: np.random.Generator, count: int) -> np.ndarray:
        """(count,) turns in radians, each from the coin (and its noise)."""
        c = self.config
        turns = np.where(rng.random(count) < c.p_left, 1.0, -1.0) * np.deg2rad(c.turn_angle)
        if c.turn_noise > 0:
            turns = turns + np.deg2rad(c.turn_noise) * rng.standard_normal(count)
        return turns

    def advance(self, state: None, turn: float) -> None:
        return None
