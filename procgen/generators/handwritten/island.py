"""landscape/island: noise terrain pulled under the sea toward the map edges."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procgen.content import Heightmap
from procgen.generators.base import Generator
from procgen.generators.config import param
from procgen.generators.handwritten.fbm import TerrainConfig, terrain_at_origin
from procgen.generators.registry import register

# Where the preview palette turns from shallows to beach; heights below it read as sea.
SEA_LEVEL = 0.45


@dataclass(frozen=True, kw_only=True)
class IslandConfig(TerrainConfig):
    falloff: float = param(0.6, "how strongly a radial falloff lifts the centre and sinks the edges; "
                                "at 0.55 or more the map edges are always sea", ge=0.0, le=1.0)


def radial_bump(height: int, width: int) -> np.ndarray:
    """1 at the map centre, falling smoothly to 0 at the edge midpoints and beyond: (H, W)."""
    # Normalised so the ellipse touching the four edge midpoints is distance 1.
    dy = (np.arange(height)[:, None] + 0.5 - height / 2) / (height / 2)  # (H, 1)
    dx = (np.arange(width)[None, :] + 0.5 - width / 2) / (width / 2)  # (1, W)
    d = np.minimum(np.sqrt(dx * dx + dy * dy), 1.0)  # (H, W)
    s = d * d  # squared: a broad plateau in the middle, so the island fills the map
    return 1.0 - s * s * (3.0 - 2.0 * s)  # 1 - smoothstep


@register
class IslandLandscape(Generator[Heightmap]):
    """One island: the fbm terrain blended with a radial bump, ``(1 - f) * h + f * bump``.

    With falloff ``f`` every cell on the map border (where the bump is 0) is at most
    ``1 - f``, so for ``f >= 1 - SEA_LEVEL`` (0.55; default 0.6) the edges are always sea,
    and the centre is at least ``f``, so it is always land; the noise draws the coastline
    in between. The island is sized to the map: there is no chunk API and no tiling (an
    endless world of one island would be sea); use landscape/fbm for endless worlds.
    """

    name = "landscape/island"
    description = "an island: noise terrain with a radial falloff to sea at the map edges"
    content_type = Heightmap
    Config = IslandConfig
    config: IslandConfig

    def _generate(self, stream: np.random.SeedSequence) -> Heightmap:
        c = self.config
        terrain = terrain_at_origin(c, stream)  # (H, W) in [0, 1]
        height = (1.0 - c.falloff) * terrain + c.falloff * radial_bump(c.height, c.width)
        return Heightmap(np.clip(height, 0.0, 1.0).astype(np.float32))
