"""level/overworld: a playable top-down level from a seed.

Terrain and moisture noise give biomes; 1 to 3 rivers come from any registered river
generator (hand-written or learned, chosen by name); a road joins spawn to goal over the
land, with bridges where it crosses a river, so a walkable route always exists.
Each part draws from its own named child stream, so changing the river generator never
moves the mountains.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import ndimage

from procgen.content import RiverPath, TileMap
from procgen.errors import ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten.biomes import OVERWORLD_TILES, TILE, WALKABLE, BiomeBands, classify
from procgen.generators.guided import GuidedRiver, guided_river
from procgen.generators.handwritten.downhill import drainage
from procgen.generators.handwritten.fbm import FbmLandscape
from procgen.generators.registry import get, register
from procgen.levels.routes import cheapest_route
from procgen.sampling import AffineGaussian, InverseTransform
from procgen.seeding import Seed, child, make_rng, seed_sequence

# World-to-world variety: wetter worlds have more sea and more forest (correlation 0.6).
_WORLD_MEAN = np.zeros(2)
_WORLD_COV = np.array([[1.0, 0.6], [0.6, 1.0]])
# Designer table: how likely a lone tree is at each normalised land height (0 coast, 1 peaks).
_TREES_BY_HEIGHT = ([0.0, 0.15, 0.45, 0.8, 1.0], [0.3, 1.0, 0.8, 0.2, 0.0])


@dataclass(frozen=True)
class OverworldLayout:
    """A level and its rivers: each river's cells (K, 2) in flow order, the guided walks (none
    for river/downhill, which lays its own), and the terrain and sea they ran on."""

    level: TileMap
    rivers: list[np.ndarray]
    walks: list[GuidedRiver]
    height: np.ndarray  # (H, W) terrain
    sea: np.ndarray  # (H, W) bool: where rivers end

    def filled(self) -> np.ndarray:
        """(H, W) the depression-filled terrain: no river cell is higher than the one before it."""
        return drainage(self.height, self.sea)[0]


@dataclass(frozen=True, kw_only=True)
class OverworldConfig(GeneratorConfig):
    width: int = param(256, "columns", ge=16, le=2048)
    height: int = param(256, "rows", ge=16, le=2048)
    rivers: int = param(2, "number of rivers", ge=1, le=3)
    river: str = param("river/coinflip", "river generator: a registered name or a trained-model folder")
    scale: float = param(64.0, "size of the largest terrain features, in cells", gt=0.0)
    water: float = param(0.35, "mean share of the map that is sea", ge=0.05, le=0.8)
    forest: float = param(0.35, "mean share of the lowland that is forest", ge=0.0, le=0.9)
    variety: float = param(0.05, "how much sea and forest shares vary between seeds (std)", ge=0.0, le=0.2)
    trees: float = param(0.02, "lone trees per grass cell, placed by height", ge=0.0, le=0.5)

    def validate(self) -> None:
        if not self.river.strip():
            raise ParameterError("parameter river must name a river generator, e.g. river/coinflip")


@register
class Overworld(Generator[TileMap]):
    name = "level/overworld"
    description = "top-down level: biomes, rivers from any river generator, a road from spawn to goal"
    content_type = TileMap
    Config = OverworldConfig
    config: OverworldConfig

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        self.river_generator = get(self.config.river)
        if self.river_generator.content_type is not RiverPath:
            raise ParameterError(f"parameter river must name a river generator; {self.config.river} "
                                 f"makes {self.river_generator.content_type.__name__}")

    def _generate(self, stream: np.random.SeedSequence) -> TileMap:
        return self._build(stream).level

    def _build(self, stream: np.random.SeedSequence) -> "OverworldLayout":
        tiles, height = self._land(stream)
        land, sea = WALKABLE[tiles], _sea(tiles)
        rivers = self._rivers(height, sea, child(stream, "rivers"))
        cells = [r if isinstance(r, np.ndarray) else r.cells for r in rivers]
        river = _river_mask(cells, sea)
        tiles[river] = TILE["river"]
        spawn, goal = self._ends(land, river, make_rng(child(stream, "ends")))
        self._road(tiles, height, land, river, spawn, goal)
        level = TileMap(tiles, OVERWORLD_TILES, spawn=spawn, goal=goal)
        return OverworldLayout(level, cells, [r for r in rivers if isinstance(r, GuidedRiver)], height, sea)

    def _land(self, stream: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
        """Tile ids (H, W) of the biomes and trees, and the terrain height (H, W)."""
        c = self.config
        world = AffineGaussian.from_covariance(_WORLD_MEAN, _WORLD_COV).sample(make_rng(child(stream, "world")), 1)[0]
        bands = BiomeBands(water=float(np.clip(c.water + c.variety * world[0], 0.05, 0.8)),
                           forest=float(np.clip(c.forest + c.variety * world[1], 0.0, 0.9)))
        height = self._noise(child(stream, "terrain"), c.scale)
        moisture = self._noise(child(stream, "moisture"), c.scale / 2)
        tiles = classify(height, moisture, bands)
        self._plant_trees(tiles, height, make_rng(child(stream, "trees")))
        return tiles, height

    def river_layout(self, seed: Seed) -> "OverworldLayout":
        """``generate(seed)``'s level with what its rivers are made of (see :class:`OverworldLayout`)."""
        return self._build(seed_sequence(seed, self.name))

    def _noise(self, stream: np.random.SeedSequence, scale: float) -> np.ndarray:
        c = self.config
        return FbmLandscape(width=c.width, height=c.height, scale=scale)._generate(stream).height

    def _plant_trees(self, tiles: np.ndarray, height: np.ndarray, rng: np.random.Generator) -> None:
        """Scatter lone trees over grass with a designer-given density by height (inverse transform)."""
        grass = np.flatnonzero(tiles.ravel() == TILE["grass"])
        count = int(self.config.trees * grass.size)
        if count == 0:
            return
        by_height = grass[np.argsort(height.ravel()[grass], kind="stable")]
        levels = height.ravel()[by_height]
        span = max(float(levels[-1] - levels[0]), 1e-9)
        wanted = levels[0] + span * InverseTransform.from_table(*_TREES_BY_HEIGHT).sample(rng, count)
        picks = by_height[np.clip(np.searchsorted(levels, wanted), 0, grass.size - 1)]
        tiles.ravel()[picks] = TILE["forest"]

    def _rivers(self, height: np.ndarray, sea: np.ndarray,
                stream: np.random.SeedSequence) -> list[GuidedRiver | np.ndarray]:
        """Each river from a highland source down to the sea or the edge: a guided walk, or the
        cells (K, 2) of a generator that lays its own (river/downhill's ``river_on``).

        Any other river generator runs in its terrain-guided mode (``procgen.generators.guided``):
        the model's own turns, never climbing the depression-filled terrain.
        """
        rivers: list[GuidedRiver | np.ndarray] = []
        drained = None
        for i in range(self.config.rivers):
            part = child(stream, str(i))
            if hasattr(self.river_generator, "river_on"):
                rivers.append(self.river_generator.river_on(height, part, sea=sea))
            else:
                drained = drained or drainage(height, sea)
                rivers.append(guided_river(self.river_generator, height, sea, part, drained=drained))
        return rivers

    def _ends(self, land: np.ndarray, river: np.ndarray, rng: np.random.Generator) -> tuple[tuple[int, int], ...]:
        """Spawn at random and goal far from it, both on the largest landmass, off rivers if possible.

        Rivers do not split the landmass here: the road bridges them.
        """
        labels, count = ndimage.label(land)
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        sizes[0] = 0
        mass = labels.ravel() == int(np.argmax(sizes))
        dry = mass & ~river.ravel()
        cells = np.flatnonzero(dry if dry.any() else mass)
        spawn = int(rng.choice(cells))
        r, c = np.divmod(cells, land.shape[1])
        distance = np.hypot(r - spawn // land.shape[1], c - spawn % land.shape[1])
        goal = int(rng.choice(cells[distance >= 0.8 * distance.max()]))
        return divmod(spawn, land.shape[1]), divmod(goal, land.shape[1])

    def _road(self, tiles: np.ndarray, height: np.ndarray, land: np.ndarray, river: np.ndarray,
              spawn: tuple[int, int], goal: tuple[int, int]) -> None:
        """Pave the cheapest land route from spawn to goal; bridges where it crosses a river."""
        route = cheapest_route(land, _cost(height, river), spawn, goal)
        on_river = river.ravel()[route]
        tiles.ravel()[route[on_river]] = TILE["bridge"]
        tiles.ravel()[route[~on_river]] = TILE["road"]


def _cost(height: np.ndarray, river: np.ndarray) -> np.ndarray:
    # Roads prefer flat ground and cross rivers rarely (each bridge costs like 12 cells).
    slope = np.hypot(*np.gradient(height.astype(np.float64)))
    return 1.0 + 200.0 * slope + 12.0 * river


def _river_mask(rivers: list[np.ndarray], sea: np.ndarray) -> np.ndarray:
    """Boolean (H, W) cells of ``rivers`` (each (K, 2)) on land, widened on large maps."""
    mask = np.zeros(sea.shape, dtype=bool)
    for cells in rivers:
        mask[cells[:, 0], cells[:, 1]] = True
    mask &= ~sea
    width = max(1, min(sea.shape) // 256)
    if width > 1:
        mask = ndimage.binary_dilation(mask, iterations=width - 1) & ~sea
    return mask


def _sea(tiles: np.ndarray) -> np.ndarray:
    """Cells where rivers end: open water (not land, not mountain)."""
    return ~WALKABLE[tiles] & (tiles != TILE["mountain"])
