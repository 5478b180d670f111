"""The demos headless (SDL's dummy video driver): start, replay keys, screenshot, stop, errors."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ["SDL_VIDEODRIVER"] = "dummy"  # no window, in this process and its children

import procgen  # noqa: E402
from procgen.cli.main import main  # noqa: E402
from procgen.levels.routes import cheapest_route  # noqa: E402
from procgen.play import app, controls, explorer  # noqa: E402

ROOT = Path(__file__).parent.parent
LETTER = {(0, 1): "R", (0, -1): "L", (1, 0): "D", (-1, 0): "U"}


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.size == app.SIZE
        return np.asarray(image.convert("RGB"))


def no_worker_left() -> bool:
    return not any(t.name == "procgen-demo-worker" and t.is_alive() for t in threading.enumerate())


def test_the_issue_command_replays_keys_and_writes_the_frame(tmp_path) -> None:
    out = tmp_path / "out.png"
    done = subprocess.run([sys.executable, str(ROOT / "demos" / "explorer.py"), "--seed", "7", "--frames", "120",
                           "--keys", "RRRRDDD", "--screenshot", str(out)],
                          capture_output=True, text=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy"})
    assert done.returncode == 0, done.stderr
    assert len(np.unique(pixels(out).reshape(-1, 3), axis=0)) > 50  # terrain, HUD and minimap, not blank


def test_screenshots_of_two_seeds_differ(tmp_path) -> None:
    shots = []
    for seed in ("7", "8"):
        shots.append(tmp_path / f"{seed}.png")
        code = main(["demo", "explorer", "--headless", "--seed", seed, "--size", "64", "--frames", "3",
                     "--screenshot", str(shots[-1])])
        assert code == 0
    first, second = pixels(shots[0]), pixels(shots[1])
    assert first.std() > 20 and second.std() > 20
    assert (first != second).any(axis=2).mean() > 0.2  # most of the screen is different terrain


@pytest.mark.parametrize("demo, extra", [("explorer", ["--size", "32", "--keys", "RDNT"]),
                                         ("rivers", ["--right", "river/gan", "--keys", "12PU"]),
                                         ("gallery", ["--generator", "river/meander", "--keys", "RDOB"])])
def test_each_demo_starts_and_stops_cleanly(tmp_path, demo: str, extra: list[str]) -> None:
    out = tmp_path / f"{demo}.png"
    assert main(["demo", demo, "--headless", "--seed", "3", "--frames", "40", "--key-frames", "4",
                 "--screenshot", str(out), "--out", str(tmp_path), *extra]) == 0
    assert pixels(out).std() > 10
    assert no_worker_left()


def test_a_scripted_route_reaches_the_goal_through_the_app(tmp_path) -> None:
    level = procgen.get("level/overworld", width=32, height=32).generate(4)
    walkable = level.walkable_mask()
    route = [divmod(int(i), 32) for i in cheapest_route(walkable, np.ones(walkable.shape), level.spawn, level.goal)]
    keys = "".join(LETTER[(b[0] - a[0], b[1] - a[1])] for a, b in zip(route, route[1:]))
    state = explorer.ExplorerState(4, ["river/coinflip"], size=32)
    script = controls.parse_script(keys, explorer.LETTERS)
    app.play("explorer", state, frames=8 * len(keys) + 2, script=script, key_frames=8,
             screenshot=tmp_path / "goal.png")
    assert state.goals == 1 and state.seed == 5  # the next seed loaded at the goal
    assert state.level.digest() == procgen.get("level/overworld", width=32, height=32).generate(5).digest()


def test_f12_and_typed_seeds_in_a_replay(tmp_path) -> None:
    assert main(["demo", "gallery", "--headless", "--generator", "river/coinflip", "--frames", "6",
                 "--key-frames", "2", "--keys", "S[mossy-canyon]F", "--out", str(tmp_path)]) == 0
    shot, = tmp_path.glob("procgen-gallery-*.png")
    assert pixels(shot).std() > 10


@pytest.mark.parametrize("args, message", [
    (["--frames", "1", "--seed", "-1"], "out of range"),
    (["--frames", "1", "--river", "river/nope"], "river/nope"),
    (["--frames", "1", "--river", "landscape/fbm"], "river"),
    (["--frames", "1", "--size", "8"], "width"),
    (["--frames", "1", "--screenshot", "x.jpg"], ".png"),
    (["--keys", "RR"], "--frames"),
    (["--frames", "2", "--keys", "RZ"], "unknown key letter"),
])
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path, monkeypatch, capsys, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "explorer", "--headless", "--size", "32", "--screenshot", "shot.png", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("procgen: error:") and message in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []
