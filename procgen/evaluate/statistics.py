"""Shape statistics of rivers, for comparing generated rivers with real ones.

Rivers are compared as fixed-length windows of turning angles at one step length, so a
long river and a short one contribute in proportion to their length and every statistic
is measured on paths of the same size. Each statistic is a sample (one value per window,
or pooled values); :func:`statistic_distances` compares two such samples per statistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

from procgen.content.river import RiverPath, walk
from procgen.errors import ParameterError

STATISTICS: tuple[str, ...] = ("sinuosity", "turning_angle", "curvature_acf", "run_length", "extent")


def _check_step(step_length: float) -> float:
    step = float(step_length)
    if not (np.isfinite(step) and step > 0):
        raise ParameterError(f"step_length must be a finite number > 0, got {step_length!r}")
    return step


def _check_windows(windows: np.ndarray, name: str = "windows") -> np.ndarray:
    """``windows`` as a finite float64 (N, W) array with N >= 1 and W >= 2, or ParameterError."""
    arr = np.asarray(windows, dtype=np.float64)
    if arr.ndim != 2:
        raise ParameterError(f"{name} must be a 2-d array (windows, turns), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ParameterError(f"{name} is empty: no window of turns to measure "
                             "(are the rivers shorter than one window?)")
    if arr.shape[1] < 2:
        raise ParameterError(f"{name} must have at least 2 turns per window, got {arr.shape[1]}")
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name} must be finite (no NaN or inf)")
    return arr


def turn_windows(paths: Sequence[RiverPath], step_length: float, window: int = 64) -> np.ndarray:
    """(N, window) float64 turning angles: each path resampled at step_length (path.to_turns), cut
    into non-overlapping windows; paths shorter than one window give none."""
    step = _check_step(step_length)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 2:
        raise ParameterError(f"window must be an int >= 2 turns, got {window!r}")
    chunks = []
    for path in paths:  # one iteration per river, not per turn
        # resample() refuses a path shorter than one step; such a path has no window anyway.
        if path.length < step * (window + 1):
            continue
        turns, _ = path.to_turns(step)  # (n,)
        count = turns.shape[0] // window
        if count:
            chunks.append(turns[: count * window].reshape(count, window))  # (count, window)
    if not chunks:
        return np.zeros((0, window), dtype=np.float64)
    return np.concatenate(chunks, axis=0).astype(np.float64, copy=False)


def _sinuosity(points: np.ndarray, path_length: float) -> np.ndarray:
    """(N,) path length / chord from points (N, P, 2)."""
    chord = np.linalg.norm(points[:, -1] - points[:, 0], axis=-1)  # (N,)
    # A window that closes on itself would divide by zero; a floor keeps every value finite
    # so the Wasserstein and KS figures stay defined (such a window is huge either way).
    return path_length / np.maximum(chord, 1e-12 * path_length)


def _lag1_correlation(windows: np.ndarray) -> np.ndarray:
    """(N,) Pearson correlation of each window's turns with the next turn, 0 when degenerate.

    The Pearson form (each lagged half centred and scaled on its own) makes a perfect
    alternation exactly -1, where the biased ACF estimator would give -(W-1)/W.
    """
    a, b = windows[:, :-1], windows[:, 1:]  # (N, W-1) each
    ac = a - a.mean(axis=1, keepdims=True)
    bc = b - b.mean(axis=1, keepdims=True)
    saa, sbb = (ac * ac).sum(axis=1), (bc * bc).sum(axis=1)  # (N,)
    sab = (ac * bc).sum(axis=1)
    # Rounding in the mean leaves ~1e-16 residues on a constant window; treat those as zero
    # variance rather than correlating rounding noise.
    scale = np.abs(windows).max(axis=1) + np.finfo(np.float64).tiny  # (N,)
    tiny = (1e-9 * scale) ** 2 * windows.shape[1]
    ok = (saa > tiny) & (sbb > tiny)
    out = np.zeros(windows.shape[0])
    out[ok] = sab[ok] / np.sqrt(saa[ok] * sbb[ok])
    return np.clip(out, -1.0, 1.0)


def _run_lengths(windows: np.ndarray) -> np.ndarray:
    """Pooled lengths of maximal same-sign runs of nonzero turns; runs never cross windows."""
    n, w = windows.shape
    # A zero column on each side makes every window's runs end at its own border, so the
    # flattened sequence can be scanned once for all windows.
    signs = np.zeros((n, w + 2), dtype=np.int8)
    signs[:, 1:-1] = np.sign(windows)
    flat = signs.ravel()  # (N*(W+2),)
    body = flat[1:-1]
    starts = np.flatnonzero((body != 0) & (body != flat[:-2]))  # first turn of a run
    ends = np.flatnonzero((body != 0) & (body != flat[2:]))  # last turn of a run
    return (ends - starts + 1).astype(np.float64)


def _extent(points: np.ndarray, path_length: float) -> np.ndarray:
    """(N,) radius of gyration of points (N, P, 2) over path length."""
    centred = points - points.mean(axis=1, keepdims=True)  # (N, P, 2)
    gyration = np.sqrt((centred ** 2).sum(axis=-1).mean(axis=1))  # (N,)
    return gyration / path_length


def river_statistics(windows: np.ndarray, step_length: float) -> dict[str, np.ndarray]:
    """One 1-D sample array per statistic, from turn windows (N, W) (rebuild each window's path
    with procgen.content.river.walk, vectorized over N):
       sinuosity: path length / straight distance between ends, per window (N,);
       turning_angle: all turns pooled (N*W,);
       curvature_acf: lag-1 autocorrelation of the turns per window (N,) (0 where a window's
         turns have zero variance; Pearson form, so a perfect alternation gives exactly -1);
       run_length: lengths of maximal runs of consecutive nonzero turns with the same sign,
         pooled over windows (zeros end a run and are not counted);
       extent: radius of gyration of the window's points / path length, per window (N,).
    """
    turns = _check_windows(windows)
    step = _check_step(step_length)
    # Heading is irrelevant to every statistic here (all rotation invariant).
    points = walk(turns, step_length=step, heading=0.0)  # (N, W + 2, 2)
    path_length = step * (turns.shape[1] + 1)  # W turns join W + 1 steps
    return {
        "sinuosity": _sinuosity(points, path_length),
        "turning_angle": turns.ravel().copy(),
        "curvature_acf": _lag1_correlation(turns),
        "run_length": _run_lengths(turns),
        "extent": _extent(points, path_length),
    }


@dataclass(frozen=True)
class StatisticDistance:
    """How far apart two samples of one statistic are."""

    wasserstein: float  # earth mover's distance, in the statistic's own units
    ks: float  # two-sample Kolmogorov-Smirnov statistic, in [0, 1]
    ks_pvalue: float  # chance of a KS statistic this large if both came from one distribution


def _check_sample(values: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be a 1-d sample, got shape {arr.shape}")
    if arr.size == 0:
        # An empty run_length sample (every window straight) cannot be compared either.
        raise ParameterError(f"{name} is empty: nothing to compare")
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name} must be finite (no NaN or inf)")
    return arr


def statistic_distances(real: dict[str, np.ndarray],
                        generated: dict[str, np.ndarray]) -> dict[str, StatisticDistance]:
    """Per statistic: Wasserstein-1 (scipy.stats.wasserstein_distance) and the two-sample
    Kolmogorov-Smirnov statistic and p-value (scipy.stats.ks_2samp)."""
    if set(real) != set(generated):
        raise ParameterError(f"real and generated must have the same statistics, got {sorted(real)} "
                             f"and {sorted(generated)}")
    if not real:
        raise ParameterError("no statistics to compare")
    # Keep the canonical order first, then any extra statistic a caller added.
    names = [s for s in STATISTICS if s in real] + sorted(s for s in real if s not in STATISTICS)
    out = {}
    for name in names:  # one iteration per statistic
        a = _check_sample(real[name], f"real[{name!r}]")
        b = _check_sample(generated[name], f"generated[{name!r}]")
        ks = stats.ks_2samp(a, b)
        out[name] = StatisticDistance(float(stats.wasserstein_distance(a, b)), float(ks.statistic),
                                      float(ks.pvalue))
    return out
