"""Novelty: how far each generated window of turns is from the nearest training window.

A generator that memorises its training rivers scores well on every distribution
statistic; the distance to the nearest reference window exposes it. Distances are the RMS
difference of turning angles (radians), which is rotation and translation invariant, and
a window is also matched against its mirror image (every turn negated), since a mirrored
copy is still a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procgen.errors import ParameterError


def _check(windows: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(windows, dtype=np.float64)
    if arr.ndim != 2:
        raise ParameterError(f"{name} must be a 2-d array (windows, turns), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ParameterError(f"{name} is empty (shape {arr.shape}): need at least one window of turns")
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name} must be finite (no NaN or inf)")
    return arr


def nearest_distances(samples: np.ndarray, reference: np.ndarray, *, chunk: int = 1024) -> np.ndarray:
    """(N,) RMS turn difference (radians) from each sample window (N, W) to its nearest reference
    window (M, W), computed in chunks with matrix products (||a||^2 + ||b||^2 - 2ab, clipped at
    0); also consider the mirrored sample (turns negated) and take the smaller — a mirrored copy
    is still a copy."""
    a = _check(samples, "samples")
    b = _check(reference, "reference")
    if a.shape[1] != b.shape[1]:
        raise ParameterError(f"samples and reference windows differ in length: {a.shape[1]} vs {b.shape[1]} turns")
    if isinstance(chunk, bool) or not isinstance(chunk, (int, np.integer)) or chunk < 1:
        raise ParameterError(f"chunk must be an int >= 1, got {chunk!r}")
    n, w = a.shape
    a2, b2 = (a * a).sum(axis=1), (b * b).sum(axis=1)  # (N,), (M,)
    best = np.full(n, np.inf)  # (N,) smallest squared distance so far
    best_j = np.zeros(n, dtype=np.intp)  # (N,) its reference window
    # Chunking both axes bounds memory at chunk x chunk whatever N and M are.
    for i in range(0, n, chunk):
        rows = slice(i, i + chunk)
        for j in range(0, b.shape[0], chunk):
            # The mirror -a has the same norm and the opposite cross term, so the nearer of
            # a and -a is the one with |ab|.
            cross = np.abs(a[rows] @ b[j:j + chunk].T)  # (n_i, m_j)
            d2 = a2[rows, None] + b2[None, j:j + chunk] - 2 * cross
            k = d2.argmin(axis=1)  # (n_i,)
            d = d2[np.arange(d2.shape[0]), k]
            better = d < best[rows]
            best[rows] = np.where(better, d, best[rows])
            best_j[rows] = np.where(better, k + j, best_j[rows])
    # The expansion loses ~1e-8 relative precision to cancellation; recomputing the winner
    # directly makes an exact copy come out at exactly 0.
    nearest = b[best_j]  # (N, W)
    direct = np.minimum(((a - nearest) ** 2).sum(axis=1), ((a + nearest) ** 2).sum(axis=1))  # (N,)
    return np.sqrt(np.maximum(direct, 0.0) / w)


@dataclass(frozen=True)
class Novelty:
    """Summary of nearest-reference distances (radians RMS per turn)."""

    median: float
    p05: float  # 5th percentile: the closest samples, where copying would show first
    copies: float  # share of samples with distance < copy_threshold


def novelty(samples: np.ndarray, reference: np.ndarray, *, copy_threshold: float = 1e-3) -> Novelty:
    """Median and 5th percentile of :func:`nearest_distances`, and the share of near-copies."""
    threshold = float(copy_threshold)
    if not (np.isfinite(threshold) and threshold >= 0):
        raise ParameterError(f"copy_threshold must be a finite number >= 0 radians, got {copy_threshold!r}")
    d = nearest_distances(samples, reference)
    return Novelty(float(np.median(d)), float(np.percentile(d, 5)), float((d < threshold).mean()))
