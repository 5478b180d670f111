"""river/coinflip: the seeds' river program, written by hand.

"Walk an increment forward, flip a coin to decide whether to turn left or right,
repeat." Segment k has heading h0 + sum of the first k turns; each turn is
+turn_angle (left, with probability p_left) or -turn_angle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from procgen.content import RiverPath
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.registry import register
from procgen.seeding import make_rng


@dataclass(frozen=True, kw_only=True)
class CoinFlipConfig(GeneratorConfig):
    steps: int = param(256, "number of forward increments (the path has steps + 1 points)", ge=1, le=1_000_000)
    step_length: float = param(1.0, "length of each increment, in world units", gt=0.0)
    turn_angle: float = param(15.0, "degrees turned left or right after each increment", ge=0.0, le=180.0)
    p_left: float = param(0.5, "probability that the coin says 'turn left'", ge=0.0, le=1.0)
    heading: float = param(90.0, "starting direction in degrees (0 = east, 90 = north)", ge=-360.0, le=360.0)


def walk(turns: np.ndarray, *, step_length: float, heading: float) -> np.ndarray:
    """Points (..., n + 2, 2) of a walk whose n turns (..., n) are in radians."""
    start = np.full(turns.shape[:-1] + (1,), np.deg2rad(heading))
    headings = np.concatenate([start, start + np.cumsum(turns, axis=-1)], axis=-1)  # (..., n + 1)
    steps = step_length * np.stack([np.cos(headings), np.sin(headings)], axis=-1)  # (..., n + 1, 2)
    origin = np.zeros(turns.shape[:-1] + (1, 2))
    return np.concatenate([origin, np.cumsum(steps, axis=-2)], axis=-2)


@register
class CoinFlipRiver(Generator[RiverPath]):
    name = "river/coinflip"
    description = "the seeds' river: step forward, flip a coin to turn left or right, repeat"
    content_type = RiverPath
    Config = CoinFlipConfig
    config: CoinFlipConfig

    def _turns(self, stream: np.random.SeedSequence) -> np.ndarray:
        # One coin per bend between consecutive increments: steps - 1 flips.
        left = make_rng(stream).random(self.config.steps - 1) < self.config.p_left
        return np.where(left, 1.0, -1.0) * np.deg2rad(self.config.turn_angle)

    def _generate(self, stream: np.random.SeedSequence) -> RiverPath:
        return RiverPath(walk(self._turns(stream), step_length=self.config.step_length, heading=self.config.heading))

    def _generate_batch(self, streams: list[np.random.SeedSequence]) -> list[RiverPath]:
        if not streams:
            return []
        turns = np.stack([self._turns(s) for s in streams])  # (B, steps - 1)
        paths = walk(turns, step_length=self.config.step_length, heading=self.config.heading)
        return [RiverPath(p) for p in paths]
