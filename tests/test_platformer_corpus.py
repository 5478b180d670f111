"""The shipped CC0 side-view corpus assets/levels/platformer-14: shape, playability, whole
pipes, ground, and that scripts/make_platformer_corpus.py reproduces it byte for byte."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.evaluate.mario_agent import SMB_LEGEND
from procgen.levels.endpoints import place_endpoints
from procgen.levels.pipes import broken_pipes, pipe_roles
from procgen.levels.playability import is_playable

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "assets" / "levels" / "platformer-14"
SCRIPT = ROOT / "scripts" / "make_platformer_corpus.py"


@pytest.fixture(scope="module")
def corpus() -> LevelCorpus:
    return load_corpus(CORPUS)


def test_shape_and_view(corpus: LevelCorpus) -> None:
    assert corpus.view == "side-view" and corpus.view_source.startswith("from the legend")
    assert corpus.legend["tiles"] == SMB_LEGEND["tiles"]  # VGLC's smb.json tags, so SMB-trained code reads it
    assert corpus.names == tuple(f"platformer-{i:02d}" for i in range(24))
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted([*(f"{n}.txt" for n in corpus.names), "smb.json"])
    for level in corpus.levels:
        assert level.shape[0] == 14 and 160 <= level.shape[1] <= 220


def test_every_level_playable(corpus: LevelCorpus) -> None:
    tileset = corpus.levels[0].tileset
    for name, level in zip(corpus.names, corpus.levels):
        placed = place_endpoints(level.tiles, tileset, corpus.legend, "side-view")
        assert is_playable(placed, view="side-view"), name


def test_pipes_whole(corpus: LevelCorpus) -> None:
    tileset = corpus.levels[0].tileset
    roles = pipe_roles(tileset)
    assert roles is not None  # the legend's names keep the pipe roles findable, or the check below is empty
    air = np.array([t.walkable for t in tileset])
    assert sum(int(np.isin(lv.tiles, roles.ids).sum()) for lv in corpus.levels) > 0
    for name, level in zip(corpus.names, corpus.levels):
        assert broken_pipes(level.tiles, roles, air=air) == 0, name


def test_ground_along_the_bottom(corpus: LevelCorpus) -> None:
    ground = next(i for i, t in enumerate(corpus.levels[0].tileset) if t.char == "X")
    for name, level in zip(corpus.names, corpus.levels):
        assert np.mean(level.tiles[-1] == ground) >= 0.85, name
        assert np.array_equal(level.tiles[-1], level.tiles[-2]), name  # two rows deep: pits go through both


def test_script_reproduces_corpus(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], check=True, capture_output=True)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in CORPUS.iterdir())
    for name in made:
        assert (tmp_path / name).read_bytes() == (CORPUS / name).read_bytes(), name
