"""Game rules of the demos, without pygame: movement, collision, camera, goal, seeds, scripts."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import numpy as np
import pytest

import procgen
from procgen.content import TileMap
from procgen.generators.handwritten.biomes import OVERWORLD_TILES, TILE
from procgen.levels.routes import cheapest_route
from procgen.play import controls, explorer
from procgen.play.explorer import ExplorerState
from procgen.play.motion import HALF, Camera, move
from procgen.play.worker import Done

PLAY = Path(procgen.__file__).parent / "play"
FRAMES_PER_TILE = 8  # explorer.SPEED is 7.5 tiles/s: 8 frames at 60 fps cross one tile exactly
STEP = {(0, 1): "right", (0, -1): "left", (1, 0): "down", (-1, 0): "up"}


def grid(rows: list[str]) -> TileMap:
    """A level from overworld tile chars; S is spawn and G goal, both on grass."""
    chars = {t.char: i for i, t in enumerate(OVERWORLD_TILES)}
    ids = [[chars.get(ch, TILE["grass"]) for ch in row] for row in rows]
    find = {ch: (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch in "SG"}
    return TileMap(np.array(ids), OVERWORLD_TILES, find.get("S"), find.get("G"))


def loaded(level: TileMap, seed: int = 1) -> ExplorerState:
    """An explorer state showing ``level`` (the job runs here, not on a thread)."""
    state = ExplorerState(seed, ["river/coinflip", "river/meander"], size=level.shape[0],
                          make_level=lambda river, s: level)
    job, = state.jobs()
    state.deliver(Done(job.key, job.run()))
    return state


def on_walkable(state: ExplorerState) -> bool:
    """The test's own check: every corner of the player's square lies on a walkable tile."""
    rows, cols = state.walkable.shape
    for x in (state.x - HALF, state.x + HALF - 1e-9):
        for y in (state.y - HALF, state.y + HALF - 1e-9):
            if not (0 <= x < cols and 0 <= y < rows and state.walkable[math.floor(y), math.floor(x)]):
                return False
    return True


def hold(state: ExplorerState, action: str, frames: int) -> None:
    for _ in range(frames):
        state.update(1 / 60, {action})
        assert on_walkable(state), (state.x, state.y)


WALLED = [",,,,~,,",
          ",S,,~,,",
          ",,,,=,G",
          ",^,,~,,",
          ",,,,~,,"]


def test_the_player_moves_with_held_keys() -> None:
    state = loaded(grid(WALLED))
    start = (state.x, state.y)
    hold(state, "down", FRAMES_PER_TILE)
    assert (state.x, state.y) == pytest.approx((start[0], start[1] + 1.0))
    hold(state, "left", FRAMES_PER_TILE)
    assert state.cell == (2, 0)


def test_the_player_cannot_enter_water_or_mountains() -> None:
    state = loaded(grid(WALLED))
    hold(state, "right", 120)  # row 1 runs into the river at column 4
    assert state.cell == (1, 3) and state.x == pytest.approx(4 - HALF, abs=1e-5)
    hold(state, "down", 2 * FRAMES_PER_TILE)
    hold(state, "left", 2 * FRAMES_PER_TILE)  # row 3 runs into the mountain at column 1
    assert state.cell == (3, 2) and state.x == pytest.approx(2 + HALF, abs=1e-5)
    hold(state, "up", 4 * FRAMES_PER_TILE)  # walking off the map is blocked too
    assert state.y == pytest.approx(HALF, abs=1e-5)


def test_the_bridge_crosses_the_river_and_the_goal_asks_for_the_next_seed() -> None:
    state = loaded(grid(WALLED), seed=41)
    hold(state, "down", FRAMES_PER_TILE)  # from (1, 1) to (2, 1), the bridge row
    hold(state, "right", 5 * FRAMES_PER_TILE)
    assert state.goals == 1 and state.arrived
    job, = state.jobs()
    assert job.key[:3] == ("level", 42, 0)


def test_a_slightly_misaligned_player_slides_into_a_one_tile_gap() -> None:
    state = loaded(grid([",,,,~,,", ",S,,~,,", ",,,,=,G", ",,,,~,,"]))
    hold(state, "down", FRAMES_PER_TILE + 3)  # 3/8 tile below the bridge's centre line: overlaps row 3
    assert math.floor(state.y + HALF) == 3
    hold(state, "right", 6 * FRAMES_PER_TILE)
    assert state.goals == 1


def test_random_walks_never_overlap_a_blocked_tile() -> None:
    level = procgen.get("level/overworld", width=32, height=32).generate(5)
    state = loaded(level)
    rng = np.random.Generator(np.random.PCG64(3))
    names = [*explorer.DIRECTIONS, "run"]
    for _ in range(60):
        held = {n for n in names if rng.random() < 0.35}
        for _ in range(10):
            state.update(1 / 60, held)
            assert on_walkable(state), (state.x, state.y)


def test_the_player_reaches_the_goal_along_the_levels_own_route() -> None:
    level = procgen.get("level/overworld", width=48, height=48).generate(11)
    state = loaded(level, seed=11)
    walkable = level.walkable_mask()
    route = cheapest_route(walkable, np.ones(walkable.shape), level.spawn, level.goal)
    cells = [divmod(int(i), walkable.shape[1]) for i in route]
    for (r0, c0), (r1, c1) in zip(cells, cells[1:]):
        hold(state, STEP[(r1 - r0, c1 - c0)], FRAMES_PER_TILE)
        assert state.cell == (r1, c1)  # on the route tile by tile: nothing blocked the way
    assert state.goals == 1
    job, = state.jobs()
    assert job.key[1] == 12  # the next seed is on its way


def test_tab_new_seed_and_stale_results() -> None:
    state = loaded(grid(WALLED), seed=5)
    state.handle("next-river")
    tab, = state.jobs()
    assert tab.key[:3] == ("level", 5, 1)
    state.handle("new-seed")
    new, = state.jobs()
    assert new.key[1] != 5
    state.deliver(Done(tab.key, grid(WALLED)))  # overtaken by the newer request: ignored
    assert state.river_index == 0 and state.generating
    state.deliver(Done(new.key, error=procgen.ParameterError("no such river")))
    assert "no such river" in state.message and not state.generating


def test_typed_seeds_int_or_text() -> None:
    state = loaded(grid(WALLED))
    state.handle("type-seed")
    state.type_text("mossy-canyon")
    hold(state, "right", 10)  # walking is paused while the box is open
    assert state.cell == (1, 1)
    state.handle("entry-submit")
    job, = state.jobs()
    assert job.key[1] == procgen.normalize_seed("mossy-canyon") and job.key[3] == "mossy-canyon"
    state.handle("type-seed")
    state.type_text("  ")
    state.handle("entry-submit")  # blank text is no seed: the box stays open with the reason
    assert state.entry.active and "seed" in state.entry.error and state.jobs() == []


def test_camera_eases_at_any_frame_rate_and_stays_inside_the_map() -> None:
    one, two = Camera(), Camera()
    one.follow(10.0, 4.0, 0.1)
    two.follow(10.0, 4.0, 0.05)
    two.follow(10.0, 4.0, 0.05)
    assert (one.x, one.y) == pytest.approx((two.x, two.y))
    assert 0 < one.x < 10.0
    for _ in range(600):
        one.follow(10.0, 4.0, 1 / 60)
    assert (one.x, one.y) == pytest.approx((10.0, 4.0), abs=1e-3)
    assert Camera(1.0, 1.0).top_left((80, 45), (256, 256)) == (0.0, 0.0)
    assert Camera(255.0, 255.0).top_left((80, 45), (256, 256)) == (176.0, 211.0)
    assert Camera(5.0, 5.0).top_left((80, 45), (32, 32)) == (-24.0, -6.5)  # a small map is centred


def test_a_fast_frame_cannot_tunnel_through_a_wall() -> None:
    walls = np.ones((3, 9), dtype=bool)
    walls[:, 4] = False
    x, y = move(walls, 1.5, 1.5, 6.0, 0.0)
    assert x == pytest.approx(4 - HALF, abs=1e-5) and y == 1.5


def test_scripts_parse_to_steps() -> None:
    steps = controls.parse_script("RRd.S[mossy canyon]T", explorer.LETTERS)
    assert [s.action for s in steps] == ["right", "right", "down", None, "type-seed", None, "next-river"]
    assert steps[5].text == "mossy canyon"
    for bad in ("RZ", "S[open"):
        with pytest.raises(procgen.ParameterError, match="--keys"):
            controls.parse_script(bad, explorer.LETTERS)


def test_keys_route_to_the_seed_box_while_it_is_open() -> None:
    assert controls.route_key("s", explorer.KEYS, entry_open=False) == "down"
    assert controls.route_key("return", explorer.KEYS, entry_open=False) == "type-seed"
    assert controls.route_key("return", explorer.KEYS, entry_open=True) == "entry-submit"
    assert controls.route_key("n", explorer.KEYS, entry_open=True) is None  # typed, not "new seed"
    assert controls.next_seed(2**64 - 1) == 0 and 0 <= controls.random_seed() < 2**64


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_only_app_and_render_touch_pygame_and_nothing_below_imports_play() -> None:
    for path in PLAY.glob("*.py"):
        uses = any(name.split(".")[0] == "pygame" for name in _imports(path))
        assert uses == (path.name in ("app.py", "render.py")), path.name
    package = PLAY.parent
    for path in package.rglob("*.py"):
        if path.parent.name not in ("play", "cli"):
            assert not any(n.startswith("procgen.play") for n in _imports(path)), path
    assert math.isclose(explorer.SPEED / 60 * FRAMES_PER_TILE, 1.0)
