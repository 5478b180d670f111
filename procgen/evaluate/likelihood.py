"""Held-out log-likelihood in nats per step: the seeds' evaluation of a density model.

Every explicit river model (hand-written or learned) scores the turning angles of a path
resampled to its own step length, so the figures of different models are comparable
when they share a step length. The per-step figure is the ratio of total nats to total
scored turns over the held-out paths; its standard error treats paths as the independent
units (a ratio estimator), since turns within one river are correlated.

Dequantization: turning angles of real data are rounded (and the shipped rivers have
many exact zeros, where a 2 km step runs along one straight source segment), so a
continuous density could earn unbounded nats by stacking mass on those values. Held-out
turns are therefore jittered by uniform noise of width ``resolution`` radians (0.01 by
default; fixed seed, so the figure is deterministic) before scoring: a model earns at most
log(1 / resolution) nats per turn for knowing a turn exactly. ``resolution=0`` scores the
raw turns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from procgen.content import RiverPath
from procgen.errors import ParameterError
from procgen.generators.handwritten.turns import observed_turns


@dataclass(frozen=True)
class HeldOutNLL:
    """Negative log-likelihood per scored step over held-out paths, with its standard error."""

    nats_per_step: float
    stderr: float
    paths: int
    steps: int


def has_density(generator: Any) -> bool:
    """True for river models with a turning-angle log_prob (not implicit ones, not point densities)."""
    return (getattr(generator, "content_type", RiverPath) is RiverPath and callable(getattr(generator, "log_prob", None)) and getattr(generator, "explicit", True)
            and getattr(generator, "density_space", "turns") == "turns")


def scored_steps(generator: Any, path: RiverPath) -> int:
    if hasattr(generator, "scored_steps"):
        return int(generator.scored_steps(path))
    return len(observed_turns(path, generator.config.step_length))


DEFAULT_RESOLUTION = 0.01


def dequantized(path: RiverPath, step_length: float, resolution: float, rng: np.random.Generator) -> RiverPath:
    """``path`` at ``step_length`` with each turn moved by U(-resolution/2, resolution/2)."""
    turns, heading = path.to_turns(step_length)
    jitter = rng.uniform(-resolution / 2, resolution / 2, size=turns.shape)
    return RiverPath.from_turns(turns + jitter, step_length, heading, tuple(path.points[0]))


def heldout_nll(generator: Any, paths: Sequence[RiverPath], *, resolution: float = DEFAULT_RESOLUTION,
                seed: int = 0) -> HeldOutNLL:
    """NLL per step of ``generator`` on ``paths`` dequantized at ``resolution`` radians.

    Paths too short to score are skipped.
    """
    if not has_density(generator):
        raise ParameterError(f"{generator.name} has no turning-angle density to evaluate")
    if resolution < 0:
        raise ParameterError(f"resolution must be >= 0 radians, got {resolution}")
    rng = np.random.Generator(np.random.PCG64(seed))
    totals, counts = [], []
    for path in paths:
        if len(path) < 3:
            continue
        if resolution > 0:
            path = dequantized(path, generator.config.step_length, resolution, rng)
        steps = scored_steps(generator, path)
        if steps > 0:
            totals.append(-float(generator.log_prob(path)))
            counts.append(steps)
    if not counts:
        raise ParameterError("no held-out path is long enough to score")
    nll, n = np.array(totals), np.array(counts, dtype=np.float64)
    ratio = nll.sum() / n.sum()
    k = len(n)
    stderr = math.sqrt(((nll - ratio * n) ** 2).sum() * k / max(k - 1, 1)) / n.sum() if k > 1 else float("nan")
    return HeldOutNLL(float(ratio), float(stderr), k, int(n.sum()))
