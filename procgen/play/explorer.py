"""Explorer: walk a ``level/overworld`` from spawn to goal; the goal loads the next seed.

Pure game state and rules (no pygame): the app feeds it actions and held keys, runs the
jobs it asks for on the worker thread, and delivers the results back by key.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Callable, Iterable, Sequence

import numpy as np

import procgen
from procgen.content import TileMap
from procgen.play.controls import SeedEntry, describe, next_seed, random_seed
from procgen.play.motion import Camera, move, nearest_open
from procgen.play.worker import Done, Job

SPEED = 7.5  # tiles per second: 7.5 / 60 = 0.125 exactly, so 8 frames at 60 fps cross one tile
RUN = 2.0  # Shift doubles the speed on big maps
DIRECTIONS = {"up": (0, -1), "down": (0, 1), "left": (-1, 0), "right": (1, 0)}
HELD = frozenset({*DIRECTIONS, "run"})
# pygame key names -> actions. S walks down (WASD), so the seed box opens with Enter.
KEYS = {"up": "up", "w": "up", "down": "down", "s": "down", "left": "left", "a": "left",
        "right": "right", "d": "right", "left shift": "run", "right shift": "run",
        "n": "new-seed", "tab": "next-river", "return": "type-seed", "enter": "type-seed",
        "f12": "screenshot", "escape": "quit"}
LETTERS = {"U": "up", "D": "down", "L": "left", "R": "right", "N": "new-seed", "T": "next-river",
           "S": "type-seed", "F": "screenshot", "Q": "quit"}
HINTS = "arrows/WASD walk  Shift run  N new seed  Enter type seed  Tab river  F12 screenshot  Esc quit"

LevelMaker = Callable[[str, int], TileMap]


def river_generators() -> list[str]:
    """Every registered river generator, hand-written first: what Tab cycles through."""
    return [name for kind in ("hand-written", "learned") for name in procgen.available(kind)
            if procgen.info(name).content == "RiverPath"]


class Overworlds:
    """``level/overworld`` generators by river name, built on first use in the worker
    (a learned river loads its weights then, off the main loop)."""

    def __init__(self, size: int, built: dict[str, procgen.Generator] | None = None) -> None:
        self.size = size
        self._built = dict(built or {})

    def generator(self, river: str) -> procgen.Generator:
        if river not in self._built:
            self._built[river] = procgen.get("level/overworld", width=self.size, height=self.size, river=river)
        return self._built[river]

    def __call__(self, river: str, seed: int) -> TileMap:
        return self.generator(river).generate(seed)


class ExplorerState:
    """Player, camera, current level and the seed/river it came from."""

    def __init__(self, seed: int, rivers: Sequence[str], *, size: int = 256, river_index: int = 0,
                 label: str = "", make_level: LevelMaker | None = None) -> None:
        self.rivers = tuple(rivers)
        self.size = size
        self.seed, self.label, self.river_index = seed, label, river_index
        self.level: TileMap | None = None
        self.walkable = np.zeros((1, 1), dtype=bool)
        self.x = self.y = 0.5
        self.camera = Camera()
        self.view = (80.0, 45.0)  # tiles on screen (w, h); the renderer sets it
        self.entry = SeedEntry()
        self.message = ""
        self.goals = 0
        self.done = False
        self.arrived = False
        self._make_level = make_level or Overworlds(size)
        self._jobs: list[Job] = []
        self._target = (seed, river_index, label)
        self._wanted: tuple | None = None
        self._keep_place = False  # the wanted level keeps the player where they stand (Tab)
        self.request(seed, river_index, label)

    @property
    def river(self) -> str:
        return self.rivers[self.river_index]

    @property
    def generating(self) -> bool:
        return self._wanted is not None

    def request(self, seed: int, river_index: int, label: str = "", *, keep_place: bool = False) -> None:
        """Ask for the level of ``seed`` with river generator ``river_index``; it loads on delivery.
        ``keep_place``: the player stays where they stand instead of going to the spawn."""
        river = self.rivers[river_index]
        self._target = (seed, river_index, label)
        self._wanted = ("level", seed, river_index, label)
        self._keep_place = keep_place
        self._jobs.append(Job("level", self._wanted, partial(self._make_level, river, seed),
                              label=f"generating seed {label or seed} with {river}"))

    def jobs(self) -> list[Job]:
        """New work for the worker since the last call."""
        jobs, self._jobs = self._jobs, []
        return jobs

    def deliver(self, done: Done) -> None:
        if done.key != self._wanted:
            return  # a level nobody wants any more (the player asked for another meanwhile)
        self._wanted = None
        if done.error is not None:
            self.message = describe(done.error)
            return
        _, seed, river_index, label = done.key
        # Only the same world with other rivers keeps the player's place; a new seed meanwhile
        # (N, Enter, the goal) is a new map where the old position means nothing.
        keep = self._keep_place and seed == self.seed
        self.load(done.value, seed, river_index, label, keep_place=keep)

    def load(self, level: TileMap, seed: int, river_index: int, label: str = "", *,
             keep_place: bool = False) -> None:
        """Show ``level``: the player stands on its spawn and the camera jumps there; with
        ``keep_place`` they stay put (moved to the nearest open tile if a river now runs there)."""
        same_shape = self.level is not None and self.level.shape == level.shape
        self.level, self.walkable = level, level.walkable_mask()
        self.seed, self.river_index, self.label = seed, river_index, label
        self.arrived = False
        if keep_place and same_shape:
            self.x, self.y = nearest_open(self.walkable, self.x, self.y)
            return
        row, col = level.spawn if level.spawn is not None else (0, 0)
        self.x, self.y = col + 0.5, row + 0.5
        self.camera.snap(self.x, self.y)

    def handle(self, action: str) -> None:
        """A pressed (not held) action."""
        if action.startswith("entry-"):
            self._entry_action(action)
        elif action == "new-seed":
            self.request(random_seed(), self._target[1])
        elif action == "next-river":
            seed, river_index, label = self._target
            self.request(seed, (river_index + 1) % len(self.rivers), label, keep_place=True)
        elif action == "type-seed":
            self.entry.open()
        elif action == "quit":
            self.done = True

    def _entry_action(self, action: str) -> None:
        chosen = self.entry.handle(action)
        if chosen is not None:
            self.request(chosen[0], self._target[1], chosen[1])

    def type_text(self, text: str) -> None:
        if self.entry.active:
            self.entry.type(text)

    def update(self, dt: float, held: Iterable[str]) -> None:
        """Advance ``dt`` seconds with ``held`` actions down: walk, collide, follow, check the goal."""
        held = frozenset(held)
        if self.level is not None and not self.entry.active:
            self._walk(dt, held)
            self._check_goal()
        self.camera.follow(self.x, self.y, dt)

    def _walk(self, dt: float, held: frozenset[str]) -> None:
        dx = sum(DIRECTIONS[d][0] for d in DIRECTIONS if d in held)
        dy = sum(DIRECTIONS[d][1] for d in DIRECTIONS if d in held)
        if not dx and not dy:
            return
        norm = math.hypot(dx, dy)  # diagonals are no faster than straight lines
        distance = SPEED * (RUN if "run" in held else 1.0) * dt / norm
        self.x, self.y = move(self.walkable, self.x, self.y, dx * distance, dy * distance)

    @property
    def cell(self) -> tuple[int, int]:
        """(row, col) of the tile under the player's centre."""
        return math.floor(self.y), math.floor(self.x)

    def _check_goal(self) -> None:
        if self.arrived or self.level is None or self.cell != self.level.goal:
            return
        self.arrived = True
        self.goals += 1
        following = next_seed(self.seed)
        self.message = f"goal reached! on to seed {following}"
        self.request(following, self.river_index)

    def hud_lines(self) -> list[str]:
        seed = f"seed {self.seed}" + (f" ('{self.label}')" if self.label and self.label != str(self.seed) else "")
        lines = [seed, f"level/overworld {self.size}x{self.size}, rivers: {self.river}",
                 f"goals reached: {self.goals}"]
        if self.level is not None:
            row, col = self.cell
            lines.append(f"you ({row}, {col})  goal {self.level.goal}")
        if self.message:
            lines.append(self.message)
        return lines
