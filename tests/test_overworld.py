"""level/overworld and river/downhill: routes, rivers, biomes and limits."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

import procgen
from procgen.errors import ParameterError
from procgen.generators.handwritten.biomes import OVERWORLD_TILES, TILE
from procgen.generators.handwritten.downhill import drainage, trace

REQUIRED = {"deep water", "water", "sand", "grass", "forest", "hill", "mountain", "snow", "river", "bridge", "road"}


def bfs_reaches(level: procgen.TileMap) -> bool:
    """An independent 4-neighbour breadth-first search from spawn to goal."""
    walkable = level.walkable_mask()
    rows, cols = walkable.shape
    seen = np.zeros_like(walkable)
    queue = deque([level.spawn])
    seen[level.spawn] = True
    while queue:
        r, c = queue.popleft()
        if (r, c) == level.goal:
            return True
        for rr, cc in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= rr < rows and 0 <= cc < cols and walkable[rr, cc] and not seen[rr, cc]:
                seen[rr, cc] = True
                queue.append((rr, cc))
    return False


def test_route_from_spawn_to_goal_on_500_seeds() -> None:
    generator = procgen.get("level/overworld", width=40, height=32, rivers=3)
    failures = [seed for seed in range(500) if not bfs_reaches(generator.generate(seed))]
    assert failures == []


@pytest.mark.parametrize("params", [dict(width=16, height=16), dict(width=96, height=64, river="river/downhill"),
                                    dict(width=300, height=200, rivers=1)])
def test_route_at_other_sizes_and_river_generators(params) -> None:
    generator = procgen.get("level/overworld", **params)
    for seed in range(5):
        level = generator.generate(seed)
        assert level.shape == (params["height"], params["width"]) and bfs_reaches(level)


def test_levels_hold_the_biomes_rivers_and_a_distant_goal() -> None:
    level = procgen.get("level/overworld").generate(4)
    assert {t.name for t in level.tileset} == REQUIRED
    present = {OVERWORLD_TILES[i].name for i in np.unique(level.tiles)}
    assert {"water", "sand", "grass", "forest", "mountain", "river", "road"} <= present
    distance = np.hypot(level.spawn[0] - level.goal[0], level.spawn[1] - level.goal[1])
    assert distance > 0.3 * 256


def test_swapping_the_river_generator_keeps_the_terrain() -> None:
    a = procgen.get("level/overworld", width=64, height=64).generate(9).tiles
    b = procgen.get("level/overworld", width=64, height=64, river="river/downhill").generate(9).tiles
    carved = np.isin(a, [TILE["river"], TILE["bridge"], TILE["road"]]) | np.isin(b, [TILE["river"], TILE["bridge"], TILE["road"]])
    assert np.array_equal(a[~carved], b[~carved])
    assert not np.array_equal(a, b)


def test_more_lone_trees_when_asked() -> None:
    few = procgen.get("level/overworld", width=64, height=64, trees=0.0).generate(2).tiles
    many = procgen.get("level/overworld", width=64, height=64, trees=0.3).generate(2).tiles
    assert (many == TILE["forest"]).sum() > (few == TILE["forest"]).sum()


@pytest.mark.parametrize("params,match", [
    (dict(width=2049), "width"), (dict(height=15), "height"), (dict(width=100_000, height=100_000), "width"),
    (dict(rivers=4), "rivers"), (dict(river="river/nope"), "unknown generator"),
    (dict(river="landscape/fbm"), "river generator"), (dict(river=" "), "river"),
])
def test_bad_sizes_and_rivers_fail_before_any_work(params, match) -> None:
    with pytest.raises(ParameterError, match=match):
        procgen.get("level/overworld", **params)


def test_a_trained_river_folder_plugs_into_the_level(tmp_path) -> None:
    folder = procgen.get("river/coinflip", turn_angle=25.0).save(tmp_path / "my-rivers")
    level = procgen.get("level/overworld", width=64, height=64, river=str(folder)).generate(1)
    assert bfs_reaches(level)


def test_downhill_river_never_climbs_and_ends_at_an_outlet() -> None:
    rng = np.random.default_rng(0)
    height = rng.random((40, 50)) * 0.2 + np.linspace(0, 0.8, 50)[None, :]  # slopes down to the west
    filled, parent = drainage(height, height < 0.05)
    assert (filled >= height).all()
    for source in rng.choice(height.size, 30, replace=False):
        path = trace(parent, int(source))
        assert (np.diff(filled.ravel()[path]) <= 0).all()
        r, c = divmod(int(path[-1]), 50)
        assert height[r, c] < 0.05 or r in (0, 39) or c in (0, 49)
        steps = np.abs(np.diff(np.stack(np.divmod(path, 50), axis=1), axis=0))
        assert (steps.max(axis=1) == 1).all()  # 8-connected, no jumps


def test_downhill_generator_rivers_flow_down_its_terrain() -> None:
    generator = procgen.get("river/downhill", size=64)
    for seed in range(5):
        stream = procgen.seeding.seed_sequence(seed, generator.name)
        height = generator.terrain(stream)
        river = generator.generate(seed)
        cells = np.stack([63 - river.points[:, 1], river.points[:, 0]], axis=1).astype(int)
        filled, _ = drainage(height, height < generator.config.sea_level)
        assert (np.diff(filled[cells[:, 0], cells[:, 1]]) <= 1e-12).all()
        assert height[tuple(cells[0])] >= np.quantile(height, generator.config.source_quantile)
