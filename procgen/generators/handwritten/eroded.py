"""landscape/eroded: noise terrain worn by rain, droplet by droplet (hydraulic erosion)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procgen.content import Heightmap
from procgen.generators.base import Generator
from procgen.generators.config import param
from procgen.generators.handwritten.fbm import TerrainConfig, terrain_at_origin
from procgen.generators.registry import register
from procgen.seeding import child, make_rng


@dataclass(frozen=True, kw_only=True)
class ErodedConfig(TerrainConfig):
    droplets: float = param(1.0, "raindrops per cell of the map; more carves deeper valleys", ge=0.0, le=8.0)
    lifetime: int = param(30, "steps each droplet flows before it evaporates", ge=1, le=256)
    inertia: float = param(0.05, "how much a droplet keeps its direction instead of turning downhill",
                           ge=0.0, lt=1.0)
    capacity: float = param(4.0, "sediment a droplet can carry per unit of slope, speed and water", ge=0.0, le=64.0)
    erosion: float = param(0.3, "share of its spare capacity a droplet digs up each step", ge=0.0, le=1.0)
    deposition: float = param(0.3, "share of its excess sediment a droplet drops each step", ge=0.0, le=1.0)
    evaporation: float = param(0.01, "share of its water a droplet loses each step", ge=0.0, le=1.0)
    radius: int = param(3, "cells around a droplet it digs from; wider gives smoother valleys", ge=1, le=8)


def hydraulic_erosion(height: np.ndarray, rng: np.random.Generator, *, droplets: int, lifetime: int = 30,
                      inertia: float = 0.05, capacity: float = 4.0, erosion: float = 0.3,
                      deposition: float = 0.3, evaporation: float = 0.01, radius: int = 3) -> np.ndarray:
    """``height`` (H, W) after ``droplets`` raindrops started at random cells drawn from ``rng``.

    Droplet-based erosion (after Hans Theobald Beyer's thesis as popularised by Sebastian
    Lague): sequential by definition, so it runs single-threaded and is deterministic for
    a given rng. Returns a new float64 array; values are not clipped.
    """
    out = np.array(height, dtype=np.float64, order="C")  # (H, W), a copy the kernel edits in place
    rows, cols = out.shape
    if droplets <= 0 or rows < 2 or cols < 2:
        return out  # a one-cell-wide map has no slope for water to follow
    starts = rng.random((droplets, 2)) * (cols - 1, rows - 1)  # (N, 2) x, y in [0, W-1) x [0, H-1)
    from procgen.generators.handwritten._erosion_kernels import erode  # numba: import only when used

    erode(out, starts, lifetime, inertia, capacity, erosion, deposition, evaporation, radius)
    return out


@register
class ErodedLandscape(Generator[Heightmap]):
    """The fbm terrain after hydraulic erosion: sharp valleys, smoothed slopes, sediment fans.

    Erosion moves material across the whole map, droplet after droplet, so an eroded map
    depends on everything around it: there is no chunk API (neighbouring chunks would not
    join) and no tiling. Use landscape/fbm for endless or tileable terrain.
    """

    name = "landscape/eroded"
    description = "terrain worn by rain: fbm noise after droplet-based hydraulic erosion"
    content_type = Heightmap
    Config = ErodedConfig
    config: ErodedConfig

    def _generate(self, stream: np.random.SeedSequence) -> Heightmap:
        c = self.config
        terrain = terrain_at_origin(c, stream)  # (H, W) in [0, 1]
        worn = hydraulic_erosion(
            terrain, make_rng(child(stream, "droplets")), droplets=round(c.droplets * c.width * c.height),
            lifetime=c.lifetime, inertia=c.inertia, capacity=c.capacity, erosion=c.erosion,
            deposition=c.deposition, evaporation=c.evaporation, radius=c.radius)
        # Sediment can pile a hair above the highest peak; heights stay in [0, 1].
        return Heightmap(np.clip(worn, 0.0, 1.0).astype(np.float32))
