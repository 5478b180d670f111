"""Terrain-guided rivers: any river generator laid on a level's terrain, flowing downhill.

A river generator draws shapes in empty space; a level needs one that rises at a source
high up and runs down to the sea, a lake or the map edge. ``guided_river`` gives every
river generator (hand-written or learned) that mode without touching the model:

1. Fill the terrain's depressions (priority flood, ``downhill.drainage``): on the filled
   surface every cell has a path to an outlet that never climbs.
2. Walk from a high source, STEP_CELLS cells per model step, searching depth first for a
   walk whose every step crosses only cells no higher than the one before, to the sea, a
   lake's outlet or the map edge. The turns tried come from the model:
   - a generator with ``turn_process()`` (coin flip, meander, GRU) draws PROPOSALS turns
     from its own conditional law given the walk so far; the first that descends is kept,
     so the river is the model's density restricted to descending turns;
   - any other generator offers the turns of CANDIDATES rivers it drew; the walk follows
     one and, where its turn would climb, switches to the one whose recent turns match its
     own.
3. Dead ends back up (further each time); a source that leads nowhere within BUDGET tried
   steps gives way to another; only if SOURCES sources fail does the deepest walk finish
   down the drainage links (the steepest way down).

So no step goes uphill (``uphill_steps`` is 0 by construction), and every turn but the
rare drainage steps is one the model drew at that point of a river: the shape stays the
model's (``benchmarks/bench_guided_rivers.py`` measures both).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from procgen.content import RiverPath
from procgen.generators.handwritten.downhill import drainage, pick_source
from procgen.seeding import child, make_rng

__all__ = ["GuidedRiver", "guided_river", "long_enough", "uphill_steps"]

CANDIDATES = 32  # model rivers drawn per guided river
HISTORY = 4  # recent turns compared when the walk switches candidate
PROPOSALS = 16  # turns a sequential model proposes per step
BUDGET = 400  # tried steps per source before the search gives up on it
SOURCES = 16  # sources tried before the best walk finishes down the drainage links
SAMPLES_PER_STEP = 3  # points checked along each step: enough for an unbroken 8-connected line
STEP_CELLS = 3.0  # cells per model step: one step spans a few cells, as a 2 km step spans a few source vertices


@dataclass(frozen=True)
class GuidedRiver:
    """A river laid on a terrain grid."""

    cells: np.ndarray  # (K, 2) int64 (row, col), source first, each cell once in a row
    points: np.ndarray  # (S + 1, 2) float64 the walk's positions (x = col, y = -row), one per step
    model_steps: int  # steps that took a turn the model drew
    drainage_steps: int  # steps that followed the drainage links instead

    def path(self, step_length: float) -> RiverPath:
        """The walk as a RiverPath with steps of ``step_length`` (the model's own units)."""
        return RiverPath((self.points - self.points[0]) * (step_length / STEP_CELLS))


def uphill_steps(cells: np.ndarray, filled: np.ndarray) -> int:
    """How many moves from one cell of ``cells`` (K, 2) to the next climb the ``filled`` surface."""
    levels = filled[cells[:, 0], cells[:, 1]]  # (K,)
    return int((np.diff(levels) > 0).sum())


def model_turns(generator: Any, stream: np.random.SeedSequence, candidates: int) -> np.ndarray:
    """(candidates, T) turning angles of rivers the generator draws from named child streams."""
    paths = generator._generate_batch([child(stream, f"candidate-{k}") for k in range(candidates)])
    turns = []
    for path in paths:
        steps = np.diff(path.points, axis=0)  # (T + 1, 2)
        heading = np.arctan2(steps[:, 1], steps[:, 0])
        turns.append(np.mod(np.diff(heading) + np.pi, 2 * np.pi) - np.pi)  # (T,)
    length = min(len(t) for t in turns)
    return np.stack([t[:length] for t in turns])


def guided_river(generator: Any, height: np.ndarray, outlet: np.ndarray, stream: np.random.SeedSequence, *,
                 candidates: int = CANDIDATES, source_quantile: float = 0.8,
                 drained: tuple[np.ndarray, np.ndarray] | None = None) -> GuidedRiver:
    """``generator``'s river on ``height`` (H, W) from a high source to an ``outlet`` cell or the edge.

    ``drained`` is ``drainage(height, outlet)`` when the caller has it already (several rivers
    on one map). Every random draw comes from ``stream``'s named children.
    """
    filled, parent = drainage(height, outlet) if drained is None else drained
    rng = make_rng(child(stream, "source"))
    grid = _Grid(filled, parent, outlet)
    length = int(2 * max(height.shape) / STEP_CELLS)  # turns for a walk twice across the map
    if hasattr(generator, "turn_process"):
        proposals: _Proposals = _Sequential(generator.turn_process(), make_rng(child(stream, "turns")), length)
    else:
        proposals = _Candidates(model_turns(long_enough(generator, length), stream, candidates))  # (C, T)
    # A source from which no walk of the model's turns descends all the way (a valley too
    # tight for its turning) gives way to the next; if none does, the deepest walk is kept.
    deepest: tuple[tuple[int, int], list[_Step]] | None = None
    for _ in range(SOURCES):
        source = divmod(pick_source(height, rng, source_quantile), height.shape[1])
        steps, complete = _search(grid, _start(grid, source), proposals)
        if complete:
            break
        if deepest is None or len(steps) > len(deepest[1]):
            deepest = (source, steps)
    else:
        assert deepest is not None  # SOURCES >= 1
        source, steps = deepest
    cells = [source] + [cell for step in steps for cell in step.crossed]
    points = [(float(source[1]), -float(source[0]))] + [(step.x, step.y) for step in steps]
    model_steps, drainage_steps = len(steps), 0
    while not grid.ends(cells[-1]):  # the search gave up: finish down the drainage links
        cells.append(grid.down(cells[-1]))
        points.append((float(cells[-1][1]), -float(cells[-1][0])))
        drainage_steps += 1
    return GuidedRiver(np.array(cells, dtype=np.int64), np.array(points), model_steps, drainage_steps)


def long_enough(generator: Any, length: int) -> Any:
    """The generator drawing rivers of at least ``length`` steps where it has a ``steps`` option."""
    steps = generator.config.to_dict().get("steps")
    return generator.with_params(steps=length) if isinstance(steps, int) and steps < length else generator


@dataclass(frozen=True)
class _Step:
    """One step of the walk: where it ends, its heading, the cells it crossed, whose turn it took."""

    x: float
    y: float
    heading: float
    crossed: tuple[tuple[int, int], ...]
    candidate: int


class _Grid:
    """The filled terrain and its drainage links, with the moves the walk may make on them."""

    def __init__(self, filled: np.ndarray, parent: np.ndarray, outlet: np.ndarray) -> None:
        self.filled, self.parent, self.outlet = filled, parent, outlet
        self.rows, self.cols = filled.shape

    def ends(self, cell: tuple[int, int]) -> bool:
        """The sea, a lake outlet or the map border: where a river stops."""
        return bool(self.outlet[cell]) or self.parent[cell[0] * self.cols + cell[1]] < 0

    def down(self, cell: tuple[int, int]) -> tuple[int, int]:
        """The cell ``cell`` drains to (never higher on the filled surface)."""
        return divmod(int(self.parent[cell[0] * self.cols + cell[1]]), self.cols)

    def move(self, at: _Step, cell: tuple[int, int], heading: float, candidate: int) -> _Step | None:
        """The unit step from ``at`` (standing in ``cell``) along ``heading``, or None if it climbs."""
        dx, dy = STEP_CELLS * math.cos(heading), STEP_CELLS * math.sin(heading)
        level = self.filled[cell]
        crossed: list[tuple[int, int]] = []
        for s in range(1, SAMPLES_PER_STEP + 1):
            f = s / SAMPLES_PER_STEP
            nxt = (int(math.floor(-(at.y + f * dy) + 0.5)), int(math.floor(at.x + f * dx + 0.5)))
            if not (0 <= nxt[0] < self.rows and 0 <= nxt[1] < self.cols):
                break  # off the map: the cells so far reach the border, where the river ends
            if nxt == (crossed[-1] if crossed else cell):
                continue
            if self.filled[nxt] > level:
                return None
            level = self.filled[nxt]
            crossed.append(nxt)
        return _Step(at.x + dx, at.y + dy, heading, tuple(crossed), candidate)


def _start(grid: _Grid, source: tuple[int, int]) -> _Step:
    """The walk before its first step: at the source, heading down its drainage link."""
    heading = 0.0
    if not grid.ends(source):
        down = grid.down(source)
        heading = math.atan2(-(down[0] - source[0]), down[1] - source[1])
    return _Step(float(source[1]), -float(source[0]), heading, (), 0)


def _search(grid: _Grid, start: _Step, proposals: "_Proposals") -> tuple[list[_Step], bool]:
    """Steps from ``start`` to where the river ends, each a turn the model proposed, none
    climbing, and whether they reach the end.

    Depth first over the proposals at each step, backing up from dead ends (further each
    time, until the walk gets deeper than before); on running out of budget or of turns it
    returns the deepest walk it found, for the caller to finish down the drainage links.
    """
    source = (int(round(-start.y)), int(round(start.x)))
    if grid.ends(source):
        return [], False
    walk: list[_Step] = []
    states = [proposals.start()]
    options = [proposals.options(states[0], 0)]
    best: list[_Step] = []
    budget, jump = BUDGET, 1
    while options and budget > 0:
        at = walk[-1] if walk else start
        cell = _cell_of(walk, source)
        if not options[-1]:
            # A dead end: back up, twice as far as last time while dead ends follow each
            # other (a trap many steps deep is left quickly, not searched turn by turn).
            if len(options) == 1 and not proposals.renewable:
                break  # every turn from the source climbs
            for _ in range(min(jump, len(options) - 1)):
                options.pop()
                states.pop()
                walk.pop()
            jump *= 2
            if not options[-1]:  # a model that draws again: fresh turns from where the walk now is
                options[-1] = proposals.options(states[-1], len(walk)) if proposals.renewable else []
            continue
        turn, label = options[-1].pop(0)
        budget -= 1
        step = grid.move(at, cell, at.heading + turn, label)
        if step is None:
            continue
        walk.append(step)
        if len(walk) > len(best):
            best, jump = list(walk), 1
        end = step.crossed[-1] if step.crossed else cell
        if grid.ends(end) or _left_map(grid, step):
            return walk, True
        if len(walk) == proposals.length:
            return walk, False  # out of turns: the caller drains from here
        states.append(proposals.advance(states[-1], turn, label))
        options.append(proposals.options(states[-1], len(walk)))
    return best, False


class _Proposals:
    """Turns to try at each step of the search, from the model."""

    length: int  # most steps a walk may take
    renewable = False  # True when asking again gives new turns

    def start(self) -> Any:
        raise NotImplementedError

    def options(self, state: Any, t: int) -> list[tuple[float, int]]:
        """(turn, label) pairs to try in order at step ``t`` from ``state``."""
        raise NotImplementedError

    def advance(self, state: Any, turn: float, label: int) -> Any:
        raise NotImplementedError


class _Sequential(_Proposals):
    """A model that draws turns one at a time (``turn_process``): at each step PROPOSALS draws
    from its own conditional density given the walk so far, tried in the order drawn. The
    first that descends is then a draw from that density restricted to descending turns:
    the model's density reweighted by the descent, as exact as rejection sampling."""

    renewable = True

    def __init__(self, process: Any, rng: np.random.Generator, length: int) -> None:
        self.process, self.rng, self.length = process, rng, length

    def start(self) -> Any:
        return self.process.start()

    def options(self, state: Any, t: int) -> list[tuple[float, int]]:
        drawn = self.process.draw(state, self.rng, PROPOSALS)
        return [(float(v), 0) for v in dict.fromkeys(drawn.tolist())]

    def advance(self, state: Any, turn: float, label: int) -> Any:
        return self.process.advance(state, turn)


class _Candidates(_Proposals):
    """Any other generator: the turns of ``candidates`` whole rivers it drew (C, T). The walk
    follows one; where its turn climbs it switches to the candidate whose recent turns are
    closest to the walk's own, so a sequence model's turns stay plausible."""

    def __init__(self, turns: np.ndarray) -> None:
        self.turns, self.length = turns, turns.shape[1]

    def start(self) -> Any:
        return (0, ())

    def options(self, state: Any, t: int) -> list[tuple[float, int]]:
        current, history = state
        order: Any = range(self.turns.shape[0])
        if history:
            m = len(history)
            weights = 0.5 ** np.arange(m)[::-1]  # (m,) the last turn counts most
            gaps = ((self.turns[:, t - m:t] - np.array(history)) ** 2) * weights  # (C, m)
            order = np.argsort(gaps.sum(axis=1), kind="stable").tolist()
        seen = {float(self.turns[current, t])}
        chosen = [(float(self.turns[current, t]), current)]
        for k in order:
            value = float(self.turns[k, t])
            if value not in seen:
                seen.add(value)
                chosen.append((value, k))
        return chosen

    def advance(self, state: Any, turn: float, label: int) -> Any:
        return (label, (state[1] + (turn,))[-HISTORY:])


def _cell_of(walk: list[_Step], source: tuple[int, int]) -> tuple[int, int]:
    """The cell the walk stands in: the last cell any step crossed, else the source."""
    for step in reversed(walk):
        if step.crossed:
            return step.crossed[-1]
    return source


def _left_map(grid: _Grid, step: _Step) -> bool:
    row, col = int(math.floor(-step.y + 0.5)), int(math.floor(step.x + 0.5))
    return not (0 <= row < grid.rows and 0 <= col < grid.cols)
