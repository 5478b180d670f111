"""landscape/fbm: a heightmap of fractal Brownian motion over seeded gradient noise.

Also the shared noise terrain of the other landscapes (``TerrainConfig``,
``terrain_height``): island and eroded start from the same field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procgen.content import Heightmap
from procgen.errors import ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten.perlin import Period, domain_warp, fbm, permutation, ridged
from procgen.generators.registry import register
from procgen.seeding import Seed, child, make_rng

MAX_CELLS = 2048 * 2048
# Offsets stay well inside float64's exact integers once divided by scale and multiplied
# by the highest octave's frequency.
MAX_OFFSET = 2**31
WARP_OCTAVES = 3  # the warp only bends the large shapes; finer warp noise just looks like grain
# Typical mean of the ridged multifractal (6 octaves, persistence 0.5): subtracting it puts
# ridged terrain's middle at the same height as plain fBm's; its spread is about fBm's.
RIDGED_CENTRE = 0.64


@dataclass(frozen=True, kw_only=True)
class TerrainConfig(GeneratorConfig):
    """The noise terrain's parameters, shared by the landscape generators."""

    width: int = param(256, "columns", ge=1, le=8192)
    height: int = param(256, "rows", ge=1, le=8192)
    octaves: int = param(6, "layers of noise, each finer than the last", ge=1, le=16)
    scale: float = param(64.0, "size of the largest features, in cells", gt=0.0)
    persistence: float = param(0.5, "amplitude ratio between successive octaves", gt=0.0, le=1.0)
    lacunarity: float = param(2.0, "frequency ratio between successive octaves", ge=1.0, le=4.0)
    contrast: float = param(1.25, "gain before mapping noise to [0, 1]; higher gives more sea and peaks", gt=0.0)
    ridged: float = param(0.0, "blend toward ridged multifractal (sharp mountain crests): 0 plain fBm, 1 all ridges",
                          ge=0.0, le=1.0)
    warp: float = param(0.0, "domain-warp strength in units of scale: bends coasts and ridges; 0 none",
                        ge=0.0, le=4.0)

    def validate(self) -> None:
        # Checked here, on construction, so an oversized map fails before any allocation.
        if self.width * self.height > MAX_CELLS:
            raise ParameterError(f"{self.generator_name} size {self.width}x{self.height} exceeds {MAX_CELLS} cells "
                                 "(2048x2048); generate it in chunks")


def terrain_height(c: TerrainConfig, stream: np.random.SeedSequence, cols: np.ndarray, rows: np.ndarray,
                   period: Period = None) -> np.ndarray:
    """Heights in [0, 1] (H, W) of the noise terrain at lattice coordinates cols (1, W), rows (H, 1).

    The map from noise to height is fixed (no per-map min/max), so any two regions of
    one world agree cell for cell. Draws from ``stream`` (permutation, then octave
    offsets); the warp field draws from its own child stream "warp".
    """
    rng = make_rng(stream)
    perm = permutation(rng)
    # Per-octave shifts keep every octave's lattice zeros from landing on the same cells.
    offsets = rng.uniform(0.0, 256.0, size=(c.octaves, 2))
    shape = dict(octaves=c.octaves, persistence=c.persistence, lacunarity=c.lacunarity, offsets=offsets,
                 period=period)
    x, y = cols, rows
    if c.warp > 0.0:
        x, y = _warped(c, child(stream, "warp"), cols, rows, period)  # (H, W) each
    value = fbm(x, y, perm, **shape)  # (H, W)
    height = np.clip(0.5 + c.contrast * value, 0.0, 1.0)
    if c.ridged > 0.0:
        crests = np.clip(0.5 + c.contrast * (ridged(x, y, perm, **shape) - RIDGED_CENTRE), 0.0, 1.0)
        height = (1.0 - c.ridged) * height + c.ridged * crests
    return height


def terrain_at_origin(c: TerrainConfig, stream: np.random.SeedSequence) -> np.ndarray:
    """Heights (H, W) of the map whose top-left cell is the world's origin (island, eroded)."""
    cols = np.arange(c.width)[None, :] / c.scale  # (1, W)
    rows = np.arange(c.height)[:, None] / c.scale  # (H, 1)
    return terrain_height(c, stream, cols, rows)


def _warped(c: TerrainConfig, stream: np.random.SeedSequence, cols: np.ndarray, rows: np.ndarray,
            period: Period) -> tuple[np.ndarray, np.ndarray]:
    rng = make_rng(stream)
    perm = permutation(rng)
    offsets = rng.uniform(0.0, 256.0, size=(2, WARP_OCTAVES, 2))
    return domain_warp(cols, rows, perm, strength=c.warp, octaves=WARP_OCTAVES, persistence=0.5,
                       lacunarity=2.0, offsets=offsets, period=period)


@dataclass(frozen=True, kw_only=True)
class FbmConfig(TerrainConfig):
    offset_x: int = param(0, "column of the world where the map starts (chunks of an endless world)",
                          ge=-MAX_OFFSET, le=MAX_OFFSET)
    offset_y: int = param(0, "row of the world where the map starts", ge=-MAX_OFFSET, le=MAX_OFFSET)
    tileable: bool = param(False, "wrap around: the right edge continues into the left, the bottom into the top")

    def validate(self) -> None:
        super().validate()
        if self.tileable and self.lacunarity != int(self.lacunarity):
            raise ParameterError(f"{self.generator_name}: tileable needs a whole-number lacunarity "
                                 f"(every octave must wrap), got {self.lacunarity}")


@register
class FbmLandscape(Generator[Heightmap]):
    """Rolling terrain from octaves of seeded gradient noise; endless and tileable.

    Endless worlds: the map covers cells ``[offset_x, offset_x + width)`` x
    ``[offset_y, offset_y + height)`` of one world per seed, with a fixed noise-to-height
    map, so regions of a world agree exactly wherever they overlap.
    :meth:`generate_chunk` ``(seed, cx, cy)`` returns chunk (cx, cy) of ``width x height``
    cells; chunks placed side by side equal, bit for bit, the same region generated at
    once. The noise hash wraps every 256 lattice units, so with the default lacunarity 2
    a world repeats every ``256 * scale`` cells (16384 at scale 64).

    ``tileable=True`` makes the map wrap instead: the noise period is fitted to the map
    (``round(width / scale)`` lattice units across, at least 1, likewise down, so features
    stretch slightly to fit) and cells are read modulo the map size, so the left column
    continues the right one and any offset or chunk of a tileable map is the same tile.
    """

    name = "landscape/fbm"
    description = "rolling terrain: octaves of seeded gradient noise (fractal Brownian motion), endless or tileable"
    content_type = Heightmap
    Config = FbmConfig
    config: FbmConfig

    def generate_chunk(self, seed: Seed, cx: int, cy: int) -> Heightmap:
        """Chunk (cx, cy) of the world of ``seed``: the ``width x height`` cells whose top-left
        cell is ``(offset_x + cx * width, offset_y + cy * height)``."""
        c = self.config
        return self.with_params(offset_x=c.offset_x + cx * c.width, offset_y=c.offset_y + cy * c.height).generate(seed)

    def _generate(self, stream: np.random.SeedSequence) -> Heightmap:
        c = self.config
        cols = c.offset_x + np.arange(c.width)[None, :]  # (1, W) world columns
        rows = c.offset_y + np.arange(c.height)[:, None]  # (H, 1) world rows
        if not c.tileable:
            height = terrain_height(c, stream, cols / c.scale, rows / c.scale)
            return Heightmap(height.astype(np.float32))
        # Whole lattice units per map side; cells read modulo the map so every tile is bitwise the same.
        periods = max(1, round(c.width / c.scale)), max(1, round(c.height / c.scale))
        x = (cols % c.width) * (periods[0] / c.width)
        y = (rows % c.height) * (periods[1] / c.height)
        return Heightmap(terrain_height(c, stream, x, y, periods).astype(np.float32))
