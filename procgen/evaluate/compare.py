"""Compare river generators with real rivers: likelihood, a discriminator, statistics, novelty.

Every generator draws ``samples`` rivers from seeds derived from one comparison seed; all
rivers (generated and real) are resampled to the data's step and cut into windows of
``window`` turns, so statistics and classifiers always see the same length at the same
scale. The figures are deterministic for a given seed.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Sequence

import numpy as np

from procgen.content import RiverPath
from procgen.errors import ParameterError
from procgen.evaluate.discriminator import TwoSampleResult, classifier_two_sample_test
from procgen.evaluate.likelihood import HeldOutNLL, has_density, heldout_nll
from procgen.evaluate.novelty import Novelty, novelty
from procgen.evaluate.statistics import (STATISTICS, StatisticDistance, river_statistics, statistic_distances,
                                         turn_windows)
from procgen.generators import Generator


@dataclass
class GeneratorResult:
    """Every figure for one generator."""

    label: str
    name: str
    kind: str
    nll: HeldOutNLL | None
    discriminator: TwoSampleResult
    distances: dict[str, StatisticDistance]
    novelty: Novelty
    windows: int
    step_length: float  # the model's own step: its held-out NLL scores the rivers resampled to it

    @property
    def mean_ks(self) -> float:
        return float(np.mean([d.ks for d in self.distances.values()]))


@dataclass
class Comparison:
    """A comparison of generators against held-out real rivers."""

    seed: int
    samples: int
    window: int
    step_length: float
    holdout_rivers: int
    holdout_windows: int
    reference_novelty: Novelty | None  # held-out real windows against the training windows
    results: list[GeneratorResult] = field(default_factory=list)
    # Per-statistic samples for plots; not written to JSON.
    statistics: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    examples: dict[str, list[np.ndarray]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        body = {k: v for k, v in asdict(self).items() if k not in ("statistics", "examples", "results")}
        body["results"] = [{**asdict(r), "mean_ks": r.mean_ks} for r in self.results]
        return _finite(body)


def comparison_seeds(seed: int, samples: int) -> list[int]:
    """The generator seeds a comparison uses: the same for every generator, fixed by ``seed``."""
    return np.random.Generator(np.random.PCG64(seed)).integers(0, 2**63, size=samples).tolist()


def compare_rivers(generators: Sequence[tuple[str, Generator[Any]]], holdout: Sequence[RiverPath], *,
                   train: Sequence[RiverPath] | None = None, samples: int = 1000, seed: int = 0,
                   window: int = 64, step_length: float = 2.0, steps: int = 256) -> Comparison:
    """Measure each ``(label, generator)`` against the ``holdout`` rivers (and ``train`` for novelty)."""
    if not generators:
        raise ParameterError("compare needs at least one generator")
    if samples < 10:
        raise ParameterError(f"samples must be at least 10, got {samples}")
    real = turn_windows(holdout, step_length, window)  # (R, window)
    if len(real) < 10:
        raise ParameterError(f"the held-out rivers give {len(real)} windows of {window} steps; need at least 10")
    reference = turn_windows(train, step_length, window) if train else None
    real_stats = river_statistics(real, step_length)
    report = Comparison(seed, samples, window, step_length, len(holdout), len(real),
                        novelty(real, reference) if reference is not None else None)
    report.statistics["real (held out)"] = real_stats
    report.examples["real (held out)"] = _examples(real)
    for label, generator in generators:
        paths = _sample(generator, samples, seed, steps)
        fake = turn_windows(paths, step_length, window)
        if len(fake) < 10:
            raise ParameterError(f"{label} gives only {len(fake)} windows of {window} steps at {step_length:g} "
                                 "per step; give it more steps")
        stats = river_statistics(fake, step_length)
        report.statistics[label] = stats
        report.examples[label] = _examples(fake)
        report.results.append(GeneratorResult(
            label=label, name=generator.name, kind=generator.kind,
            nll=heldout_nll(generator, holdout) if has_density(generator) else None,
            discriminator=classifier_two_sample_test(real, fake, seed=seed),
            distances=statistic_distances(real_stats, stats),
            novelty=novelty(fake, reference) if reference is not None else novelty(fake, real),
            windows=len(fake), step_length=float(generator.config.to_dict().get("step_length", step_length))))
    return report


def _sample(generator: Generator[Any], samples: int, seed: int, steps: int) -> list[RiverPath]:
    if "steps" in generator.config.to_dict():
        generator = generator.with_params(steps=steps)
    return generator.generate_batch(comparison_seeds(seed, samples))


def _examples(windows: np.ndarray, count: int = 6) -> list[np.ndarray]:
    return [windows[i] for i in np.linspace(0, len(windows) - 1, count).astype(int)]


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


__all__ = ["STATISTICS", "Comparison", "GeneratorResult", "compare_rivers", "comparison_seeds"]
