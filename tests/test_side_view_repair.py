"""Side-view repair and pipes: fill a gap, lower a wall, complete a broken pipe."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import procgen.levels.jumps
import procgen.levels.pipes
from procgen.content import Tile, TileMap
from procgen.errors import ContentError, ParameterError
from procgen.evaluate.playability import is_playable, repair
from procgen.levels.pipes import broken_pipes, complete_pipes, pipe_roles

# Tile names are legend tags joined by "/", as build_tileset makes them from VGLC's smb.json.
TILES = (Tile("passable/empty", (0, 0, 0), "-", True), Tile("solid/ground", (1, 1, 1), "X", False),
         Tile("solid/top-left pipe/pipe", (2, 2, 2), "<", False), Tile("solid/top-right pipe/pipe", (3, 3, 3), ">", False),
         Tile("solid/left pipe/pipe", (4, 4, 4), "[", False), Tile("solid/right pipe/pipe", (5, 5, 5), "]", False),
         Tile("solid/breakable", (6, 6, 6), "S", False))
CHARS = {t.char: i for i, t in enumerate(TILES)}
AIR = np.array([t.walkable for t in TILES])


def level(text: str, spawn=None, goal=None) -> TileMap:
    """Rows of SMB characters; spawn and goal default to the bottom-left and -right air cells
    above the ground."""
    rows = text.strip().splitlines()
    grid = np.array([[CHARS[c] for c in row] for row in rows], dtype=np.int32)
    h, w = grid.shape
    return TileMap(grid, TILES, spawn or (h - 2, 0), goal or (h - 2, w - 1))


def show(lv: TileMap) -> str:
    return "\n".join("".join(TILES[i].char for i in row) for row in lv.tiles)


@pytest.mark.parametrize("module", [procgen.levels.pipes, procgen.levels.jumps])
def test_docstring_examples_run(module):
    assert doctest.testmod(module).failed == 0


def test_fill_a_gap_with_the_fewest_ground_columns():
    lv = level("\n".join(["-" * 18] * 6 + ["XXX" + "-" * 12 + "XXX"] * 2), spawn=(5, 1), goal=(5, 16))
    assert not is_playable(lv, view="side-view")
    fixed = repair(lv, view="side-view")
    assert is_playable(fixed, view="side-view")
    # A 12-column gap against a jump that clears 9: three columns of two-deep ground.
    edits = np.argwhere(fixed.tiles != lv.tiles)
    assert len(edits) == 6 and set(edits[:, 0]) == {6, 7}
    assert (fixed.tiles[edits[:, 0], edits[:, 1]] == CHARS["X"]).all()


def test_lower_a_wall_to_the_jump_height():
    wall = ["-" * 9] * 2 + ["----S----"] * 7 + ["X" * 9]
    lv = level("\n".join(wall))
    assert not is_playable(lv, view="side-view")  # a wall 7 high against a jump of 5
    fixed = repair(lv, view="side-view")
    assert is_playable(fixed, view="side-view")
    assert show(fixed).count("S") == 5 and (fixed.tiles != lv.tiles).sum() == 2


def test_a_too_tall_pipe_is_lowered_whole():
    rows = ["-" * 10] * 2 + ["----<>----"] + ["----[]----"] * 7 + ["X" * 10]
    fixed = repair(level("\n".join(rows)), view="side-view")
    assert is_playable(fixed, view="side-view")
    text = show(fixed)
    assert broken_pipes(fixed.tiles, pipe_roles(TILES), air=AIR) == 0
    assert text.count("<") == 1 and text.count(">") == 1  # still one pipe, with its top lower
    assert "<>" in text.splitlines()[5]  # the top moved down to 5 rows above the ground


def test_complete_a_broken_pipe():
    rows = ["-" * 8, "---<----", "---[]---", "--------", "XXXXXXXX"]
    lv = level("\n".join(rows))
    roles = pipe_roles(TILES)
    assert broken_pipes(lv.tiles, roles, air=AIR) > 0
    fixed = repair(lv, view="side-view")
    assert show(fixed).splitlines()[1:4] == ["---<>---", "---[]---", "---[]---"]
    assert broken_pipes(fixed.tiles, roles, air=AIR) == 0 and is_playable(fixed, view="side-view")


def test_upside_down_and_short_pipes_are_whole():
    rows = ["XXXXXXXX", "---[]---", "---<>---", "--------", "-<>-----", "XXXXXXXX"]
    grid = level("\n".join(rows)).tiles
    assert broken_pipes(grid, pipe_roles(TILES), air=AIR) == 0
    assert np.array_equal(complete_pipes(grid, pipe_roles(TILES), air=AIR), grid)


def test_a_playable_level_with_whole_pipes_comes_back_unchanged():
    lv = level("\n".join(["-" * 8] * 3 + ["--<>----", "--[]----", "XXXXXXXX"]))
    assert repair(lv, view="side-view") is lv


def test_repair_makes_random_levels_playable():
    rng = np.random.default_rng(7)
    for _ in range(25):
        grid = np.where(rng.random((14, 60)) < 0.3, CHARS["S"], CHARS["-"])
        grid[-2:] = np.where(rng.random(60) < 0.7, CHARS["X"], CHARS["-"])
        lv = TileMap(grid, TILES, None, None)
        fixed = repair(lv, view="side-view")
        assert is_playable(fixed, view="side-view")
        assert fixed.spawn[1] <= 5 and fixed.goal[1] >= 54  # still a left-to-right level


def test_a_tileset_without_air_cannot_be_repaired():
    solid = TileMap(np.ones((4, 4), dtype=np.int32), TILES, None, None)
    with pytest.raises(ContentError, match="air"):
        repair(solid, view="side-view")


def test_enemies_given_as_air_are_no_floor_and_repair_fills_under_them():
    tiles = (*TILES, Tile("enemy/damaging/hazard/moving", (7, 7, 7), "E", False))
    chars = {t.char: i for i, t in enumerate(tiles)}
    rows = ["-" * 18] * 6 + ["XXX" + "-" * 12 + "XXX"] + ["XXX" + "----EEEE----" + "XXX"]
    grid = np.array([[chars[c] for c in row] for row in rows], dtype=np.int32)
    lv = TileMap(grid, tiles, (5, 1), (5, 16))
    movers = np.array([t.walkable or t.char == "E" for t in tiles])
    assert is_playable(lv, view="side-view")  # walkability stands the player on the enemies
    assert not is_playable(lv, view="side-view", air=movers)
    fixed = repair(lv, view="side-view", air=movers)
    assert is_playable(fixed, view="side-view", air=movers)
    assert (fixed.tiles[-1] == chars["X"]).sum() > (lv.tiles[-1] == chars["X"]).sum()  # ground filled in
    with pytest.raises(ParameterError, match="one bool per tile"):
        is_playable(lv, view="side-view", air=movers[:-1])
