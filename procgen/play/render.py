"""Drawing the three demos with pygame (with app.py, the only pygame code).

Renderers read the pure states and never change game rules; each caches the surfaces
it builds from content (a level's pixels, thumbnails) by the content they came from.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from procgen.content import TileMap  # noqa: E402
from procgen.play import explorer, gallery, rivers_lab  # noqa: E402
from procgen.play.motion import HALF  # noqa: E402

BACKGROUND = (18, 22, 30)
TEXT = (236, 238, 242)
DIM = (150, 158, 172)
ACCENT = (255, 196, 60)
PANEL = (0, 0, 0, 150)
TILE_PX = 16  # screen pixels per level tile in the explorer
TEXTURE_PX = 4  # pixels per tile in the cached level picture, enlarged to TILE_PX on screen


class Widgets:
    """Text, panels, the busy spinner and the seed box, shared by every demo."""

    def __init__(self) -> None:
        self.font = pygame.font.Font(None, 24)
        self.small = pygame.font.Font(None, 20)
        self.big = pygame.font.Font(None, 34)

    def text(self, screen: pygame.Surface, text: str, pos: tuple[int, int], color: tuple = TEXT,
             font: pygame.font.Font | None = None) -> pygame.Rect:
        surface = (font or self.font).render(text, True, color)
        return screen.blit(surface, pos)

    def panel(self, screen: pygame.Surface, lines: list[str], pos: tuple[int, int]) -> None:
        """Lines of text on a translucent box, so they read over any terrain."""
        if not lines:
            return
        rendered = [self.font.render(line, True, ACCENT if i == 0 else TEXT) for i, line in enumerate(lines)]
        width = max(s.get_width() for s in rendered) + 16
        box = pygame.Surface((width, 22 * len(rendered) + 10), pygame.SRCALPHA)
        box.fill(PANEL)
        screen.blit(box, pos)
        for i, surface in enumerate(rendered):
            screen.blit(surface, (pos[0] + 8, pos[1] + 6 + 22 * i))

    def hints(self, screen: pygame.Surface, hints: str) -> None:
        w, h = screen.get_size()
        surface = self.small.render(hints, True, DIM)
        box = pygame.Surface((w, 24), pygame.SRCALPHA)
        box.fill(PANEL)
        screen.blit(box, (0, h - 24))
        screen.blit(surface, ((w - surface.get_width()) // 2, h - 19))

    def busy(self, screen: pygame.Surface, label: str, seconds: float) -> None:
        """The generating indicator: a turning arc and what the worker is doing."""
        if not label:
            return
        w, h = screen.get_size()
        surface = self.font.render(label, True, TEXT)
        box = pygame.Rect(w - surface.get_width() - 60, h - 70, surface.get_width() + 48, 36)
        pygame.draw.rect(screen, (30, 34, 46), box, border_radius=8)
        centre = (box.x + 20, box.centery)
        start = (seconds * 6.0) % (2 * math.pi)
        pygame.draw.arc(screen, ACCENT, pygame.Rect(centre[0] - 10, centre[1] - 10, 20, 20), start, start + 4.2, 3)
        screen.blit(surface, (box.x + 38, box.y + 9))

    def seed_box(self, screen: pygame.Surface, entry: Any) -> None:
        if not entry.active:
            return
        w, h = screen.get_size()
        box = pygame.Rect(w // 2 - 300, h // 2 - 60, 600, 120)
        pygame.draw.rect(screen, (30, 34, 46), box, border_radius=10)
        pygame.draw.rect(screen, ACCENT, box, 2, border_radius=10)
        self.text(screen, "type a seed (a number or any text), Enter to play, Esc to cancel",
                  (box.x + 16, box.y + 14), DIM, self.small)
        caret = "_" if int(pygame.time.get_ticks() / 500) % 2 == 0 else " "
        self.text(screen, entry.text + caret, (box.x + 16, box.y + 44), TEXT, self.big)
        if entry.error:
            self.text(screen, entry.error[:90], (box.x + 16, box.y + 90), (255, 120, 110), self.small)


def _surface(rgb: np.ndarray) -> pygame.Surface:
    """An RGB array (H, W, 3) as a surface (pygame indexes pixels x first)."""
    return pygame.surfarray.make_surface(np.ascontiguousarray(np.transpose(rgb, (1, 0, 2))))


# Per-tile shading patterns (TEXTURE_PX x TEXTURE_PX multipliers) by tile name, so the
# enlarged level reads as terrain rather than flat squares. Unknown tiles stay flat.
_PATTERNS = {
    "forest": [[1.0, 0.9, 0.9, 1.0], [0.9, 0.7, 0.7, 0.9], [0.9, 0.7, 0.7, 0.9], [1.05, 0.95, 0.95, 1.05]],
    "water": [[1.0] * 4, [1.12, 1.12, 1.0, 1.0], [1.0] * 4, [1.0, 1.0, 1.12, 1.12]],
    "deep water": [[1.0] * 4, [1.0, 1.1, 1.1, 1.0], [1.0] * 4, [1.0] * 4],
    "river": [[1.0, 1.0, 1.15, 1.15], [1.0] * 4, [1.15, 1.15, 1.0, 1.0], [1.0] * 4],
    "mountain": [[1.0, 1.25, 1.0, 1.0], [1.1, 1.15, 0.9, 1.0], [1.05, 1.0, 0.85, 0.8], [0.95, 0.9, 0.8, 0.75]],
    "hill": [[1.0] * 4, [1.0, 1.1, 1.1, 1.0], [1.0, 0.95, 0.95, 1.0], [1.0] * 4],
    "bridge": [[0.75] * 4, [1.05] * 4, [0.75] * 4, [1.05] * 4],
    "road": [[1.0, 1.0, 0.92, 1.0], [1.0] * 4, [0.92, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 0.92]],
    "grass": [[1.0] * 4, [1.0, 1.0, 1.08, 1.0], [1.0] * 4, [1.08, 1.0, 1.0, 1.0]],
}


def level_pixels(level: TileMap) -> np.ndarray:
    """The level as RGB (H * 4, W * 4, 3): tile colours, shaded by tile kind and per-cell grain.

    Every (tile, grain) pair is shaded once into a small texture, so the whole map is one
    uint8 gather (a few ms at 256 x 256), cheap enough for the main loop.
    """
    px, grains = TEXTURE_PX, 17
    lut = np.array([t.color for t in level.tileset], dtype=np.float32)  # (T, 3)
    patterns = np.ones((len(level.tileset), px, px), dtype=np.float32)
    for i, tile in enumerate(level.tileset):
        if tile.name in _PATTERNS:
            patterns[i] = _PATTERNS[tile.name]
    grain = 0.96 + 0.08 * np.arange(grains, dtype=np.float32) / (grains - 1)  # (G,)
    shaded = lut[:, None, None, None, :] * grain[None, :, None, None, None] * patterns[:, None, :, :, None]
    textures = np.clip(shaded, 0, 255).astype(np.uint8).reshape(-1, px, px, 3)  # (T * G, px, px, 3)
    rows, cols = np.indices(level.shape)
    cell_grain = (rows * 7919 + cols * 104729) % grains  # fixed, not random: the same every run
    rgb = textures[level.tiles * grains + cell_grain]  # (H, W, px, px, 3)
    return rgb.transpose(0, 2, 1, 3, 4).reshape(level.shape[0] * px, level.shape[1] * px, 3)

class ExplorerView:
    """The level around the player at TILE_PX per tile, a minimap, the HUD."""

    MINI = 176

    def __init__(self, widgets: Widgets) -> None:
        self.w = widgets
        self._level: TileMap | None = None
        self._texture: pygame.Surface | None = None
        self._mini: pygame.Surface | None = None

    def _cache(self, level: TileMap) -> None:
        if level is self._level:
            return
        self._level = level
        self._texture = _surface(level_pixels(level))
        lut = np.array([t.color for t in level.tileset], dtype=np.uint8)
        self._mini = pygame.transform.smoothscale(_surface(lut[level.tiles]), (self.MINI, self.MINI))

    def draw(self, screen: pygame.Surface, state: explorer.ExplorerState, busy: str, seconds: float) -> None:
        screen.fill(BACKGROUND)
        w, h = screen.get_size()
        state.view = (w / TILE_PX, h / TILE_PX)
        if state.level is not None:
            self._cache(state.level)
            left, top = state.camera.top_left(state.view, (state.level.shape[1], state.level.shape[0]))
            self._terrain(screen, state.level, left, top)
            self._markers(screen, state, left, top, seconds)
            self._minimap(screen, state, left, top)
        self.w.panel(screen, state.hud_lines(), (12, 12))
        self.w.hints(screen, explorer.HINTS)
        self.w.busy(screen, busy or ("generating..." if state.generating else ""), seconds)
        self.w.seed_box(screen, state.entry)

    def _terrain(self, screen: pygame.Surface, level: TileMap, left: float, top: float) -> None:
        """Blit only the visible tiles, enlarged; the fractional camera offset scrolls smoothly."""
        rows, cols = level.shape
        vw, vh = screen.get_width() / TILE_PX, screen.get_height() / TILE_PX
        x0, y0 = max(0, math.floor(left)), max(0, math.floor(top))
        x1, y1 = min(cols, math.ceil(left + vw) + 1), min(rows, math.ceil(top + vh) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        area = pygame.Rect(x0 * TEXTURE_PX, y0 * TEXTURE_PX, (x1 - x0) * TEXTURE_PX, (y1 - y0) * TEXTURE_PX)
        tiles = pygame.transform.scale(self._texture.subsurface(area), ((x1 - x0) * TILE_PX, (y1 - y0) * TILE_PX))
        screen.blit(tiles, (round((x0 - left) * TILE_PX), round((y0 - top) * TILE_PX)))

    def _markers(self, screen: pygame.Surface, state: explorer.ExplorerState, left: float, top: float,
                 seconds: float) -> None:
        def at(x: float, y: float) -> tuple[int, int]:
            return round((x - left) * TILE_PX), round((y - top) * TILE_PX)

        if state.level.goal is not None:
            gy, gx = state.level.goal
            centre = at(gx + 0.5, gy + 0.5)
            pulse = 9 + 3 * math.sin(seconds * 5.0)
            flag = state.level.marker_colors()[1]  # the goal flag's colour in every preview of this level
            pygame.draw.circle(screen, flag, centre, round(pulse), 3)
            pygame.draw.line(screen, (40, 30, 30), centre, (centre[0], centre[1] - 18), 2)
            pennant = [(centre[0], centre[1] - 18), (centre[0] + 11, centre[1] - 14), (centre[0], centre[1] - 10)]
            pygame.draw.polygon(screen, flag, pennant)
            pygame.draw.polygon(screen, (0, 0, 0), pennant, 1)
            self._pointer(screen, centre)
        body = at(state.x, state.y)
        radius = round(HALF * TILE_PX * 1.15)
        pygame.draw.circle(screen, (20, 20, 28), (body[0], body[1] + 2), radius + 2)
        pygame.draw.circle(screen, (255, 244, 214), body, radius)
        pygame.draw.circle(screen, (200, 60, 40), body, max(2, radius // 2))

    def _pointer(self, screen: pygame.Surface, target: tuple[int, int]) -> None:
        """An arrow at the screen edge toward an off-screen goal."""
        w, h = screen.get_size()
        if 0 <= target[0] < w and 0 <= target[1] < h:
            return
        cx, cy = w / 2, h / 2
        angle = math.atan2(target[1] - cy, target[0] - cx)
        reach = min((w / 2 - 30) / max(abs(math.cos(angle)), 1e-6), (h / 2 - 40) / max(abs(math.sin(angle)), 1e-6))
        tip = (cx + reach * math.cos(angle), cy + reach * math.sin(angle))
        wing = [(tip[0] - 18 * math.cos(angle + s), tip[1] - 18 * math.sin(angle + s)) for s in (0.45, -0.45)]
        pygame.draw.polygon(screen, (220, 30, 30), [tip, *wing])

    def _minimap(self, screen: pygame.Surface, state: explorer.ExplorerState, left: float, top: float) -> None:
        rows, cols = state.level.shape
        x, y = screen.get_width() - self.MINI - 12, 12
        pygame.draw.rect(screen, (0, 0, 0), (x - 3, y - 3, self.MINI + 6, self.MINI + 6))
        screen.blit(self._mini, (x, y))
        sx, sy = self.MINI / cols, self.MINI / rows
        view = pygame.Rect(x + left * sx, y + top * sy, state.view[0] * sx, state.view[1] * sy).clip(
            pygame.Rect(x, y, self.MINI, self.MINI))
        pygame.draw.rect(screen, TEXT, view, 1)
        if state.level.goal is not None:
            pygame.draw.circle(screen, state.level.marker_colors()[1], (x + (state.level.goal[1] + 0.5) * sx,
                                                       y + (state.level.goal[0] + 0.5) * sy), 4)
        pygame.draw.circle(screen, (255, 255, 255), (x + state.x * sx, y + state.y * sy), 3)


class RiversView:
    """Two panels, hand-written left and learned right, drawn at one shared scale."""

    TOP, MARGIN, TEXT_ROWS = 64, 16, 5

    def __init__(self, widgets: Widgets) -> None:
        self.w = widgets

    def panels(self, screen: pygame.Surface) -> list[pygame.Rect]:
        w, h = screen.get_size()
        width = (w - 3 * self.MARGIN) // 2
        height = h - self.TOP - 24 - 24 * self.TEXT_ROWS - 16
        return [pygame.Rect(self.MARGIN + i * (width + self.MARGIN), self.TOP, width, height) for i in (0, 1)]

    def draw(self, screen: pygame.Surface, state: rivers_lab.RiverLabState, busy: str, seconds: float) -> None:
        screen.fill(BACKGROUND)
        self.w.text(screen, "River lab", (16, 14), ACCENT, self.w.big)
        self.w.text(screen, "   ".join(state.hud_lines()), (170, 22))
        panels = self.panels(screen)
        samples = [state.shown(i) for i in (0, 1)]
        scale = self._scale([s.path.points for s in samples if s is not None], panels[0])
        for i, (panel, sample) in enumerate(zip(panels, samples)):
            pygame.draw.rect(screen, (236, 230, 214), panel, border_radius=6)
            pygame.draw.rect(screen, ACCENT if i == state.active else (70, 76, 92), panel, 3, border_radius=6)
            if sample is not None:
                self._river(screen, sample.path.points, panel, scale)
            for row, line in enumerate(state.side_lines(i)):
                self.w.text(screen, line, (panel.x + 4, panel.bottom + 10 + 24 * row), TEXT if row else ACCENT)
        if scale:
            self._scale_bar(screen, panels[0], scale)
        self.w.hints(screen, rivers_lab.HINTS)
        self.w.busy(screen, busy, seconds)
        self.w.seed_box(screen, state.entry)

    def _scale(self, paths: list[np.ndarray], panel: pygame.Rect) -> float:
        """Pixels per world unit that fits every path in a panel: one scale for both sides."""
        fits = []
        for points in paths:
            extent = points.max(axis=0) - points.min(axis=0)  # (2,)
            fits.append(min((panel.w - 40) / max(extent[0], 1e-9), (panel.h - 40) / max(extent[1], 1e-9)))
        return min(fits) if fits else 0.0

    def _river(self, screen: pygame.Surface, points: np.ndarray, panel: pygame.Rect, scale: float) -> None:
        middle = (points.max(axis=0) + points.min(axis=0)) / 2
        xy = (points - middle) * scale * np.array([1.0, -1.0]) + np.array(panel.center)  # y up in the world
        pixels = [tuple(p) for p in xy.tolist()]
        pygame.draw.lines(screen, (48, 104, 180), False, pixels, 4)
        pygame.draw.circle(screen, (60, 150, 70), pixels[0], 6)  # the source
        pygame.draw.circle(screen, (22, 54, 110), pixels[-1], 6)  # the mouth

    def _scale_bar(self, screen: pygame.Surface, panel: pygame.Rect, scale: float) -> None:
        units = 10 ** math.floor(math.log10(max(panel.w / 4 / scale, 1e-9)))  # a round length ~ a quarter panel
        length = units * scale
        x, y = panel.x + 14, panel.bottom - 16
        pygame.draw.line(screen, (40, 40, 40), (x, y), (x + length, y), 3)
        self.w.text(screen, f"{units:g} units (km for learned rivers): both panels share this scale",
                    (x, y - 20), (60, 60, 60), self.w.small)


class GalleryView:
    """A grid of thumbnails, or one picture large."""

    def __init__(self, widgets: Widgets) -> None:
        self.w = widgets
        self._surfaces: dict[tuple, pygame.Surface] = {}

    def _surface(self, key: tuple, rgb: np.ndarray) -> pygame.Surface:
        if key not in self._surfaces:
            if len(self._surfaces) > 4 * gallery.PER_PAGE:
                self._surfaces.clear()
            self._surfaces[key] = _surface(rgb)
        return self._surfaces[key]

    def draw(self, screen: pygame.Surface, state: gallery.GalleryState, busy: str, seconds: float) -> None:
        screen.fill(BACKGROUND)
        self.w.panel(screen, state.hud_lines(), (12, 8))
        if state.opened:
            self._large(screen, state)
        else:
            self._grid(screen, state, seconds)
        self.w.hints(screen, gallery.HINTS)
        self.w.busy(screen, busy, seconds)
        self.w.seed_box(screen, state.entry)

    def _grid(self, screen: pygame.Surface, state: gallery.GalleryState, seconds: float) -> None:
        for cell in range(gallery.PER_PAGE):
            x, y, w, h = gallery.cell_rect(cell, screen.get_size())
            picture, key = state.picture(cell), state.key(cell)
            pygame.draw.rect(screen, (36, 40, 52), (x, y, w, h))
            if picture is not None:
                thumb = self._surface(("thumb", *key), picture.thumb)
                screen.blit(thumb, (x + (w - thumb.get_width()) // 2, y + (h - thumb.get_height()) // 2))
            elif key in state.failed:
                self.w.text(screen, "failed", (x + 8, y + h // 2 - 8), (255, 120, 110))
            else:
                start = (seconds * 6.0 + cell) % (2 * math.pi)
                pygame.draw.arc(screen, DIM, (x + w // 2 - 14, y + h // 2 - 14, 28, 28), start, start + 4.2, 3)
            if cell == state.selected:
                pygame.draw.rect(screen, ACCENT, (x - 3, y - 3, w + 6, h + 6), 3)
            self.w.text(screen, f"seed {state.seed_at(cell)}", (x, y + h + 3), DIM, self.w.small)

    def _large(self, screen: pygame.Surface, state: gallery.GalleryState) -> None:
        picture = state.picture(state.selected)
        title = f"{state.generator}, seed {state.seed_at(state.selected)}   (E export, Esc or click: back)"
        self.w.text(screen, title, (16, 50), ACCENT)
        if picture is None:
            self.w.text(screen, "drawing...", (screen.get_width() // 2 - 40, screen.get_height() // 2))
            return
        large = self._surface(("large", *state.key(state.selected)), picture.large)
        screen.blit(large, ((screen.get_width() - large.get_width()) // 2, 80))
