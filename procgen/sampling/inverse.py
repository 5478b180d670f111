"""Inverse transform sampling, x = F^-1(u) with u ~ U(0, 1), from a designer's density.

The density is piecewise linear over knots x_0 < ... < x_k: on segment i it runs from
``left[i]`` at x_i to ``right[i]`` at x_{i+1}. A table of densities at points (tree
density by height) is the continuous case; a histogram (spawn distance bins) is the case
left == right. The CDF is then piecewise quadratic, so F and F^-1 are exact closed forms
and no numerical integration or root finding is needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from procgen.errors import ParameterError
from procgen.sampling._checks import check_count, check_rng, frozen, real_array


@dataclass(frozen=True, eq=False)
class InverseTransform:
    """A normalized piecewise-linear density; build with from_table or from_histogram."""

    knots: np.ndarray  # (k + 1,) strictly increasing, finite
    left: np.ndarray   # (k,) density at the left end of each segment, normalized
    right: np.ndarray  # (k,) density at the right end of each segment, normalized
    _cum: np.ndarray = field(init=False, repr=False)    # (k + 1,) F at the knots, 0 .. 1
    _first: int = field(init=False, repr=False)         # first segment with positive mass

    def __post_init__(self) -> None:
        knots = _check_knots(self.knots, "knots")
        k = knots.shape[0] - 1
        left = _check_density(self.left, "left", k)
        right = _check_density(self.right, "right", k)
        widths = np.diff(knots)  # (k,)
        with np.errstate(over="ignore"):  # overflow shows up as an infinite total, reported below
            masses = 0.5 * widths * (left + right)  # (k,) trapezoid rule is exact for linear pieces
            total = float(np.sum(masses))
        if not np.isfinite(total) or total <= 0.0:
            raise ParameterError(
                f"density has total mass {total:.3g}; it must be finite and positive "
                "(give at least one positive density value on a segment of positive width)"
            )
        with np.errstate(over="ignore"):
            left, right = left / total, right / total
        if not (np.isfinite(left).all() and np.isfinite(right).all()):
            raise ParameterError("density is too narrow to normalize (x-range near the float limit); rescale x")
        cum = np.concatenate([[0.0], np.cumsum(masses / total)])  # (k + 1,)
        cum /= cum[-1]  # F ends at exactly 1 despite rounding in the sum
        object.__setattr__(self, "knots", frozen(knots))
        object.__setattr__(self, "left", frozen(left))
        object.__setattr__(self, "right", frozen(right))
        object.__setattr__(self, "_cum", frozen(cum))
        object.__setattr__(self, "_first", int(np.argmax(masses > 0.0)))

    @classmethod
    def from_table(cls, xs: Any, density: Any) -> InverseTransform:
        """Density ``density[j]`` at ``xs[j]``, linear in between, zero outside [xs[0], xs[-1]]."""
        points = _check_knots(xs, "xs")
        values = _check_density(density, "density", points.shape[0])
        return cls(points, values[:-1], values[1:])

    @classmethod
    def from_histogram(cls, edges: Any, weights: Any, *, density: bool = False) -> InverseTransform:
        """Constant density on each bin [edges[i], edges[i+1]).

        ``weights[i]`` is the relative probability of bin i (like histogram counts), so a
        wide bin is not favoured for its width; pass ``density=True`` when the weights are
        already density heights.
        """
        bounds = _check_knots(edges, "edges")
        heights = _check_density(weights, "weights", bounds.shape[0] - 1)
        if not density:
            heights = heights / np.diff(bounds)
        return cls(bounds, heights, heights)

    @property
    def support(self) -> tuple[float, float]:
        """(lowest, highest) x that can be drawn: zero-mass end segments are excluded."""
        return float(self.ppf(0.0)), float(self.ppf(1.0))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws as an (n,) array; all randomness comes from ``rng``."""
        rng, n = check_rng(rng), check_count(n)
        return self.ppf(rng.random(n))  # (n,)

    def pdf(self, x: Any) -> np.ndarray:
        """Normalized density at x (any shape); right-continuous at histogram edges."""
        x = real_array(x, "x", allow_inf=True)
        i, t = self._locate(x)
        h = np.diff(self.knots)[i]
        value = self.left[i] + (self.right[i] - self.left[i]) * (t / h)
        inside = (x >= self.knots[0]) & (x <= self.knots[-1])
        return np.where(inside, value, 0.0)

    def cdf(self, x: Any) -> np.ndarray:
        """F(x) = P(X <= x), exact, for x of any shape."""
        x = real_array(x, "x", allow_inf=True)
        i, t = self._locate(x)
        a, b, h = self.left[i], self.right[i], np.diff(self.knots)[i]
        # Integral of a + (b - a) s / h over s in [0, t].
        partial = t * (a + (b - a) * t / (2.0 * h))
        return np.clip(self._cum[i] + partial, 0.0, 1.0)

    def ppf(self, u: Any) -> np.ndarray:
        """F^-1(u) = min{x : F(x) >= u} for u in [0, 1] (any shape)."""
        u = real_array(u, "u")
        if np.any((u < 0.0) | (u > 1.0)):
            raise ParameterError("u must be probabilities in [0, 1]")
        i = self._segment_of(u)
        a, b = self.left[i], self.right[i]
        h = np.diff(self.knots)[i]
        lo, hi = self._cum[i], self._cum[i + 1]
        r = np.clip(u - lo, 0.0, hi - lo)  # mass between x_i and the answer
        s = np.clip(hi - u, 0.0, hi - lo)  # mass between the answer and x_{i+1}
        # Solve from the nearer end in mass: near an end where the density falls to zero,
        # F^-1 behaves like sqrt, so the far-end solution would amplify rounding ~1e-8.
        from_left = self.knots[i] + _quadratic_root(a, b, h, r)
        from_right = self.knots[i + 1] - _quadratic_root(b, a, h, s)
        x = np.where(r <= s, from_left, from_right)
        return np.clip(x, self.knots[i], self.knots[i + 1])

    def _locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Segment index and clipped offset into it; points outside land on an end."""
        k = self.left.shape[0]
        i = np.clip(np.searchsorted(self.knots, x, side="right") - 1, 0, k - 1)
        t = np.clip(x - self.knots[i], 0.0, np.diff(self.knots)[i])
        return i, t

    def _segment_of(self, u: np.ndarray) -> np.ndarray:
        # side="left" picks i with F(x_i) < u <= F(x_{i+1}): a segment of positive mass,
        # so u never maps into a zero-density gap; u == 0 goes to the first such segment.
        j = np.searchsorted(self._cum, u, side="left") - 1
        return np.where(j < 0, self._first, np.minimum(j, self.left.shape[0] - 1))


def _quadratic_root(a: np.ndarray, b: np.ndarray, h: np.ndarray, r: np.ndarray) -> np.ndarray:
    """The t in [0, h] with a t + (b - a) t^2 / (2 h) = r, elementwise.

    That is the distance from the end with density a that holds mass r; swapping a and b
    measures from the other end.

    Written as 2 r / (a + sqrt(a^2 + 2 (b - a) r / h)) rather than the textbook root: it
    stays accurate when b ~ a (where the textbook form cancels) and when a == 0.
    """
    disc = np.maximum(a * a + 2.0 * (b - a) * r / h, 0.0)  # >= b^2 >= 0 up to rounding
    denom = a + np.sqrt(disc)
    t = np.divide(2.0 * r, denom, out=np.zeros_like(r), where=denom > 0.0)  # r == 0 -> t = 0
    return np.clip(t, 0.0, h)


def _check_knots(value: Any, name: str) -> np.ndarray:
    knots = real_array(value, name)
    if knots.ndim != 1 or knots.shape[0] < 2:
        raise ParameterError(f"{name} must be a 1-D array of at least 2 points, got shape {knots.shape}")
    with np.errstate(over="ignore"):  # reported below as a range too wide
        widths = np.diff(knots)
    if not np.all(widths > 0.0):
        raise ParameterError(f"{name} must be strictly increasing (sort them and drop duplicates)")
    if not np.isfinite(widths).all():
        raise ParameterError(f"{name} spans too wide a range: x[i+1] - x[i] overflows")
    return knots


def _check_density(value: Any, name: str, length: int) -> np.ndarray:
    values = real_array(value, name)
    if values.shape != (length,):
        raise ParameterError(f"{name} must have shape ({length},) to match the points, got {values.shape}")
    if np.any(values < 0.0):
        raise ParameterError(f"{name} must be >= 0 everywhere; a density cannot be negative")
    return values
