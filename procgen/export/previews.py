"""PNG previews for every content type, and the ``--scale`` option that sizes them.

A preview is what ``to_image()`` shows, enlarged by ``scale``: pixels per tile for a tile
map (default ``default_tile_px``: 8 under 128 tiles a side), pixels per sample for a
heightmap (default 1), and for a river ``scale`` times its 512-pixel picture. A TileMap
preview is written as a palette PNG with the same pixels as ``to_image()`` (a quarter of
the encoding time and half the size, which matters for thousands of levels).
"""

from __future__ import annotations

import argparse
import io

from PIL import Image

from procgen.content import Content, Heightmap, RiverPath, TileMap
from procgen.content.tilemap import MAX_PALETTE_TILES, MAX_TILE_PX
from procgen.errors import ParameterError

MAX_SCALE = MAX_TILE_PX
MAX_SIDE = 16384  # pixels: beyond this a PNG preview is no longer something a person opens
RIVER_PX = 512
SCALE_HELP = ("png preview scale: pixels per tile for tile maps (default 8 under 128 tiles a side, else 4), "
              "per sample for heightmaps (default 1); rivers are drawn N x 512 pixels")


def add_scale_option(parser: argparse.ArgumentParser) -> None:
    """``--scale N``, shared by ``procgen generate`` and ``procgen export``."""
    parser.add_argument("--scale", type=int, default=None, metavar="N", help=SCALE_HELP)


def check_scale(scale: int | None) -> int | None:
    """``scale`` if it is None (the default) or an int in 1..MAX_SCALE; else a ParameterError."""
    if scale is None:
        return None
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= MAX_SCALE:
        raise ParameterError(f"--scale must be an int from 1 to {MAX_SCALE} (pixels per tile), got {scale!r}")
    return scale


def check_preview_size(content: Content, scale: int | None) -> None:
    """Refuse a scale whose picture would be larger than MAX_SIDE pixels a side."""
    if scale is None:
        return
    rows, cols = (1, 1) if isinstance(content, RiverPath) else content.shape  # type: ignore[attr-defined]
    side = RIVER_PX * scale if isinstance(content, RiverPath) else max(rows, cols) * scale
    if side > MAX_SIDE:
        raise ParameterError(f"--scale {scale} would make a {side}-pixel picture; the most is {MAX_SIDE} "
                             f"pixels a side, so use --scale {max(1, MAX_SIDE // (side // scale))} or less")


def preview_image(content: Content, scale: int | None = None) -> Image.Image:
    """The preview of ``content`` at ``scale`` (None: each type's default)."""
    check_scale(scale)
    check_preview_size(content, scale)
    if isinstance(content, TileMap):
        if len(content.tileset) <= MAX_PALETTE_TILES:
            return content.palette_image(scale)
        return content.to_image(scale)
    if isinstance(content, Heightmap):
        return content.to_image(scale=scale or 1)
    if isinstance(content, RiverPath):
        factor = scale or 1  # line and margin grow with the picture, so it looks the same, larger
        return content.to_image(size=RIVER_PX * factor, margin=16 * factor, line_width=3 * factor)
    return content.to_image()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def preview_png(content: Content, scale: int | None = None) -> bytes:
    """The preview of ``content`` as PNG bytes."""
    return png_bytes(preview_image(content, scale))

