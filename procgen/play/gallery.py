"""Gallery: thumbnails of any generator over consecutive seeds; open one large; export it.

Pure state (no pygame): the grid layout, the selection, which thumbnails the worker
must draw, and exports (written by the worker, atomically, through ``Content.save``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw

import procgen
from procgen.content import TileMap
from procgen.content.markers import OUTLINE, draw_markers
from procgen.play.controls import SeedEntry, describe, next_seed
from procgen.play.worker import Done, Job

COLUMNS, ROWS = 6, 3
PER_PAGE = COLUMNS * ROWS
THUMB = 176  # pixels per thumbnail side: three rows fit 720 with captions and hints
BIG = (1200, 600)  # the opened picture fits in this box
TOP, GAP = 56, 12  # grid layout on screen: header height, gap between cells
KEYS = {"left": "left", "right": "right", "up": "up", "down": "down", "return": "open", "enter": "open",
        "escape": "back", "tab": "next-generator", "page down": "next-page", "page up": "prev-page",
        "n": "next-page", "p": "prev-page", "e": "export", "s": "type-seed", "f12": "screenshot", "q": "quit"}
LETTERS = {"U": "up", "D": "down", "L": "left", "R": "right", "O": "open", "B": "back", "T": "next-generator",
           "N": "next-page", "P": "prev-page", "E": "export", "S": "type-seed", "F": "screenshot", "Q": "quit"}
HELD: frozenset[str] = frozenset()
HINTS = ("click/Enter open  Esc back  arrows select  N/P page  Tab generator  S type seed  E export  "
         "F12 screenshot  Q quit")
MOVES = {"left": -1, "right": 1, "up": -COLUMNS, "down": COLUMNS}


@dataclass(frozen=True)
class Picture:
    """One seed's content with its thumbnail and large view as RGB arrays (H, W, 3) uint8."""

    content: Any
    thumb: np.ndarray
    large: np.ndarray


def _fit(image: Image.Image, box: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    return np.asarray(_fitted(image, box, resample))


def _fitted(image: Image.Image, box: tuple[int, int], resample: Image.Resampling) -> Image.Image:
    scale = min(box[0] / image.width, box[1] / image.height)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, resample)


def level_picture(level: TileMap, box: tuple[int, int]) -> np.ndarray:
    """``level`` fitted into ``box`` with its spawn ring and goal flag drawn after fitting, at
    the picture's own scale: shrunk with the tiles, one-tile markers would blur away."""
    tiles = level.to_image(1, markers=False)
    shrink = tiles.width > box[0] or tiles.height > box[1]
    fitted = _fitted(tiles, box, Image.Resampling.BOX if shrink else Image.Resampling.NEAREST)
    colors = (*level.marker_colors(), OUTLINE)
    draw_markers(ImageDraw.Draw(fitted), level.spawn, level.goal, fitted.width / level.shape[1], colors, fitted.size)
    return np.asarray(fitted)


class Pictures:
    """Generators by name (worker thread only) and the pictures they make."""

    def __init__(self, built: dict[str, procgen.Generator] | None = None) -> None:
        self._built = dict(built or {})

    def generator(self, name: str) -> procgen.Generator:
        if name not in self._built:
            self._built[name] = procgen.get(name)
        return self._built[name]

    def __call__(self, name: str, seed: int) -> Picture:
        content = self.generator(name).generate(seed)
        if isinstance(content, TileMap):
            return Picture(content, level_picture(content, (THUMB, THUMB)), level_picture(content, BIG))
        image = content.to_image().convert("RGB")
        # Tiles stay crisp when enlarged; anything shrunk is averaged.
        big = _fit(image, BIG, Image.Resampling.NEAREST if image.width < BIG[1] else Image.Resampling.LANCZOS)
        return Picture(content, _fit(image, (THUMB, THUMB), Image.Resampling.BOX), big)


def export_name(generator: str, seed: int) -> str:
    """File name of an export: ``level-overworld-7.png``."""
    stem = generator.replace("/", "-") if generator in procgen.available() else Path(generator).name
    return f"{stem}-{seed}.png"


def cell_rect(index: int, screen: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x, y, w, h) of grid cell ``index`` on a ``screen`` (w, h): the grid is centred."""
    width = COLUMNS * THUMB + (COLUMNS - 1) * GAP
    left = (screen[0] - width) // 2
    row, col = divmod(index, COLUMNS)
    return left + col * (THUMB + GAP), TOP + row * (THUMB + GAP + 18), THUMB, THUMB


def cell_at(pos: tuple[int, int], screen: tuple[int, int]) -> int | None:
    """The grid cell under a click at ``pos``, or None."""
    for index in range(PER_PAGE):
        x, y, w, h = cell_rect(index, screen)
        if x <= pos[0] < x + w and y <= pos[1] < y + h:
            return index
    return None


class GalleryState:
    """Which generator and page are shown, the selection, and the pictures drawn so far."""

    def __init__(self, start: int, generators: Sequence[str], *, index: int = 0, out_dir: str | Path = ".",
                 make: Callable[[str, int], Picture] | None = None, label: str = "") -> None:
        self.start, self.label = start, label
        self.generators = list(generators)
        self.index = index
        self.out_dir = Path(out_dir)
        self.selected = 0
        self.opened = False
        self.entry = SeedEntry()
        self.message = ""
        self.done = False
        self.pictures: dict[tuple, Picture] = {}
        self.failed: dict[tuple, str] = {}
        self._make = make or Pictures()
        self._jobs: list[Job] = []
        self.refresh()

    @property
    def generator(self) -> str:
        return self.generators[self.index]

    def seed_at(self, cell: int) -> int:
        return next_seed(self.start, cell)

    def key(self, cell: int) -> tuple:
        return ("picture", self.generator, self.seed_at(cell))

    def picture(self, cell: int) -> Picture | None:
        return self.pictures.get(self.key(cell))

    @property
    def generating(self) -> bool:
        return any(self.picture(i) is None and self.key(i) not in self.failed for i in range(PER_PAGE))

    def refresh(self) -> None:
        """Ask for this page's missing pictures (each cell is a worker slot: a page turn
        replaces the queued pictures of the page left behind)."""
        for cell in range(PER_PAGE):
            key = self.key(cell)
            if key not in self.pictures and key not in self.failed:
                self._jobs.append(Job(f"cell-{cell}", key, partial(self._make, self.generator, self.seed_at(cell)),
                                      label=f"drawing {self.generator} seeds {self.start}..."))

    def jobs(self) -> list[Job]:
        jobs, self._jobs = self._jobs, []
        return jobs

    def deliver(self, done: Done) -> None:
        if done.key[0] == "export":
            self.message = describe(done.error) if done.error else f"exported {done.value}"
        elif done.error is not None:
            self.failed[done.key] = describe(done.error)
            self.message = self.failed[done.key]
        else:
            self.pictures[done.key] = done.value
        if len(self.pictures) > 3 * PER_PAGE:  # long browsing: forget the oldest pages, keep this one
            page = {self.key(cell) for cell in range(PER_PAGE)}
            for key in [k for k in self.pictures if k not in page][:PER_PAGE]:
                del self.pictures[key]

    def handle(self, action: str) -> None:
        if action.startswith("entry-"):
            self._entry_action(action)
        elif action in MOVES and not self.opened:
            self.selected = min(max(self.selected + MOVES[action], 0), PER_PAGE - 1)
        elif action == "open":
            self.opened = True
        elif action == "back":
            self.done = self.done or not self.opened  # Esc closes the large view, then quits
            self.opened = False
        elif action in ("next-page", "prev-page"):
            self._turn(PER_PAGE if action == "next-page" else -PER_PAGE)
        elif action == "next-generator":
            self.index = (self.index + 1) % len(self.generators)
            self.message = ""
            self.refresh()
        elif action == "export":
            self._export()
        elif action == "type-seed":
            self.entry.open()
        elif action == "quit":
            self.done = True

    def click(self, cell: int | None) -> None:
        """A click on grid cell ``cell`` opens it; a click anywhere on the large view closes it."""
        if self.opened:
            self.opened = False
        elif cell is not None:
            self.selected, self.opened = cell, True

    def _turn(self, step: int) -> None:
        self.start, self.label = next_seed(self.start, step), ""
        self.refresh()

    def _export(self) -> None:
        picture = self.picture(self.selected)
        if picture is None:
            self.message = "wait for the picture to be drawn, then export it"
            return
        path = self.out_dir / export_name(self.generator, self.seed_at(self.selected))
        self._jobs.append(Job("export", ("export", str(path)), lambda: picture.content.save(path),
                              label=f"writing {path}"))

    def _entry_action(self, action: str) -> None:
        chosen = self.entry.handle(action)
        if chosen is not None:
            self.start, self.label = chosen
            self.refresh()

    def type_text(self, text: str) -> None:
        if self.entry.active:
            self.entry.type(text)

    def update(self, dt: float, held: Any = ()) -> None:
        """Nothing moves on its own; pictures arrive through ``deliver``."""

    def hud_lines(self) -> list[str]:
        seeds = f"seeds {self.start}..{self.seed_at(PER_PAGE - 1)}"
        if self.label and self.label != str(self.start):
            seeds += f" (from '{self.label}')"
        lines = [f"{self.generator}  {seeds}  ({self.index + 1}/{len(self.generators)} generators: Tab)"]
        return lines + ([self.message] if self.message else [])

