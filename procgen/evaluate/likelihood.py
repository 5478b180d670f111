"""Held-out log-likelihood in nats per step: the seeds' evaluation of a density model.

Every explicit river model (hand-written or learned) scores the turning angles of a path
resampled to its own step length, so the figures of different models are comparable
when they share a step length. The per-step figure is the ratio of total nats to total
scored turns over the held-out paths; its standard error treats paths as the independent
units (a ratio estimator), since turns within one river are correlated.
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
    """True for models with a turning-angle log_prob (not implicit ones, not point densities)."""
    return (callable(getattr(generator, "log_prob", None)) and getattr(generator, "explicit", True)
            and getattr(generator, "density_space", "turns") == "turns")


def scored_steps(generator: Any, path: RiverPath) -> int:
    if hasattr(generator, "scored_steps"):
        return int(generator.scored_steps(path))
    return len(observed_turns(path, generator.config.step_length))


def heldout_nll(generator: Any, paths: Sequence[RiverPath]) -> HeldOutNLL:
    """NLL per step of ``generator`` on ``paths``; paths too short to score are skipped."""
    if not has_density(generator):
        raise ParameterError(f"{generator.name} has no turning-angle density to evaluate")
    totals, counts = [], []
    for path in paths:
        steps = scored_steps(generator, path) if len(path) >= 3 else 0
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
