"""Vectorized 2-D gradient (Perlin "improved") noise and fractal Brownian motion.

Whole arrays at once, in float64. With the canonical permutation (Ken Perlin's reference
table) the lattice hashing, gradient set and quintic fade match the ``noise`` package's
``pnoise2``, which the tests use as an oracle; generators pass a seeded permutation.
"""

from __future__ import annotations

import numpy as np

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


def permutation(rng: np.random.Generator) -> np.ndarray:
    """A seeded permutation of 0..255: a different noise field per seed."""
    return rng.permutation(256).astype(np.intp)


def _fade(t: np.ndarray) -> np.ndarray:
    return t * t * t * (t * (t * 6.0 - 15.0) + 10.0)


def perlin2(x: np.ndarray, y: np.ndarray, perm: np.ndarray = CANONICAL_PERMUTATION,
            period: float | None = None) -> np.ndarray:
    """Gradient noise at points (x, y), roughly in [-1, 1]; zero on integer lattice points.

    ``period`` (lattice units) makes the noise wrap, for tileable textures.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    table = np.concatenate([perm, perm])  # (512,): index sums below stay in range
    x0, y0 = np.floor(x), np.floor(y)
    fx, fy = x - x0, y - y0
    i, j = x0.astype(np.int64), y0.astype(np.int64)
    if period is not None:
        i, j = np.mod(i, int(period)), np.mod(j, int(period))
        ii, jj = np.mod(i + 1, int(period)), np.mod(j + 1, int(period))
    else:
        ii, jj = i + 1, j + 1
    i, j, ii, jj = i & 255, j & 255, ii & 255, jj & 255
    a, b = table[i], table[ii]

    def corner(h: np.ndarray, dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
        g = _GRADIENTS[table[h] & 15]  # (..., 2)
        return g[..., 0] * dx + g[..., 1] * dy

    u, v = _fade(fx), _fade(fy)
    bottom = corner(table[a + j], fx, fy) + u * (corner(table[b + j], fx - 1.0, fy) - corner(table[a + j], fx, fy))
    top = corner(table[a + jj], fx, fy - 1.0)
    top = top + u * (corner(table[b + jj], fx - 1.0, fy - 1.0) - top)
    return bottom + v * (top - bottom)


def fbm(x: np.ndarray, y: np.ndarray, perm: np.ndarray = CANONICAL_PERMUTATION, *, octaves: int = 1,
        persistence: float = 0.5, lacunarity: float = 2.0, offsets: np.ndarray | None = None,
        period: float | None = None) -> np.ndarray:
    """Fractal Brownian motion: octaves of perlin2, normalised by the total amplitude.

    ``offsets`` (octaves, 2) shifts each octave so lattice zeros of different octaves do
    not line up; without it the sum equals ``pnoise2(x, y, octaves, persistence, lacunarity)``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    total = np.zeros(np.broadcast_shapes(x.shape, y.shape))
    frequency, amplitude, amplitude_sum = 1.0, 1.0, 0.0
    for octave in range(octaves):
        dx, dy = (0.0, 0.0) if offsets is None else offsets[octave]
        octave_period = None if period is None else period * frequency
        total += amplitude * perlin2(x * frequency + dx, y * frequency + dy, perm, octave_period)
        amplitude_sum += amplitude
        frequency *= lacunarity
        amplitude *= persistence
    return total / amplitude_sum
