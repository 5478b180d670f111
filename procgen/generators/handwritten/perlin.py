"""2-D gradient (Perlin "improved") noise and its fractals: fBm, ridged multifractal, domain warp.

Float64 throughout, computed by compiled numba kernels (``_noise_kernels``) on all
cores; every value is computed on its own in a fixed order of operations, so results are
bit-identical for any thread count and any run. With the canonical permutation (Ken
Perlin's reference table) the lattice hashing, gradient set and quintic fade match the
``noise`` package's ``pnoise2``, which the tests use as an oracle; generators pass a
seeded permutation.

Coordinates broadcast like numpy arrays. A row ``x`` of shape (1, W) with a column ``y``
of shape (H, 1) (``x[None, :]``, ``y[:, None]``) takes a faster grid path that gives the
same bits as the (H, W) arrays would.

The lattice hash reads cell indices modulo 256, so without ``period`` each octave
repeats every 256 / frequency lattice units (with lacunarity 2: the whole sum repeats
every 256 units).
"""

from __future__ import annotations

from types import ModuleType
from typing import Union

import numpy as np

ArrayLike = Union[np.ndarray, float]
Period = Union[float, tuple[float, float], None]

CANONICAL_PERMUTATION = np.array([
    151, 160, 137, 91, 90, 15, 131, 13, 201, 95, 96, 53, 194, 233, 7, 225,
    140, 36, 103, 30, 69, 142, 8, 99, 37, 240, 21, 10, 23, 190, 6, 148,
    247, 120, 234, 75, 0, 26, 197, 62, 94, 252, 219, 203, 117, 35, 11, 32,
    57, 177, 33, 88, 237, 149, 56, 87, 174, 20, 125, 136, 171, 168, 68, 175,
    74, 165, 71, 134, 139, 48, 27, 166, 77, 146, 158, 231, 83, 111, 229, 122,
    60, 211, 133, 230, 220, 105, 92, 41, 55, 46, 245, 40, 244, 102, 143, 54,
    65, 25, 63, 161, 1, 216, 80, 73, 209, 76, 132, 187, 208, 89, 18, 169,
    200, 196, 135, 130, 116, 188, 159, 86, 164, 100, 109, 198, 173, 186, 3, 64,
    52, 217, 226, 250, 124, 123, 5, 202, 38, 147, 118, 126, 255, 82, 85, 212,
    207, 206, 59, 227, 47, 16, 58, 17, 182, 189, 28, 42, 223, 183, 170, 213,
    119, 248, 152, 2, 44, 154, 163, 70, 221, 153, 101, 155, 167, 43, 172, 9,
    129, 22, 39, 253, 19, 98, 108, 110, 79, 113, 224, 232, 178, 185, 112, 104,
    218, 246, 97, 228, 251, 34, 242, 193, 238, 210, 144, 12, 191, 179, 162, 241,
    81, 51, 145, 235, 249, 14, 239, 107, 49, 192, 214, 31, 181, 199, 106, 157,
    184, 84, 204, 176, 115, 121, 50, 45, 127, 4, 150, 254, 138, 236, 205, 93,
    222, 114, 67, 29, 24, 72, 243, 141, 128, 195, 78, 66, 215, 61, 156, 180,], dtype=np.intp)
CANONICAL_PERMUTATION.setflags(write=False)

# The x, y parts of the 16 hashed gradients of improved noise (3-D set, padded to 16).
_GRADIENTS = np.array([
    [1, 1], [-1, 1], [1, -1], [-1, -1], [1, 0], [-1, 0], [1, 0], [-1, 0],
    [0, 1], [0, -1], [0, 1], [0, -1], [1, 0], [-1, 0], [0, -1], [0, 1],
], dtype=np.float64)

# Domain warp's second field reads the noise this far away, so the x and y displacements
# are unrelated (Quilez's constants; any shift of a few lattice units would do).
_WARP_SHIFT = (5.2, 1.3)


def permutation(rng: np.random.Generator) -> np.ndarray:
    """A seeded permutation of 0..255: a different noise field per seed."""
    return rng.permutation(256).astype(np.intp)


def perlin2(x: ArrayLike, y: ArrayLike, perm: np.ndarray = CANONICAL_PERMUTATION,
            period: Period = None) -> np.ndarray:
    """Gradient noise at points (x, y), roughly in [-1, 1]; zero on integer lattice points.

    ``period`` (lattice units; one number or (period_x, period_y)) makes the noise wrap,
    for tileable textures: ``perlin2(x + period, y) == perlin2(x, y)`` up to rounding.
    """
    return _fractal(x, y, perm, 1, 0.5, 2.0, None, period, ridged=False, gain=0.0)


def fbm(x: ArrayLike, y: ArrayLike, perm: np.ndarray = CANONICAL_PERMUTATION, *, octaves: int = 1,
        persistence: float = 0.5, lacunarity: float = 2.0, offsets: np.ndarray | None = None,
        period: Period = None) -> np.ndarray:
    """Fractal Brownian motion: octaves of perlin2, normalised by the total amplitude.

    ``offsets`` (octaves, 2) shifts each octave so lattice zeros of different octaves do
    not line up; without it the sum equals ``pnoise2(x, y, octaves, persistence, lacunarity)``.
    ``period`` wraps the first octave; octave k wraps at ``int(period * lacunarity**k)``,
    so a tileable fBm needs an integer lacunarity.
    """
    return _fractal(x, y, perm, octaves, persistence, lacunarity, offsets, period, ridged=False, gain=0.0)


def ridged(x: ArrayLike, y: ArrayLike, perm: np.ndarray = CANONICAL_PERMUTATION, *, octaves: int = 6,
           persistence: float = 0.5, lacunarity: float = 2.0, offsets: np.ndarray | None = None,
           period: Period = None, gain: float = 2.0) -> np.ndarray:
    """Ridged multifractal (Musgrave): sharp crests where the noise crosses zero, in [0, 1].

    Each octave's signal is ``(1 - |noise|)**2`` times a weight that the previous octave's
    signal sets (``clip(signal * gain, 0, 1)``), so detail gathers on the ridges and the
    valleys stay smooth. The sum is divided by the total amplitude, so values lie in [0, 1].
    """
    return _fractal(x, y, perm, octaves, persistence, lacunarity, offsets, period, ridged=True, gain=gain)


def domain_warp(x: ArrayLike, y: ArrayLike, perm: np.ndarray = CANONICAL_PERMUTATION, *, strength: float,
                octaves: int = 3, persistence: float = 0.5, lacunarity: float = 2.0,
                offsets: np.ndarray | None = None, period: Period = None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates pushed by two fBm fields: ``(x + strength * fx, y + strength * fy)``.

    Feed the result to :func:`fbm` or :func:`ridged` for bent, swirling features
    (``fbm(*domain_warp(x, y, p, strength=1.0))``). ``strength`` is in lattice units.
    ``offsets`` (2, octaves, 2) shifts the octaves of the x and y fields; by default the
    y field is read a fixed few lattice units away from the x field. With ``period`` the
    displacement wraps too, so a warped tileable field stays tileable.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if offsets is None:
        offsets = np.zeros((2, octaves, 2))
        offsets[1] += _WARP_SHIFT
    offsets = np.asarray(offsets, dtype=np.float64)
    if offsets.shape != (2, octaves, 2):
        raise ValueError(f"domain_warp offsets must have shape (2, {octaves}, 2), got {offsets.shape}")
    shift_x = fbm(x, y, perm, octaves=octaves, persistence=persistence, lacunarity=lacunarity,
                  offsets=offsets[0], period=period)
    shift_y = fbm(x, y, perm, octaves=octaves, persistence=persistence, lacunarity=lacunarity,
                  offsets=offsets[1], period=period)
    return x + strength * shift_x, y + strength * shift_y


# ---- plumbing -------------------------------------------------------------------------
def _kernels() -> ModuleType:
    # numba takes ~0.5 s to import; only pay it when noise is actually computed.
    from procgen.generators.handwritten import _noise_kernels

    return _noise_kernels


def _tables(perm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The doubled hash table (512,) and the gradient components (512,) it indexes."""
    perm = np.asarray(perm)
    # The kernels index without bounds checks: only a true permutation of 0..255 is safe.
    if perm.shape != (256,) or not np.array_equal(np.sort(perm), np.arange(256)):
        raise ValueError("perm must be a permutation of 0..255, shape (256,)")
    table = np.concatenate([perm, perm]).astype(np.int64)
    gradients = _GRADIENTS[table & 15]  # (512, 2)
    return table, np.ascontiguousarray(gradients[:, 0]), np.ascontiguousarray(gradients[:, 1])


def _octave_plan(octaves: int, persistence: float, lacunarity: float
                 ) -> tuple[np.ndarray, np.ndarray, float]:
    """Per-octave frequencies and amplitudes (octaves,) and the amplitude sum."""
    if int(octaves) != octaves or octaves < 1:
        raise ValueError(f"octaves must be a positive int, got {octaves!r}")
    freqs, amps = [], []
    frequency, amplitude, amplitude_sum = 1.0, 1.0, 0.0
    for _ in range(int(octaves)):
        freqs.append(frequency)
        amps.append(amplitude)
        amplitude_sum += amplitude
        frequency *= lacunarity
        amplitude *= persistence
    return np.array(freqs), np.array(amps), amplitude_sum


def _octave_periods(period: Period, freqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer wrap of each octave's lattice along x and y (octaves,); 0 means no wrap."""
    if period is None:
        none = np.zeros(freqs.size, np.int64)
        return none, none
    px, py = (period, period) if np.ndim(period) == 0 else period  # type: ignore[misc]
    wraps = []
    for p in (px, py):
        per_octave = np.array([int(p * f) for f in freqs], np.int64)
        if (per_octave < 1).any():
            raise ValueError(f"period must be at least 1 lattice unit, got {period!r}")
        wraps.append(per_octave)
    return wraps[0], wraps[1]


def _fractal(x: ArrayLike, y: ArrayLike, perm: np.ndarray, octaves: int, persistence: float,
             lacunarity: float, offsets: np.ndarray | None, period: Period, *, ridged: bool,
             gain: float) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    shape = np.broadcast_shapes(x.shape, y.shape)
    table, gx, gy = _tables(perm)
    freqs, amps, amp_sum = _octave_plan(octaves, persistence, lacunarity)
    if offsets is None:
        offsets = np.zeros((freqs.size, 2))
    offsets = np.asarray(offsets, dtype=np.float64)
    if offsets.shape != (freqs.size, 2):
        raise ValueError(f"offsets must have shape ({freqs.size}, 2), got {offsets.shape}")
    dxs, dys = np.ascontiguousarray(offsets[:, 0]), np.ascontiguousarray(offsets[:, 1])
    px, py = _octave_periods(period, freqs)
    args = (table, gx, gy, freqs, amps, amp_sum, dxs, dys, px, py, bool(ridged), float(gain))
    kernels = _kernels()
    if x.ndim == 2 and y.ndim == 2 and x.shape[0] == 1 and y.shape[1] == 1:
        out = np.empty(shape)  # (H, W)
        kernels.fractal_grid(np.ascontiguousarray(x[0]), np.ascontiguousarray(y[:, 0]), *args, out)
        return out
    xs = np.ascontiguousarray(np.broadcast_to(x, shape)).ravel()  # (N,)
    ys = np.ascontiguousarray(np.broadcast_to(y, shape)).ravel()  # (N,)
    out = np.empty(xs.size)
    kernels.fractal_points(xs, ys, *args, out)
    return out.reshape(shape)
