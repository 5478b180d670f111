"""Playability: top-down and side-view reachability, and minimal top-down repair."""

from __future__ import annotations

import numpy as np
import pytest

from procgen.content import Tile, TileMap
from procgen.errors import ContentError, ParameterError
from procgen.evaluate.playability import is_playable, reachable, repair

TILES = (Tile("floor", (200, 200, 200), ".", True), Tile("wall", (50, 50, 50), "#", False))


def level(text: str, spawn=None, goal=None) -> TileMap:
    """Build a map from rows of '.' and '#'; 'S' / 'G' mark a floor spawn / goal."""
    rows = text.strip().splitlines()
    grid = np.array([[1 if ch == "#" else 0 for ch in row] for row in rows], dtype=np.int32)
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch == "S":
                spawn = (r, c)
            elif ch == "G":
                goal = (r, c)
    return TileMap(grid, TILES, spawn, goal)


def changed(a: TileMap, b: TileMap) -> int:
    return int((a.tiles != b.tiles).sum())


def test_corridor_is_playable():
    lv = level("""
#######
#S...G#
#######""")
    assert is_playable(lv)
    mask = reachable(lv)
    assert mask.sum() == 5 and not mask[0].any()


def test_wall_splitting_the_map_is_not_playable():
    lv = level("""
S.#..
..#..
..#.G""")
    assert not is_playable(lv)
    assert reachable(lv)[:, :2].all() and not reachable(lv)[:, 2:].any()


def test_missing_spawn_or_goal_is_not_playable():
    assert not is_playable(level("...\n...", spawn=(0, 0)))
    assert not reachable(level("...\n...", goal=(0, 0))).any()


@pytest.mark.parametrize("thickness", [1, 3])
def test_repair_changes_exactly_the_wall_thickness(thickness):
    wall = "#" * thickness
    lv = level("\n".join(["S." + wall + "..", ".." + wall + "..", ".." + wall + ".G"]))
    fixed = repair(lv)
    assert is_playable(fixed)
    assert changed(lv, fixed) == thickness
    assert (fixed.tiles[lv.tiles != fixed.tiles] == 0).all()  # became floor


def test_repair_prefers_a_long_walkable_detour_over_an_edit():
    lv = level("""
S#G
.#.
.#.
.#.
...""")
    fixed = repair(lv)
    assert fixed is lv  # already playable via the bottom row


def test_repair_uses_the_thinnest_part_of_a_wall():
    lv = level("""
S.###..
...#...
..###.G""")
    fixed = repair(lv)
    assert is_playable(fixed) and changed(lv, fixed) == 1 and fixed.tiles[1, 3] == 0


def test_repair_of_a_playable_level_changes_nothing():
    lv = level("S..\n.#.\n..G")
    assert repair(lv) is lv


def test_repair_places_missing_spawn_and_goal():
    fixed = repair(level("...\n###\n..."))
    assert fixed.spawn == (0, 0) and fixed.goal == (2, 2)
    assert is_playable(fixed) and changed(level("...\n###\n..."), fixed) == 1


def test_repair_with_an_unwalkable_floor_is_refused():
    with pytest.raises(ParameterError):
        repair(level("S#G"), floor=1)


def test_bad_view_and_level():
    with pytest.raises(ParameterError):
        reachable(level("S.G"), view="isometric")
    with pytest.raises(ContentError):
        reachable(np.zeros((3, 3), dtype=int))  # type: ignore[arg-type]


# Side view: '#' is solid ground, '.' is air; falling out of the map bottom loses. The jump
# model (procgen.levels.jumps): rise up to jump_height rows, hang, fall; one column per step.

def gap_level(gap: int, air_rows: int = 6) -> TileMap:
    air = "." * (3 + gap + 3)
    ground = "###" + "." * gap + "###"
    rows = [air] * air_rows + [ground, ground]
    grid = "\n".join(rows)
    return level(grid, spawn=(air_rows - 1, 1), goal=(air_rows - 1, 3 + gap + 1))


@pytest.mark.parametrize("across, gap, ok", [(10, 1, True), (10, 9, True), (10, 10, False), (8, 7, True),
                                             (8, 8, False), (12, 11, True), (12, 12, False)])
def test_side_view_gap_jump_carries_jump_across_columns(across, gap, ok):
    assert is_playable(gap_level(gap), view="side-view", jump_height=4, jump_across=across) is ok


def test_a_low_ceiling_shortens_the_jump():
    # With one row of air the player cannot rise, so only the hang carries it: 10 - 2 * 4 columns.
    assert is_playable(gap_level(1, air_rows=1), view="side-view", jump_height=4, jump_across=10)
    assert not is_playable(gap_level(3, air_rows=1), view="side-view", jump_height=4, jump_across=10)
    assert is_playable(gap_level(3, air_rows=1), view="side-view", jump_height=4, jump_across=12)


def test_side_view_pit_is_lethal_unless_the_bottom_is_floor():
    lv = gap_level(12)  # the pit is 2 deep, so with a floor there the player climbs out
    assert not is_playable(lv, view="side-view")
    assert is_playable(lv, view="side-view", floor_at_bottom=True)
    mask = reachable(lv, view="side-view")
    assert mask[:, 3:15].any() and not mask[-2:, 15:].any()  # falls into the pit, never lands beyond


def ledge_level(height: int) -> TileMap:
    width, rows = 6, height + 4
    grid = np.zeros((rows, width), dtype=np.int32)
    grid[-1] = 1  # ground
    grid[rows - 1 - height:, 3:] = 1  # a ledge `height` cells above the ground
    return TileMap(grid, TILES, (rows - 2, 0), (rows - 2 - height, 5))


@pytest.mark.parametrize("height, ok", [(1, True), (4, True), (5, False)])
def test_side_view_ledge_height(height, ok):
    assert is_playable(ledge_level(height), view="side-view", jump_height=4) is ok


def test_side_view_falls_drift_one_column_per_row():
    lv = level("""
S....
###..
.....
....G
#####""")
    # Walking off the spawn ledge drops the player to the floor, where it walks to the goal.
    assert is_playable(lv, view="side-view", jump_height=0, jump_across=0)
    mid_air = level(".....\n.....\n....G\n#####", spawn=(0, 0))
    mask = reachable(mid_air, view="side-view", jump_height=0, jump_across=0)
    assert mask[0, 0] and mask[1, :2].all() and not mask[1, 2:].any()  # a fall drifts a column a row
    assert mask[2].all() and not mask[0, 1:].any()  # walking, no jumps


def test_side_view_walls_block_walking_but_not_jumping():
    lv = level("""
.....
.....
S.#.G
#####""")
    assert not is_playable(lv, view="side-view", jump_height=0, jump_across=0)
    assert is_playable(lv, view="side-view", jump_height=1, jump_across=2)
    # A low ceiling above the wall stops the jump.
    capped = level("""
.....
###..
S.#.G
#####""")
    assert not is_playable(capped, view="side-view")


def test_no_slipping_between_blocks_that_touch_at_a_corner():
    open_top = level("""
.....
.....
S#..G
#####""")
    assert is_playable(open_top, view="side-view", jump_height=1, jump_across=2)
    # A block above the spawn and one beside it touch (1, 1)'s corner: no diagonal between them.
    sealed = level("""
.....
#....
S#..G
#####""")
    assert not is_playable(sealed, view="side-view", jump_height=1, jump_across=2)


def test_jump_across_must_cover_the_rise_and_the_fall():
    with pytest.raises(ParameterError, match="jump_across"):
        reachable(gap_level(1), view="side-view", jump_height=4, jump_across=7)
    with pytest.raises(ParameterError, match="jump_height"):
        reachable(gap_level(1), view="side-view", jump_height=-1)
