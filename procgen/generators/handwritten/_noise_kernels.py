"""Compiled (numba) kernels behind procgen.generators.handwritten.perlin.

Imported lazily by perlin.py so that ``import procgen`` does not pay numba's import.
Every output element is computed on its own, in a fixed order of floating-point
operations (no fastmath, no reductions across elements), so results are bit-identical
for any thread count and equal to the float64 numpy formulation of the same noise.
``prange`` only splits independent rows or points between threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _axis(t: float, period: int) -> tuple[int, int, float, float]:
    """Lattice cell (i, i+1, wrapped), fraction and faded fraction of one coordinate."""
    t0 = np.floor(t)
    f = t - t0
    i = np.int64(t0)
    if period > 0:
        i = i % period  # numba keeps Python's sign rule: always in [0, period)
        ii = (i + 1) % period
    else:
        ii = i + 1
    return i & 255, ii & 255, f, f * f * f * (f * (f * 6.0 - 15.0) + 10.0)


@njit(cache=True)
def _noise(a: int, b: int, fx: float, u: float, j: int, jj: int, fy: float, v: float,
           table: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> float:
    """Improved gradient noise (Perlin 2002, 2-D slice) from the column hashes a = table[i],
    b = table[i+1] and the row's lattice parts."""
    h00 = table[a + j]
    h10 = table[b + j]
    h01 = table[a + jj]
    h11 = table[b + jj]
    fx1 = fx - 1.0
    fy1 = fy - 1.0
    n00 = gx[h00] * fx + gy[h00] * fy
    n10 = gx[h10] * fx1 + gy[h10] * fy
    n01 = gx[h01] * fx + gy[h01] * fy1
    n11 = gx[h11] * fx1 + gy[h11] * fy1
    bottom = n00 + u * (n10 - n00)
    top = n01 + u * (n11 - n01)
    return bottom + v * (top - bottom)


@njit(cache=True)
def _accumulate(total: float, weight: float, n: float, amplitude: float, ridged: bool,
                gain: float) -> tuple[float, float]:
    """Add one octave: plain fBm, or Musgrave's ridged multifractal (weights feed forward)."""
    if ridged:
        signal = 1.0 - abs(n)
        signal = signal * signal * weight  # in [0, 1]: the running total stays in [0, amplitude sum]
        weight = min(max(signal * gain, 0.0), 1.0)
        return total + amplitude * signal, weight
    return total + amplitude * n, weight


@njit(parallel=True, cache=True)
def fractal_points(x: np.ndarray, y: np.ndarray, table: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                   freqs: np.ndarray, amps: np.ndarray, amp_sum: float, dxs: np.ndarray, dys: np.ndarray,
                   px: np.ndarray, py: np.ndarray, ridged: bool, gain: float, out: np.ndarray) -> None:
    """out[k] = fractal noise at (x[k], y[k]); all arrays 1-D, (N,) points and (octaves,) per octave."""
    octaves = freqs.size
    for k in prange(x.size):
        total = 0.0
        weight = 1.0
        for o in range(octaves):
            i, ii, fx, u = _axis(x[k] * freqs[o] + dxs[o], px[o])
            j, jj, fy, v = _axis(y[k] * freqs[o] + dys[o], py[o])
            n = _noise(table[i], table[ii], fx, u, j, jj, fy, v, table, gx, gy)
            total, weight = _accumulate(total, weight, n, amps[o], ridged, gain)
        out[k] = total / amp_sum


@njit(cache=True)
def _axis_table(t: np.ndarray, freqs: np.ndarray, offsets: np.ndarray, periods: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """_axis for every octave and coordinate: four (octaves, len(t)) arrays."""
    octaves, n = freqs.size, t.size
    i = np.empty((octaves, n), np.int64)
    ii = np.empty((octaves, n), np.int64)
    f = np.empty((octaves, n), np.float64)
    u = np.empty((octaves, n), np.float64)
    for o in range(octaves):
        for k in range(n):
            i[o, k], ii[o, k], f[o, k], u[o, k] = _axis(t[k] * freqs[o] + offsets[o], periods[o])
    return i, ii, f, u


@njit(parallel=True, cache=True)
def fractal_grid(xs: np.ndarray, ys: np.ndarray, table: np.ndarray, gx: np.ndarray, gy: np.ndarray,
                 freqs: np.ndarray, amps: np.ndarray, amp_sum: float, dxs: np.ndarray, dys: np.ndarray,
                 px: np.ndarray, py: np.ndarray, ridged: bool, gain: float, out: np.ndarray) -> None:
    """out[r, c] = fractal noise at (xs[c], ys[r]): out (H, W), xs (W,), ys (H,).

    The same arithmetic, cell by cell and octave by octave, as fractal_points, but each
    column's and row's lattice work is done once per octave instead of once per cell, and
    a row is swept one octave at a time (running totals kept in ``out``).
    """
    ci, cii, cf, cu = _axis_table(xs, freqs, dxs, px)  # (octaves, W) each
    ca = np.empty_like(ci)  # column hashes table[i], table[i+1]: (octaves, W)
    cb = np.empty_like(cii)
    for o in range(freqs.size):
        for c in range(xs.size):
            ca[o, c] = table[ci[o, c]]
            cb[o, c] = table[cii[o, c]]
    rj, rjj, rf, rv = _axis_table(ys, freqs, dys, py)  # (octaves, H) each
    width = xs.size
    for r in prange(ys.size):
        total = out[r]  # (W,) view: running sums
        weight = np.ones(width)  # (W,) ridged feedback
        total[:] = 0.0
        for o in range(freqs.size):
            j, jj, fy, v, amplitude = rj[o, r], rjj[o, r], rf[o, r], rv[o, r], amps[o]
            for c in range(width):
                n = _noise(ca[o, c], cb[o, c], cf[o, c], cu[o, c], j, jj, fy, v, table, gx, gy)
                total[c], weight[c] = _accumulate(total[c], weight[c], n, amplitude, ridged, gain)
        for c in range(width):
            total[c] = total[c] / amp_sum
