"""TileMap: a grid of tile ids over a tileset, with an optional spawn and goal."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
from PIL import Image

from procgen.content.base import Content, frozen_array
from procgen.errors import ContentError

Cell = tuple[int, int]


@dataclass(frozen=True)
class Tile:
    """One kind of tile: a unique ``name`` and ``char``, a preview ``color``, and walkability."""

    name: str
    color: tuple[int, int, int]
    char: str
    walkable: bool

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ContentError(f"tile name must be non-empty text, got {self.name!r}")
        if not isinstance(self.char, str) or len(self.char) != 1 or self.char.isspace():
            raise ContentError(f"tile {self.name!r}: char must be one visible character, got {self.char!r}")
        color = tuple(self.color) if isinstance(self.color, (list, tuple)) else ()
        if len(color) != 3 or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in color):
            raise ContentError(f"tile {self.name!r}: color must be three ints in 0..255, got {self.color!r}")
        if not isinstance(self.walkable, bool):
            raise ContentError(f"tile {self.name!r}: walkable must be True or False, got {self.walkable!r}")
        object.__setattr__(self, "color", color)


def _tileset(tiles: Sequence[Tile | dict[str, Any]]) -> tuple[Tile, ...]:
    result = tuple(t if isinstance(t, Tile) else Tile(**{**t, "color": tuple(t["color"])}) for t in tiles)
    if not result:
        raise ContentError("a tileset needs at least one tile")
    for field in ("name", "char"):
        values = [getattr(t, field) for t in result]
        if len(set(values)) != len(values):
            raise ContentError(f"tileset {field}s must be unique, got {values}")
    return result


@dataclass(frozen=True, eq=False, init=False)
class TileMap(Content):
    """``tiles``: int32 (H, W) ids into ``tileset``; ``spawn``/``goal``: walkable (row, col) or None."""

    type_name = "tilemap"
    tiles: np.ndarray  # (H, W) int32
    tileset: tuple[Tile, ...]
    spawn: Cell | None
    goal: Cell | None

    def __init__(self, tiles: Any, tileset: Sequence[Tile | dict[str, Any]],
                 spawn: Sequence[int] | None = None, goal: Sequence[int] | None = None) -> None:
        raw = np.asarray(tiles)
        if raw.dtype.kind not in "iu":
            raise ContentError(f"tiles must be an integer array, got {raw.dtype}")
        grid = frozen_array(raw, dtype=np.int32, name="tiles")
        if grid.ndim != 2 or min(grid.shape) < 1:
            raise ContentError(f"tiles must be a non-empty 2-D array (H, W), got shape {grid.shape}")
        tset = _tileset(tileset)
        if grid.min() < 0 or grid.max() >= len(tset):
            raise ContentError(f"tile ids must lie in [0, {len(tset)}), got [{grid.min()}, {grid.max()}]")
        object.__setattr__(self, "tiles", grid)
        object.__setattr__(self, "tileset", tset)
        object.__setattr__(self, "spawn", self._cell(spawn, "spawn"))
        object.__setattr__(self, "goal", self._cell(goal, "goal"))

    def _cell(self, cell: Sequence[int] | None, label: str) -> Cell | None:
        if cell is None:
            return None
        values = tuple(cell)
        if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            raise ContentError(f"{label} must be (row, col) ints or None, got {cell!r}")
        row, col = int(values[0]), int(values[1])
        rows, cols = self.tiles.shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise ContentError(f"{label} {(row, col)} lies outside the {rows}x{cols} map")
        tile = self.tileset[self.tiles[row, col]]
        if not tile.walkable:
            raise ContentError(f"{label} {(row, col)} is on a non-walkable tile ({tile.name})")
        return (row, col)

    @property
    def shape(self) -> tuple[int, int]:
        return self.tiles.shape  # type: ignore[return-value]

    def walkable_mask(self) -> np.ndarray:
        """Boolean (H, W): True where the tile can be walked on."""
        return np.array([t.walkable for t in self.tileset])[self.tiles]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"tiles": self.tiles}

    def _meta(self) -> dict[str, Any]:
        return {
            "tileset": [{**asdict(t), "color": list(t.color)} for t in self.tileset],
            "spawn": None if self.spawn is None else list(self.spawn),
            "goal": None if self.goal is None else list(self.goal),
        }

    @classmethod
    def _build(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> TileMap:
        return cls(arrays["tiles"], meta["tileset"], meta.get("spawn"), meta.get("goal"))

    def to_image(self, tile_px: int = 4) -> Image.Image:
        """A preview with each tile as a ``tile_px`` square; spawn white, goal red."""
        lut = np.array([t.color for t in self.tileset], dtype=np.uint8)  # (T, 3)
        rgb = lut[self.tiles]  # (H, W, 3)
        for cell, color in ((self.spawn, (255, 255, 255)), (self.goal, (220, 30, 30))):
            if cell is not None:
                rgb[cell] = color
        return Image.fromarray(np.repeat(np.repeat(rgb, tile_px, axis=0), tile_px, axis=1), mode="RGB")
