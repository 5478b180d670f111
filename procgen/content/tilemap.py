"""TileMap: a grid of tile ids over a tileset, with an optional spawn and goal."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np
from PIL import Image, ImageDraw

from procgen.content.base import Content, frozen_array
from procgen.content.markers import OUTLINE, draw_markers, marker_colors
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

    def to_image(self, tile_px: int | None = None, *, markers: bool = True) -> Image.Image:
        """An RGB preview: each tile a ``tile_px`` square (default: ``default_tile_px``), the
        spawn a ring and the goal a flag (``markers=False`` leaves them out)."""
        if len(self.tileset) <= MAX_PALETTE_TILES:
            return self.palette_image(tile_px, markers=markers).convert("RGB")
        px = default_tile_px(self.shape) if tile_px is None else _checked_px(tile_px)
        lut = np.array([t.color for t in self.tileset], dtype=np.uint8)  # (T, 3)
        image = Image.fromarray(_enlarge(lut[self.tiles], px), mode="RGB")
        if markers:
            draw_markers(ImageDraw.Draw(image), self.spawn, self.goal, px, (*self.marker_colors(), OUTLINE), image.size)
        return image

    def palette_image(self, tile_px: int | None = None, *, markers: bool = True) -> Image.Image:
        """``to_image``'s pixels as a palette ("P") image: a quarter of the PNG encoding time and
        half the size, which matters when previews are written for thousands of levels."""
        count = len(self.tileset)
        if count > MAX_PALETTE_TILES:
            raise ContentError(f"a palette picture holds at most {MAX_PALETTE_TILES} tiles, this tileset has {count}")
        px = default_tile_px(self.shape) if tile_px is None else _checked_px(tile_px)
        spawn, goal = self.marker_colors()
        palette = np.array([t.color for t in self.tileset] + [spawn, goal, OUTLINE], dtype=np.uint8)
        pixels = _enlarge(self.tiles.astype(np.uint8), px)
        image = Image.frombytes("P", (pixels.shape[1], pixels.shape[0]), pixels.tobytes())
        image.putpalette(palette.ravel().tolist())
        if markers:
            draw_markers(ImageDraw.Draw(image), self.spawn, self.goal, px, (count, count + 1, count + 2), image.size)
        return image

    def marker_colors(self) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """(spawn, goal) marker colours, each far from every tile colour of this tileset."""
        return marker_colors(t.color for t in self.tileset)


MAX_PALETTE_TILES = 253  # 256 palette entries less spawn, goal and outline
MAX_TILE_PX = 64
MAX_PICTURE_PX = 16384  # a default picture no wider than this, however long the map


def default_tile_px(shape: tuple[int, int]) -> int:
    """Pixels per tile of a preview: 8 when a side is under 128 tiles (a 40 x 24 level is then
    320 x 192 pixels, a 14-row platformer level 112 pixels tall), 4 for maps of 128 tiles or
    more both ways (256 x 256: 1024 pixels); never a picture wider than MAX_PICTURE_PX."""
    px = 8 if min(shape) < 128 else 4
    return max(1, min(px, MAX_PICTURE_PX // max(shape)))


def _checked_px(tile_px: int) -> int:
    if isinstance(tile_px, bool) or not isinstance(tile_px, (int, np.integer)) or not 1 <= tile_px <= MAX_TILE_PX:
        raise ContentError(f"pixels per tile must be an int in 1..{MAX_TILE_PX}, got {tile_px!r}")
    return int(tile_px)


def _enlarge(grid: np.ndarray, px: int) -> np.ndarray:
    """Each cell of ``grid`` (H, W, ...) as a ``px`` x ``px`` block."""
    return np.repeat(np.repeat(grid, px, axis=0), px, axis=1)
