"""procgen train / generate / compare on level corpora, end to end through the command line."""

import json
import subprocess

import pytest

import procgen
from procgen.assets import assets_dir
from procgen.content import TileMap
from procgen.levels import is_playable
from test_cli import PROCGEN

ROOMS = assets_dir() / "levels" / "vglc-rooms"
OVERWORLD = assets_dir() / "levels" / "overworld-64"
QUICK = ["--set", "epochs=1", "--set", "max_windows=256", "--eval-levels", "4", "--quiet"]


def run(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([*PROCGEN, *args], capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("corpus,fmt", [(ROOMS, "vglc"), (OVERWORLD, None)])
def test_one_command_trains_on_both_shipped_corpora(tmp_path, corpus, fmt) -> None:
    out = tmp_path / "model"
    done = run("train", "level/vae", "--data", str(corpus), *(["--format", fmt] if fmt else []),
               "--out", str(out), *QUICK)
    assert done.returncode == 0, done.stderr
    assert "raw playability" in done.stdout and "independent tiles" in done.stdout
    card = (out / "MODEL_CARD.md").read_text()
    assert "repaired playability" in card and "held-out levels" in card
    level = procgen.get(str(out)).generate(3)
    assert isinstance(level, TileMap) and is_playable(level)
    png = tmp_path / "level.png"
    done = run("generate", str(out), "--seed", "3", "-o", str(png))
    assert done.returncode == 0 and png.stat().st_size > 0, done.stderr


def test_compare_levels_writes_a_report(tmp_path) -> None:
    done = run("compare", "levels", "--corpus", str(ROOMS), "--generators", "level/vae,level/transformer",
               "--samples", "4", "--out", str(tmp_path / "report"))
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert [r["label"] for r in report["results"]] == ["level/vae", "level/transformer"]
    assert all(r["repaired_playability"] == 1.0 for r in report["results"])
    assert {p.name for p in (tmp_path / "report").iterdir()} == {"report.md", "report.json", "samples.png",
                                                                  "expressive-range.png"}


@pytest.mark.parametrize("args,message", [
    (["train", "level/vae", "--data", str(ROOMS), "--format", "tiled", "--out", "o"], "no .tmx/.tmj"),
    (["train", "level/vae", "--data", str(assets_dir() / "levels" / "tiled"), "--out", "o"], "at least 3 levels"),
    (["train", "river/gru", "--data", str(ROOMS), "--format", "vglc", "--out", "o"], "--format and --view apply"),
    (["train", "level/vae", "--data", str(ROOMS), "--out", "o", "--set", "window=10"], "multiple of 4"),
    (["compare", "levels", "--generators", "level/vae", "--out", "r"], "--corpus"),
    (["compare", "levels", "--corpus", str(OVERWORLD), "--generators", "level/vae", "--out", "r"],
     "another tileset"),
])
def test_bad_level_input_is_one_line(tmp_path, args, message) -> None:
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []
