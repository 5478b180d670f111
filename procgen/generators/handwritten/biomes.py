"""Biomes: height plus moisture give the overworld's tiles.

Thresholds are quantiles of the map's own heights, so every level has the requested
share of sea, beach and mountains whatever the noise happened to do on that seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procgen.content import Tile

OVERWORLD_TILES = (
    Tile("deep water", (22, 54, 110), "W", False),
    Tile("water", (48, 104, 180), "w", False),
    Tile("sand", (224, 208, 148), ".", True),
    Tile("grass", (104, 164, 72), ",", True),
    Tile("forest", (42, 108, 52), "T", True),
    Tile("hill", (148, 150, 92), "n", True),
    Tile("mountain", (120, 104, 96), "^", False),
    Tile("snow", (240, 240, 244), "*", True),
    Tile("river", (70, 140, 210), "~", False),
    Tile("bridge", (150, 100, 60), "=", True),
    Tile("road", (196, 168, 120), "#", True),
)
TILE = {tile.name: index for index, tile in enumerate(OVERWORLD_TILES)}
WALKABLE = np.array([tile.walkable for tile in OVERWORLD_TILES])


@dataclass(frozen=True)
class BiomeBands:
    """Shares of the map (by height rank) given to each band, from the lowest up."""

    water: float = 0.35  # sea, of which the lower half is deep water
    beach: float = 0.04
    mountain: float = 0.07
    snow: float = 0.015
    hill: float = 0.10
    forest: float = 0.35  # share of the wettest lowland that is forest


def classify(height: np.ndarray, moisture: np.ndarray, bands: BiomeBands) -> np.ndarray:
    """Tile ids (H, W) from height and moisture (H, W), by the quantile bands."""
    top = 1.0 - bands.snow
    cuts = np.quantile(height, [bands.water / 2, bands.water, bands.water + bands.beach,
                                top - bands.mountain - bands.hill, top - bands.mountain, top])
    tiles = np.full(height.shape, TILE["grass"], dtype=np.int32)
    order = ("deep water", "water", "sand", None, "hill", "mountain")
    # Assign from the top band down so each cell ends with the band its height falls in.
    tiles[height >= cuts[5]] = TILE["snow"]
    for cut_low, cut_high, name in zip([-np.inf, *cuts[:-1]][::-1], cuts[::-1], order[::-1]):
        if name is not None:
            tiles[(height >= cut_low) & (height < cut_high)] = TILE[name]
    lowland = tiles == TILE["grass"]
    if lowland.any():
        wet = moisture >= np.quantile(moisture[lowland], 1.0 - bands.forest)
        tiles[lowland & wet] = TILE["forest"]
    return tiles


def overworld_legend() -> dict[str, object]:
    """A VGLC legend for the overworld tiles: water blocks, mountains are solid, the rest passable;
    with each tile's name and colour, so levels learned from it still tell grass from road."""
    from procgen.datasets.legend import tileset_identity  # only the corpus export needs datasets

    def tags(tile: Tile) -> list[str]:
        if tile.name in ("deep water", "water", "river"):
            return ["water", tile.name]
        return ["passable", tile.name] if tile.walkable else ["solid", tile.name]

    return {"tiles": {tile.char: tags(tile) for tile in OVERWORLD_TILES}, **tileset_identity(OVERWORLD_TILES),
            "view": "top-down"}
