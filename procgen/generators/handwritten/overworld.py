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
from procgen.generators.handwritten.downhill import pick_source
from procgen.generators.handwritten.fbm import FbmLandscape
from procgen.generators.registry import get, register
from procgen.levels.routes import cheapest_route
from procgen.sampling import AffineGaussian, InverseTransform
from procgen.seeding import child, make_rng

# World-to-world variety: wetter worlds have more sea and more forest (correlation 0.6).
_WORLD_MEAN = np.zeros(2)
_WORLD_COV = np.array([[1.0, 0.6], [0.6, 1.0]])
# Designer table: how likely a lone tree is at each normalised land height (0 coast, 1 peaks).
_TREES_BY_HEIGHT = ([0.0, 0.15, 0.45, 0.8, 1.0], [0.3, 1.0, 0.8, 0.2, 0.0])


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
        c = self.config
        world = AffineGaussian.from_covariance(_WORLD_MEAN, _WORLD_COV).sample(make_rng(child(stream, "world")), 1)[0]
        bands = BiomeBands(water=float(np.clip(c.water + c.variety * world[0], 0.05, 0.8)),
                           forest=float(np.clip(c.forest + c.variety * world[1], 0.0, 0.9)))
        height = self._noise(child(stream, "terrain"), c.scale)
        moisture = self._noise(child(stream, "moisture"), c.scale / 2)
        tiles = classify(height, moisture, bands)
        self._plant_trees(tiles, height, make_rng(child(stream, "trees")))
        land = WALKABLE[tiles]
        river = self._rivers(tiles, height, child(stream, "rivers"))
        tiles[river] = TILE["river"]
        spawn, goal = self._ends(land, river, make_rng(child(stream, "ends")))
        self._road(tiles, height, land, river, spawn, goal)
        return TileMap(tiles, OVERWORLD_TILES, spawn=spawn, goal=goal)

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

    def _rivers(self, tiles: np.ndarray, height: np.ndarray, stream: np.random.SeedSequence) -> np.ndarray:
        """Boolean (H, W) river cells, each river from a highland source until it meets the sea."""
        sea = ~WALKABLE[tiles] & (tiles != TILE["mountain"])
        mask = np.zeros(tiles.shape, dtype=bool)
        for i in range(self.config.rivers):
            part = child(stream, str(i))
            if hasattr(self.river_generator, "river_on"):
                mask |= _until_sea(self.river_generator.river_on(height, part, sea=sea), sea)
            else:
                mask |= self._place(self.river_generator._generate(part), height, sea, make_rng(child(part, "place")))
        width = max(1, min(tiles.shape) // 256)
        if width > 1:
            mask = ndimage.binary_dilation(mask, iterations=width - 1) & ~sea
        return mask

    def _place(self, river: RiverPath, height: np.ndarray, sea: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """River cells (H, W) of ``river`` laid on the map, one step per cell, from a highland source.

        Of eight headings (offset by a random angle) the one running longest over land wins,
        so rivers cross the map instead of dropping straight into the nearest bay.
        """
        points = river.points - river.points[0]
        steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
        points = points / max(float(np.median(steps)), 1e-9)
        # Three samples per step: dense enough that the cells form an unbroken 8-connected line.
        t = np.linspace(0.0, len(points) - 1.0, 3 * (len(points) - 1) + 1)
        dense = np.stack([np.interp(t, np.arange(len(points)), points[:, k]) for k in (0, 1)], axis=1)
        start = np.array(np.unravel_index(pick_source(height, rng, 0.8), height.shape))
        best = np.zeros(height.shape, dtype=bool)
        for angle in rng.uniform(0.0, 2.0 * np.pi) + np.arange(8) * np.pi / 4:
            rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            rows_cols = start + (dense @ rotation.T)[:, ::-1]  # (K, 2): x -> column, y -> row
            mask = _until_sea(np.floor(rows_cols + 0.5).astype(np.int64), sea)
            if mask.sum() > best.sum():
                best = mask
        return best

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


def _until_sea(cells: np.ndarray, sea: np.ndarray) -> np.ndarray:
    """Mask of ``cells`` (K, 2) up to where they first leave the map or reach the sea."""
    rows, cols = sea.shape
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < rows) & (cells[:, 1] >= 0) & (cells[:, 1] < cols)
    stop = len(cells) if inside.all() else int(np.argmin(inside))
    kept = cells[:stop]
    wet = sea[kept[:, 0], kept[:, 1]]
    kept = kept[: int(np.argmax(wet)) if wet.any() else len(kept)]
    mask = np.zeros(sea.shape, dtype=bool)
    mask[kept[:, 0], kept[:, 1]] = True
    return mask


