"""Spawn and goal markers for tile-map pictures: a ring and a flag, outlined in black.

A marker is a shape, not a recoloured tile: a single tile painted white read as snow, and
one painted red as a goal tile. Each marker's colour is picked per tileset so that it is
far from every tile colour (and from the other marker), so it never blends into the map.
Shapes are sized from the pixels per tile but never smaller than a few pixels, so they
stay visible in small previews and thumbnails.

Drawing goes through ``PIL.ImageDraw`` with no antialiasing, so the same call on a palette
image (colours as palette indices) and on an RGB image sets the same pixels.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

from PIL import ImageDraw

Color = tuple[int, int, int]
Cell = tuple[int, int]

OUTLINE: Color = (0, 0, 0)
# Candidates in order of preference: cyan for the start, magenta for the goal, then others.
SPAWN_CANDIDATES: tuple[Color, ...] = ((0, 255, 255), (0, 255, 0), (255, 255, 0), (255, 128, 0), (255, 255, 255))
GOAL_CANDIDATES: tuple[Color, ...] = ((255, 0, 255), (255, 0, 0), (255, 255, 0), (0, 255, 0), (255, 128, 0))
MIN_DISTANCE = 80.0  # RGB distance that reads as a different colour next to a tile
MIN_MARKER_PX = 5  # a marker's radius in pixels, however small the tiles


def _distance(a: Color, b: Color) -> float:
    return float(sum((x - y) ** 2 for x, y in zip(a, b))) ** 0.5


def _pick(candidates: Sequence[Color], avoid: Sequence[Color]) -> Color:
    """The first candidate far enough from every colour in ``avoid``, else the farthest one."""
    def nearest(color: Color) -> float:
        return min((_distance(color, other) for other in avoid), default=float("inf"))

    for color in candidates:
        if nearest(color) >= MIN_DISTANCE:
            return color
    return max(candidates, key=nearest)


def marker_colors(tile_colors: Iterable[Color]) -> tuple[Color, Color]:
    """(spawn, goal) colours for a tileset with these tile colours."""
    colors = [tuple(c) for c in tile_colors]
    spawn = _pick(SPAWN_CANDIDATES, colors)
    goal = _pick(GOAL_CANDIDATES, [*colors, spawn])
    return spawn, goal


def _inside(value: float, margin: float, limit: float) -> float:
    """``value`` moved at most as far as needed to keep ``margin`` from both ends of [0, limit]."""
    return min(max(value, margin), max(margin, limit - margin))


def draw_spawn(draw: ImageDraw.ImageDraw, cell: Cell, scale: float, fill: Any, outline: Any,
               size: tuple[int, int]) -> None:
    """A ring (a target) about two tiles across on ``cell``, pulled inside the picture at its edges."""
    radius = max(scale, MIN_MARKER_PX)
    x = _inside((cell[1] + 0.5) * scale, radius, size[0] - 1)
    y = _inside((cell[0] + 0.5) * scale, radius, size[1] - 1)
    band = max(2.0, radius / 2.5)
    for r, color in ((radius, outline), (radius - 1, fill), (radius - 1 - band, outline)):
        if r > 0:
            draw.ellipse((round(x - r), round(y - r), round(x + r), round(y + r)), fill=color)


def draw_goal(draw: ImageDraw.ImageDraw, cell: Cell, scale: float, fill: Any, outline: Any,
              size: tuple[int, int]) -> None:
    """A flag whose pole stands on ``cell``: a black pole and an outlined pennant that points
    into the picture (left on the right-hand edge), hanging down on the top rows."""
    height = max(2.5 * scale, 2.4 * MIN_MARKER_PX)
    x = (cell[1] + 0.5) * scale
    top = max(0.0, (cell[0] + 1) * scale - height)
    reach = 0.7 * height if x + 0.7 * height < size[0] else -0.7 * height
    pole = max(1, round(scale / 4))
    draw.rectangle((round(x - pole / 2), round(top), round(x + pole / 2), round(top + height)), fill=outline)
    pennant = [(round(x), round(top)), (round(x + reach), round(top + 0.28 * height)),
               (round(x), round(top + 0.56 * height))]
    draw.polygon(pennant, fill=fill, outline=outline)


def draw_markers(draw: ImageDraw.ImageDraw, spawn: Cell | None, goal: Cell | None, scale: float,
                 colors: tuple[Any, Any, Any], size: tuple[int, int]) -> None:
    """Spawn ring and goal flag at ``scale`` pixels per tile on a picture of ``size`` (w, h);
    ``colors``: (spawn, goal, outline) as RGB tuples or palette indices, whichever it takes."""
    if spawn is not None:
        draw_spawn(draw, spawn, scale, colors[0], colors[2], size)
    if goal is not None:
        draw_goal(draw, goal, scale, colors[1], colors[2], size)
