"""Terrain-guided rivers: every river generator, laid in level/overworld, flows downhill to an end."""

from __future__ import annotations

import numpy as np
import pytest

import procgen
from procgen.generators.guided import STEP_CELLS, guided_river, uphill_steps
from procgen.generators.handwritten.downhill import drainage, drainage_reference
from procgen.levels.playability import is_playable

RIVERS = ["river/coinflip", "river/meander", "river/downhill", "river/gru", "river/flow", "river/vae", "river/gan",
          "river/rcurve"]


def _ends_at_an_outlet(cells: np.ndarray, sea: np.ndarray) -> bool:
    row, col = cells[-1]
    return bool(sea[row, col]) or row in (0, sea.shape[0] - 1) or col in (0, sea.shape[1] - 1)


@pytest.mark.parametrize("name", RIVERS)
def test_every_river_generator_flows_downhill_to_the_sea_or_the_edge(name: str) -> None:
    overworld = procgen.get("level/overworld", river=name, width=96, height=96)
    seeds = 40 if name in ("river/coinflip", "river/meander") else 8
    for seed in range(seeds):
        layout = overworld.river_layout(seed)
        filled = layout.filled()
        for cells in layout.rivers:
            assert uphill_steps(cells, filled) == 0, (name, seed)
            assert _ends_at_an_outlet(cells, layout.sea), (name, seed)
            assert (np.abs(np.diff(cells, axis=0)) <= 1).all()  # an unbroken 8-connected line
        assert is_playable(layout.level), (name, seed)  # the road still joins spawn and goal
        assert layout.level == overworld.generate(seed)


def test_a_coin_flip_river_keeps_its_own_turns() -> None:
    # With no drainage step every turn is one the coin gave: +-turn_angle exactly.
    overworld = procgen.get("level/overworld", width=128, height=128)
    coin = overworld.river_generator
    for seed in range(10):
        for walk in overworld.river_layout(seed).walks:
            assert walk.drainage_steps == 0
            turns = np.diff(np.arctan2(*np.diff(walk.points, axis=0).T[::-1]))
            turns = (turns + np.pi) % (2 * np.pi) - np.pi
            full = np.linalg.norm(np.diff(walk.points, axis=0), axis=1)[1:] > STEP_CELLS - 1e-9
            np.testing.assert_allclose(np.abs(turns[full[:len(turns)]]), np.deg2rad(coin.config.turn_angle),
                                       atol=1e-9)


def test_a_river_on_a_plain_runs_straight_off_the_map() -> None:
    # A tilted plane: every step descends eastwards; the walk must reach the east edge.
    height = np.tile(np.linspace(1.0, 0.0, 40), (30, 1))
    sea = np.zeros_like(height, dtype=bool)
    river = guided_river(procgen.get("river/meander"), height, sea, np.random.SeedSequence(3))
    assert river.drainage_steps == 0 and _ends_at_an_outlet(river.cells, sea)
    assert uphill_steps(river.cells, drainage(height, sea)[0]) == 0


def test_the_compiled_priority_flood_is_the_reference() -> None:
    rng = np.random.default_rng(5)
    for size in (9, 33):
        height = np.round(rng.random((size, size + 3)) * 8) / 8  # many ties
        sea = height < 0.2
        filled, parent = drainage(height, sea)
        reference = drainage_reference(height, sea)
        assert np.array_equal(filled, reference[0]) and np.array_equal(parent, reference[1])
