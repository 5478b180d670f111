"""``procgen demo`` without a display, its output folders, and Tab in the explorer (issue 15, item 7).

The display check is a pure function of the environment, so it is tested here without
pygame opening anything; the explorer's Tab is tested on its game state alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from procgen.cli.demo import missing_display
from procgen.cli.main import main
from procgen.content import TileMap
from procgen.generators.handwritten.biomes import OVERWORLD_TILES, TILE
from procgen.play.explorer import ExplorerState
from procgen.play.worker import Done

ROOT = Path(__file__).parent.parent
NO_DISPLAY = ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")


@pytest.mark.parametrize("env, platform, ok", [
    ({}, "linux", False),
    ({"DISPLAY": ":0"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({"DISPLAY": ""}, "linux", False),  # set but empty is no display
    ({"SDL_VIDEODRIVER": "x11"}, "linux", False),  # X11 without DISPLAY cannot draw
    ({"SDL_VIDEODRIVER": "wayland", "DISPLAY": ":0"}, "linux", False),  # Wayland needs its own variable
    ({"SDL_VIDEODRIVER": "wayland,x11", "DISPLAY": ":0"}, "linux", True),  # SDL falls back to x11
    ({"SDL_VIDEODRIVER": "dummy"}, "linux", True),  # the user chose a driver needing no server
    ({"SDL_VIDEODRIVER": "kmsdrm"}, "linux", True),
    ({}, "win32", True),
    ({}, "darwin", True),
])
def test_missing_display_reads_only_the_environment(env: dict[str, str], platform: str, ok: bool) -> None:
    problem = missing_display(env, platform)
    assert (problem is None) == ok
    if problem is not None:
        assert "\n" not in problem and "--headless --frames N" in problem


def _without_display(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NO_DISPLAY:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")


def test_demo_without_a_display_refuses_in_one_line_and_writes_nothing(tmp_path, monkeypatch, capsys) -> None:
    _without_display(monkeypatch)
    monkeypatch.chdir(tmp_path)
    for demo in ("explorer", "rivers", "gallery"):
        assert main(["demo", demo, "--out", "shots/new", "--frames", "5"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("procgen: error: no display") and len(err.splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []  # not even the --out folder


def test_the_demo_command_refuses_without_a_display_as_a_process(tmp_path) -> None:
    if sys.platform.startswith(("win", "darwin")):
        pytest.skip("Windows and macOS always have a window system")
    env = {k: v for k, v in os.environ.items() if k not in NO_DISPLAY}
    done = subprocess.run([sys.executable, "-m", "procgen", "demo"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "no display" in done.stderr, done.stderr


def test_headless_needs_no_display_and_out_folders_are_created(tmp_path, monkeypatch) -> None:
    _without_display(monkeypatch)
    shots, last = tmp_path / "a" / "b" / "shots", tmp_path / "c" / "d" / "last.png"
    assert main(["demo", "gallery", "--headless", "--generator", "river/coinflip", "--frames", "2",
                 "--key-frames", "1", "--keys", "F", "--out", str(shots), "--screenshot", str(last)]) == 0
    assert last.is_file() and len(list(shots.glob("procgen-gallery-*.png"))) == 1


def test_out_through_a_file_is_one_line_exit_2(tmp_path, monkeypatch, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert main(["demo", "explorer", "--headless", "--size", "32", "--frames", "1",
                 "--out", str(tmp_path / "file" / "shots")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("procgen: error:") and "file" in err and len(err.splitlines()) == 1


# --- Tab: another river generator, the same place ------------------------------------------

def _level(rows: list[str], spawn: tuple[int, int], goal: tuple[int, int]) -> TileMap:
    chars = {t.char: i for i, t in enumerate(OVERWORLD_TILES)}
    ids = [[chars.get(ch, TILE["grass"]) for ch in row] for row in rows]
    return TileMap(np.array(ids), OVERWORLD_TILES, spawn, goal)


OPEN = [",,,,,,,,"] * 6
RIVER_UNDERFOOT = [",,,,~,,,", ",,,,~,,,", ",,,,~,,,", ",,,,~,,,", ",,,,~,,,", ",,,,~,,,"]


def _explorer(levels: dict[str, TileMap]) -> ExplorerState:
    """An explorer whose river generators make ``levels``; jobs run here, not on a thread."""
    state = ExplorerState(3, list(levels), size=8, make_level=lambda river, seed: levels[river])
    _settle(state)
    return state


def _settle(state: ExplorerState) -> None:
    for job in state.jobs():
        state.deliver(Done(job.key, job.run()))


def _walk_to(state: ExplorerState, action: str, frames: int) -> None:
    for _ in range(frames):
        state.update(1 / 60, {action})


def test_tab_keeps_the_player_where_they_stand() -> None:
    state = _explorer({"a": _level(OPEN, (1, 1), (5, 7)), "b": _level(OPEN, (4, 6), (0, 0))})
    _walk_to(state, "right", 16)  # two tiles east of the spawn
    _walk_to(state, "down", 8)
    before = (state.x, state.y)
    assert state.cell == (2, 3)
    state.handle("next-river")
    _settle(state)
    assert state.river == "b" and (state.x, state.y) == before  # not b's spawn at (4, 6)


def test_tab_moves_the_player_off_a_new_river_to_the_nearest_open_tile() -> None:
    state = _explorer({"a": _level(OPEN, (2, 1), (5, 7)), "b": _level(RIVER_UNDERFOOT, (0, 0), (5, 7))})
    _walk_to(state, "right", 24)  # onto column 4, where river b flows
    assert state.cell == (2, 4)
    state.handle("next-river")
    _settle(state)
    assert state.cell in {(2, 3), (2, 5)} and not state.walkable[2, 4]
    assert (state.x % 1, state.y % 1) == (0.5, 0.5)  # the centre of that tile: fully on land


def test_a_new_seed_still_starts_at_the_spawn() -> None:
    state = _explorer({"a": _level(OPEN, (1, 1), (5, 7)), "b": _level(OPEN, (4, 6), (0, 0))})
    _walk_to(state, "right", 16)
    state.handle("next-river")
    state.handle("new-seed")  # overtakes the Tab before it arrives: a new map, a new start
    _settle(state)
    assert state.river == "b" and state.cell == (4, 6)  # b's spawn, not where the player stood
