"""Level corpora as the field distributes them: a VGLC folder with a legend named after its
game, levels of any size, the view from the legend, an option or the levels themselves."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from procgen.cli.main import main
from procgen.datasets.levels import infer_view, load_corpus
from procgen.errors import ContentError
from procgen.generators.learned.levels.data import grown_to, side_view_window, windows
from procgen.levels.pipes import broken_pipes, mirror_ids, pipe_roles

# The VGLC Super Mario Bros legend's shape (a few of its tiles), with no "view" key.
SMB_LEGEND = {"tiles": {"X": ["solid", "ground"], "S": ["solid", "breakable"], "-": ["passable", "empty"],
                        "?": ["solid", "question block"], "<": ["solid", "top-left pipe", "pipe"],
                        ">": ["solid", "top-right pipe", "pipe"], "[": ["solid", "left pipe", "pipe"],
                        "]": ["solid", "right pipe", "pipe"], "E": ["enemy", "damaging", "hazard", "moving"]}}


def platformer(width: int, seed: int) -> list[str]:
    """A 14-row level in SMB's characters: ground two rows deep with gaps, blocks, a pipe."""
    rng = np.random.default_rng(seed)
    rows = [["-"] * width for _ in range(14)]
    for col in range(width):
        if not (10 < col < width - 10 and rng.random() < 0.08):  # a pit now and then, never at the ends
            rows[12][col] = rows[13][col] = "X"
    for col in rng.choice(np.arange(12, width - 12), size=width // 20, replace=False):
        rows[8][col] = "?" if rng.random() < 0.5 else "S"
    pipe = width // 2
    rows[10][pipe], rows[10][pipe + 1], rows[11][pipe], rows[11][pipe + 1] = "<", ">", "[", "]"
    rows[12][pipe] = rows[12][pipe + 1] = rows[13][pipe] = rows[13][pipe + 1] = "X"
    rows[11][width // 3] = "E"
    return ["".join(r) for r in rows]


def write_smb(folder: Path, count: int = 6, width: int = 60) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "smb.json").write_text(json.dumps(SMB_LEGEND))
    for i in range(count):
        (folder / f"mario-1-{i + 1}.txt").write_text("\n".join(platformer(width + 7 * i, i)) + "\n")
    return folder


def test_a_vglc_folder_with_a_legend_named_after_its_game_loads_as_side_view(tmp_path: Path) -> None:
    corpus = load_corpus(write_smb(tmp_path / "smb"))
    assert len(corpus) == 6 and {level.shape[0] for level in corpus.levels} == {14}
    assert len({level.shape[1] for level in corpus.levels}) == 6  # levels of any width
    assert corpus.view == "side-view" and corpus.view_source.startswith("inferred")


def test_the_legend_and_the_option_decide_before_inference(tmp_path: Path) -> None:
    folder = write_smb(tmp_path / "smb")
    assert load_corpus(folder, view="top-down").view == "top-down"
    assert load_corpus(folder, view="top-down").view_source == "given as an option"
    (folder / "smb.json").write_text(json.dumps({**SMB_LEGEND, "view": "top-down"}))
    corpus = load_corpus(folder, view="side-view")
    assert corpus.view == "top-down" and corpus.view_source == "from the legend smb.json"


def test_two_legends_or_none_are_clear_errors(tmp_path: Path) -> None:
    folder = write_smb(tmp_path / "smb")
    (folder / "other.json").write_text("{}")
    with pytest.raises(ContentError, match="2 .json files"):
        load_corpus(folder)
    (folder / "other.json").unlink()
    (folder / "smb.json").unlink()
    with pytest.raises(ContentError, match="no legend"):
        load_corpus(folder)


def test_view_inference_tells_platformers_from_rooms_and_overworlds() -> None:
    solid = np.array([False, True])  # tile 0 open, tile 1 solid
    ground = np.zeros((14, 30), dtype=int)
    ground[-2:] = 1
    room = np.zeros((11, 16), dtype=int)
    room[[0, -1]] = room[:, [0, -1]] = 1
    noise = np.random.default_rng(0).integers(0, 2, (32, 32))
    assert infer_view([ground], solid)[0] == "side-view"
    assert infer_view([room], solid)[0] == "top-down"
    assert infer_view([noise], solid)[0] == "top-down"


def test_side_view_windows_span_the_level_height_and_keep_gravity(tmp_path: Path) -> None:
    corpus = load_corpus(write_smb(tmp_path / "smb"))
    grids = [level.tiles for level in corpus.levels]
    size = side_view_window(grids)
    assert size == 16  # 14 rows, rounded up to a multiple of 4
    tall = grown_to(grids, size)
    assert all(g.shape[0] == 16 and np.array_equal(g[-3:], np.repeat(g[13:14], 3, axis=0)) for g in tall)
    x = windows(tall, size, 4, view="side-view", augment=True).numpy()  # (N, 16, 16)
    ground = corpus.tileset.index(next(t for t in corpus.tileset if t.char == "X"))
    # Mirrored left-right only: the ground is always at the bottom, never at the top or sides.
    assert (x[:, -1] == ground).mean() > 0.8 and (x[:, 0] == ground).mean() == 0.0


def test_a_mirrored_pipe_is_still_a_pipe(tmp_path: Path) -> None:
    corpus = load_corpus(write_smb(tmp_path / "smb"))
    grids = grown_to([level.tiles for level in corpus.levels], 16)
    air = np.array([t.walkable for t in corpus.tileset])
    roles = pipe_roles(corpus.tileset)
    x = windows(grids, 16, 4, view="side-view", augment=True, mirror=mirror_ids(corpus.tileset)).numpy()
    mirrored = x[len(x) // 2:]
    assert np.isin(mirrored, roles.ids).any()
    assert all(broken_pipes(w[:14], roles, air=air) == 0 for w in mirrored if not np.isin(w[:, [0, -1]], roles.ids).any())
    # Flipped without swapping the halves, the same windows would hold "><" pipes.
    bare = windows(grids, 16, 4, view="side-view", augment=True).numpy()[len(x) // 2:]
    assert sum(broken_pipes(w[:14], roles, air=air) for w in bare) > 0


@pytest.mark.slow
@pytest.mark.parametrize("model", ["level/vae", "level/gan", "level/transformer", "level/columns",
                                   "level/conditional"])
def test_train_on_a_vglc_smb_folder_as_distributed_with_no_flags(tmp_path: Path, capsys, model: str) -> None:
    folder = write_smb(tmp_path / "smb", count=10)
    out = tmp_path / "model"
    # epochs, windows and evaluation size only keep the test short; the corpus needs no flag.
    code = main(["train", model, "--data", str(folder), "--out", str(out), "--set", "epochs=2",
                 "--set", "max_windows=256", "--eval-levels", "4"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "side-view (inferred" in captured.out
    card = (out / "MODEL_CARD.md").read_text()
    assert "side-view" in card
    from procgen import get

    level = get(str(out)).generate(1)
    assert level.shape[0] == 14
