"""Issue 15, items 3, 5 and 6: previews a person can read, heightmaps generated at the size
asked for, Tiled maps from ``procgen generate``, and errors that name the kind of data."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import procgen
from procgen.cli.main import main
from procgen.content import Heightmap, Tile, TileMap
from procgen.content.markers import MIN_DISTANCE
from procgen.datasets.levels import load_corpus
from procgen.datasets.rivers import load_rivers
from procgen.errors import ContentError
from procgen.evaluate.level_report import samples_png
from procgen.export import ExportOptions, export
from procgen.export.heightmap import sidecar, sized_generator
from procgen.export.previews import preview_png
from procgen.generators import Generator, registry
from procgen.generators.config import GeneratorConfig
from procgen.play.gallery import THUMB, Pictures

ROOT = Path(__file__).resolve().parents[1]
RIVERS = ROOT / "assets" / "data" / "rivers"
LEVELS = ROOT / "assets" / "levels" / "vglc-rooms"


def small_level() -> TileMap:
    tiles = [Tile("floor", (200, 190, 160), ".", True), Tile("wall", (70, 70, 80), "#", False),
             Tile("snow", (240, 240, 244), "*", True), Tile("cyan", (0, 250, 250), "c", True)]
    grid = np.zeros((24, 40), dtype=np.int32)
    grid[0, :] = 1
    grid[5:9, 10:20] = 2
    return TileMap(grid, tiles, spawn=(12, 0), goal=(12, 39))


def picture(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def has_color(rgb: np.ndarray, color: tuple[int, int, int]) -> bool:
    return bool((rgb.reshape(-1, 3) == np.array(color)).all(axis=1).any())


# ---- item 3: previews -----------------------------------------------------------------------

def test_default_preview_is_at_least_8_px_per_tile_and_scale_sets_it(tmp_path) -> None:
    level = small_level()
    assert level.to_image().size == (40 * 8, 24 * 8)
    assert picture(preview_png(level)).shape == (24 * 8, 40 * 8, 3)
    assert picture(preview_png(level, 3)).shape == (24 * 3, 40 * 3, 3)
    out = tmp_path / "new" / "folder" / "level.png"  # -o makes missing folders
    assert main(["generate", "level/vae", "--seed", "1", "-o", str(out), "--scale", "12"]) == 0
    shape = procgen.get("level/vae").generate(1).shape
    assert Image.open(out).size == (shape[1] * 12, shape[0] * 12)
    assert main(["export", "level/vae", "--seeds", "0:1", "--formats", "png", "--out", str(tmp_path / "e"),
                 "--workers", "0", "--scale", "5", "--no-progress"]) == 0
    assert Image.open(tmp_path / "e" / "seed-0.png").size == (shape[1] * 5, shape[0] * 5)


def test_bad_scale_is_refused_and_writes_nothing(tmp_path, capsys) -> None:
    for args in (["--scale", "0"], ["--scale", "999"]):
        assert main(["generate", "level/vae", "--seed", "1", "-o", str(tmp_path / "x.png"), *args]) == 2
    assert main(["generate", "level/vae", "--seed", "1", "-o", str(tmp_path / "x.json"), "--scale", "4"]) == 2
    assert "--scale" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_markers_are_distinct_from_every_tile_colour() -> None:
    level = small_level()
    spawn, goal = level.marker_colors()
    for color in (spawn, goal):
        assert all(np.linalg.norm(np.subtract(color, t.color)) >= MIN_DISTANCE for t in level.tileset)
    assert spawn != goal and spawn != (255, 255, 255)  # never the white that read as snow
    rgb = np.asarray(level.to_image())
    assert has_color(rgb, spawn) and has_color(rgb, goal)
    # More than one tile: a ring about two tiles across, a flag taller than a tile.
    assert (rgb.reshape(-1, 3) == spawn).all(axis=1).sum() > 8 * 8
    assert (rgb.reshape(-1, 3) == goal).all(axis=1).sum() > 8 * 8 / 2
    assert (np.asarray(level.to_image(markers=False)) != rgb).any()


def test_palette_preview_has_the_same_pixels_as_to_image() -> None:
    level = small_level()
    for px in (None, 1, 3, 8, 13):
        assert (picture(preview_png(level, px)) == np.asarray(level.to_image(px))).all()


def test_tile_content_digest_does_not_change_with_pictures() -> None:
    level = small_level()
    before = level.digest()
    level.to_image(16)
    assert level.digest() == before


def test_gallery_and_report_pictures_show_the_markers() -> None:
    level = procgen.get("level/vae").generate(2)
    spawn, goal = level.marker_colors()
    shot = Pictures()("level/vae", 2)
    assert max(shot.thumb.shape[:2]) <= THUMB
    for rgb in (shot.thumb, shot.large):
        assert has_color(rgb, spawn) and has_color(rgb, goal)
    samples = np.asarray(samples_png([("vae", procgen.get("level/vae"))], range(2)))
    assert has_color(samples, spawn) and has_color(samples, goal)
    assert samples.shape[0] >= level.shape[0] * 8  # no longer 3 px a tile


# ---- item 5: --heightmap-size ------------------------------------------------------------------

def test_heightmap_size_generates_landscapes_at_that_size(tmp_path) -> None:
    land = procgen.get("landscape/fbm").with_params(width=48, height=40)
    sized, note = sized_generator(land, ["png16"], 65)
    assert (sized.config.width, sized.config.height) == (65, 65) and "generated at 65 x 65" in note
    summary = export(land, range(1), "png16,r16", tmp_path / "h", workers=0,
                     options=ExportOptions(heightmap_size=65))
    assert "generated at 65 x 65" in summary.line()
    meta = json.loads((tmp_path / "h" / "seed-0.height.json").read_text())
    assert (meta["width"], meta["source_width"], meta["resampled"]) == (65, 65, False)
    # The real generator made that size: the same as asking for it with --set.
    direct = land.with_params(width=65, height=65).generate(0)
    values = np.asarray(Image.open(tmp_path / "h" / "seed-0.height16.png"), dtype=np.int64)
    assert (values == np.rint(direct.height.astype(np.float64) * 65535)).all()


@dataclass(frozen=True, kw_only=True)
class _FixedConfig(GeneratorConfig):
    pass


class _Fixed(Generator[Heightmap]):
    """A generator that makes one size only, as a learned model with a fixed output does."""

    name = "test/fixed-terrain"
    description = "a 20 x 30 heightmap, no width or height parameters"
    content_type = Heightmap
    Config = _FixedConfig

    def _generate(self, stream):
        return Heightmap(np.random.default_rng(stream).random((20, 30)))


def test_heightmap_size_says_when_it_must_resample(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    registry.register(_Fixed)
    summary = export(_Fixed(), range(1), "png16", tmp_path / "h", workers=0, options=ExportOptions(heightmap_size=65))
    assert "resampled" in summary.line() and "test/fixed-terrain" in summary.line()
    meta = json.loads((tmp_path / "h" / "seed-0.height.json").read_text())
    assert meta["resampled"] is True and (meta["source_width"], meta["width"]) == (30, 65)
    assert "resampled" in meta["note"]
    assert json.loads(sidecar(_Fixed().generate(0), np.zeros((20, 30), np.uint16)))["resampled"] is False


# ---- item 6: Tiled maps from generate, and the kind of data ----------------------------------------

@pytest.mark.parametrize("suffix", [".tmx", ".tmj"])
def test_generate_writes_a_tiled_map_procgen_reads_back(tmp_path, suffix) -> None:
    out = tmp_path / "maps" / f"level{suffix}"
    assert main(["generate", "level/vae", "--seed", "4", "-o", str(out)]) == 0
    corpus = load_corpus(out.parent, format="tiled")
    level = procgen.get("level/vae").generate(4)
    chars = np.array([t.char for t in corpus.tileset])[corpus.levels[0].tiles]
    assert (chars == np.array([t.char for t in level.tileset])[level.tiles]).all()


def test_tiled_output_of_non_tile_content_names_the_export_command(tmp_path, capsys) -> None:
    assert main(["generate", "river/coinflip", "--seed", "1", "-o", str(tmp_path / "new" / "r.tmx")]) == 2
    err = capsys.readouterr().err
    assert "procgen export" in err and "--formats tmx" in err and "RiverPath" in err
    assert list(tmp_path.iterdir()) == []  # not even the folder


def test_river_data_given_to_a_level_model_says_so(tmp_path, capsys) -> None:
    with pytest.raises(ContentError, match="river data.*not a level corpus"):
        load_corpus(RIVERS)
    assert main(["train", "level/vae", "--data", str(RIVERS), "--out", str(tmp_path / "m")]) == 2
    assert "is river data" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()


def test_a_level_corpus_given_to_a_river_model_says_so(tmp_path, capsys) -> None:
    with pytest.raises(ContentError, match="level corpus.*not river data"):
        load_rivers(LEVELS)
    assert main(["train", "river/gru", "--data", str(LEVELS), "--out", str(tmp_path / "m")]) == 2
    assert "is a level corpus" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
