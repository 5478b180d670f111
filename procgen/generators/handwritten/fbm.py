"""landscape/fbm: a heightmap of fractal Brownian motion over seeded gradient noise."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procgen.content import Heightmap
from procgen.errors import ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten.perlin import fbm, permutation
from procgen.generators.registry import register
from procgen.seeding import make_rng

MAX_CELLS = 2048 * 2048


@dataclass(frozen=True, kw_only=True)
class FbmConfig(GeneratorConfig):
    width: int = param(256, "columns", ge=1, le=8192)
    height: int = param(256, "rows", ge=1, le=8192)
    octaves: int = param(6, "layers of noise, each finer than the last", ge=1, le=16)
    scale: float = param(64.0, "size of the largest features, in cells", gt=0.0)
    persistence: float = param(0.5, "amplitude ratio between successive octaves", gt=0.0, le=1.0)
    lacunarity: float = param(2.0, "frequency ratio between successive octaves", ge=1.0, le=4.0)
    contrast: float = param(1.25, "gain before mapping noise to [0, 1]; higher gives more sea and peaks", gt=0.0)

    def validate(self) -> None:
        if self.width * self.height > MAX_CELLS:
            raise ParameterError(f"landscape/fbm size {self.width}x{self.height} exceeds {MAX_CELLS} cells "
                                 "(2048x2048); generate it in chunks")


@register
class FbmLandscape(Generator[Heightmap]):
    name = "landscape/fbm"
    description = "rolling terrain: octaves of seeded gradient noise (fractal Brownian motion)"
    content_type = Heightmap
    Config = FbmConfig
    config: FbmConfig

    def _generate(self, stream: np.random.SeedSequence) -> Heightmap:
        c = self.config
        rng = make_rng(stream)
        perm = permutation(rng)
        # Per-octave shifts keep every octave's lattice zeros from landing on the same cells.
        offsets = rng.uniform(0.0, 256.0, size=(c.octaves, 2))
        rows, cols = np.mgrid[0:c.height, 0:c.width]  # (H, W) each
        value = fbm(cols / c.scale, rows / c.scale, perm, octaves=c.octaves, persistence=c.persistence,
                    lacunarity=c.lacunarity, offsets=offsets)
        # A fixed map (no per-map min/max) so neighbouring regions of one world agree.
        return Heightmap(np.clip(0.5 + c.contrast * value, 0.0, 1.0).astype(np.float32))
