"""procgen train end to end on the shipped rivers, and learned rivers inside levels."""

import subprocess
import sys
from pathlib import Path

import pytest

import procgen
from procgen.datasets.rivers import load_rivers
from procgen.assets import assets_dir
from test_cli import PROCGEN
from test_overworld import bfs_reaches

DATA = assets_dir() / "data" / "rivers"


def test_train_gru_end_to_end_on_the_shipped_rivers(tmp_path) -> None:
    out = tmp_path / "my-gru"
    done = subprocess.run([*PROCGEN, "train", "river/gru", "--data", str(DATA), "--out", str(out),
                           "--set", "epochs=1", "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "held-out NLL" in done.stdout
    card = (out / "MODEL_CARD.md").read_text()
    assert "nats per step" in card and f"{load_rivers().counts()['train']} training" in card
    assert procgen.get(str(out)).generate(3).points.shape == (258, 2)


def test_train_hand_written_baseline_writes_a_fitted_folder(tmp_path) -> None:
    out = tmp_path / "meander"
    done = subprocess.run([*PROCGEN, "train", "river/meander", "--data", str(DATA), "--out", str(out), "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    fitted = procgen.get(str(out))
    assert fitted.config.step_length == 2.0 and fitted.config.sigma != procgen.get("river/meander").config.sigma


@pytest.mark.parametrize("args,message", [
    (["train", "river/gru", "--data", "missing-folder", "--out", "o"], "missing-folder"),
    (["train", "level/overworld", "--data", str(DATA), "--out", "o"], "cannot be trained"),
    (["train", "river/gru", "--data", str(DATA), "--out", "o", "--set", "hidden=0"], "hidden"),
])
def test_train_bad_input_is_one_line(tmp_path, args, message) -> None:
    done = subprocess.run([*PROCGEN, *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("river", ["river/gru", "river/gan", "river/flow"])
def test_learned_rivers_plug_into_levels_by_name(river: str) -> None:
    level = procgen.get("level/overworld", width=64, height=64, river=river).generate(1)
    assert bfs_reaches(level)
