"""procgen data export-overworld: the hand-written overworld as a corpus for level models."""

import subprocess

import numpy as np

import procgen
import procgen.assets
from procgen.datasets import load_corpus
from test_cli import PROCGEN


def export(folder, *extra):
    return subprocess.run([*PROCGEN, "data", "export-overworld", "--count", "6", "--size", "16",
                           "--level-size", "32", "--out", str(folder), *extra], capture_output=True, text=True)


def test_crops_keep_the_overworld_tiles_and_walkability(tmp_path) -> None:
    assert export(tmp_path / "a").returncode == 0
    corpus = load_corpus(tmp_path / "a")
    assert len(corpus) == 6 and corpus.view == "top-down" and all(l.shape == (16, 16) for l in corpus.levels)
    level = procgen.get("level/overworld", width=32, height=32).generate("overworld-corpus-0")
    first = level.tiles[:16, :16]
    chars = np.array([t.char for t in level.tileset])[first]
    assert np.array_equal(np.array([t.char for t in corpus.tileset])[corpus.levels[0].tiles], chars)
    assert np.array_equal(corpus.levels[0].walkable_mask(), level.walkable_mask()[:16, :16])


def test_export_is_reproducible(tmp_path) -> None:
    export(tmp_path / "a")
    export(tmp_path / "b")
    for path in sorted((tmp_path / "a").iterdir()):
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


def test_bad_sizes_are_one_line(tmp_path) -> None:
    done = export(tmp_path / "c", "--size", "2")
    assert done.returncode == 2 and len(done.stderr.splitlines()) == 1
    assert not (tmp_path / "c").exists()


def test_shipped_overworld_corpus_loads() -> None:
    corpus = load_corpus(procgen.assets.assets_dir() / "levels" / "overworld-64")
    assert len(corpus) == 128 and corpus.levels[0].shape == (64, 64)
