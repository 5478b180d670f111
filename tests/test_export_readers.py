"""Exported files, read back by real readers: pytmx, pytiled-parser, procgen's own Tiled
reader, Pillow (16-bit PNG) and numpy (RAW), plus procgen's content loader."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

import procgen
from procgen.datasets.levels import load_corpus
from procgen.export import ExportOptions, export, parse_seeds
from procgen.export.heightmap import heightmap_values, resample

pytmx = pytest.importorskip("pytmx")
pytiled_parser = pytest.importorskip("pytiled_parser")

LEVEL = dict(width=48, height=40, rivers=3)  # not square: a swapped row/column would show
SEEDS = "0:3"


def chars_of(level: procgen.TileMap) -> np.ndarray:
    return np.array([t.char for t in level.tileset])[level.tiles]


@pytest.fixture(scope="module", params=["csv", "zlib"])
def levels(request, tmp_path_factory) -> tuple[Path, list[procgen.TileMap]]:
    folder = tmp_path_factory.mktemp(f"levels-{request.param}") / "out"
    generator = procgen.get("level/overworld", **LEVEL)
    export(generator, parse_seeds(SEEDS), "png,tmx,tmj,json,npz", folder, workers=0,
           options=ExportOptions(tiled_data=request.param))
    return folder, [generator.generate(s) for s in range(3)]


def test_pytmx_sees_the_same_tiles_and_objects(levels) -> None:
    folder, expected = levels
    for seed, level in enumerate(expected):
        tiled = pytmx.TiledMap(str(folder / f"seed-{seed}.tmx"))
        assert (tiled.width, tiled.height) == (level.shape[1], level.shape[0])
        layer = tiled.get_layer_by_name("tiles")
        got = np.array([[tiled.get_tile_properties(x, y, 0)["char"] for x in range(tiled.width)]
                        for y in range(tiled.height)])
        assert (got == chars_of(level)).all()
        assert layer.name == "tiles"
        markers = {o.name: (int(o.y) // 16, int(o.x) // 16) for o in tiled.get_layer_by_name("markers")}
        assert markers == {"spawn": level.spawn, "goal": level.goal}
        rivers = list(tiled.get_layer_by_name("rivers"))
        assert rivers and all(len(r.points) >= 2 for r in rivers)


@pytest.mark.parametrize("suffix", ["tmx", "tmj"])
def test_pytiled_parser_sees_the_same_tiles_and_objects(levels, suffix: str) -> None:
    folder, expected = levels
    for seed, level in enumerate(expected):
        tiled = pytiled_parser.parse_map(folder / f"seed-{seed}.{suffix}")
        tileset = tiled.tilesets[1]
        assert tileset.image.is_file() and tileset.tile_count == len(level.tileset)
        char = {local + 1: tile.properties["char"] for local, tile in tileset.tiles.items()}
        walkable = {local + 1: tile.properties["walkable"] for local, tile in tileset.tiles.items()}
        gids = np.array(tiled.layers[0].data)
        assert (np.vectorize(char.get)(gids) == chars_of(level)).all()
        assert (np.vectorize(walkable.get)(gids) == level.walkable_mask()).all()
        markers, rivers = tiled.layers[1].tiled_objects, tiled.layers[2].tiled_objects
        spawn = next(o for o in markers if o.name == "spawn")
        assert (int(spawn.coordinates.y) // 16, int(spawn.coordinates.x) // 16) == level.spawn
        assert all(type(r).__name__ == "Polyline" and len(r.points) >= 2 for r in rivers)


def test_river_polylines_run_along_river_tiles(levels) -> None:
    folder, expected = levels
    document = json.loads((folder / "seed-0.tmj").read_text())
    rivers = document["layers"][2]["objects"]
    river_ids = [i for i, t in enumerate(expected[0].tileset) if t.name in ("river", "bridge")]
    on_river = np.isin(expected[0].tiles, river_ids)
    for river in rivers:
        # Every vertex is the centre of a river (or bridge) cell.
        for point in river["polyline"]:
            row = int((river["y"] + point["y"]) // 16)
            col = int((river["x"] + point["x"]) // 16)
            assert on_river[row, col]


def test_procgen_tiled_reader_reads_an_export_back_to_the_same_tiles(levels) -> None:
    folder, expected = levels
    corpus = load_corpus(folder, format="tiled")
    assert sorted(corpus.names) == sorted(f"seed-{s}" for s in range(3) for _ in "xj")  # .tmx and .tmj
    for name, level in zip(corpus.names, corpus.levels):
        got = np.array([t.char for t in corpus.tileset])[level.tiles]
        assert (got == chars_of(expected[int(name.split("-")[1])])).all()
    walk = {t.char: t.walkable for t in corpus.tileset}
    assert all(walk[t.char] == t.walkable for t in expected[0].tileset)


def test_content_files_and_preview(levels) -> None:
    folder, expected = levels
    for seed, level in enumerate(expected):
        assert procgen.content.load(folder / f"seed-{seed}.json") == level
        assert procgen.content.load(folder / f"seed-{seed}.npz") == level
        preview = np.array(Image.open(folder / f"seed-{seed}.png").convert("RGB"))
        assert (preview == np.array(level.to_image())).all()


def test_tmx_is_well_formed_xml_with_tiled_attributes(levels) -> None:
    folder, _ = levels
    root = ElementTree.parse(folder / "seed-0.tmx").getroot()
    assert root.get("orientation") == "orthogonal" and root.get("infinite") == "0"
    assert [g.get("name") for g in root.findall("objectgroup")] == ["markers", "rivers"]
    source = root.find("tileset").get("source")
    tsx = ElementTree.parse(folder / source).getroot()
    assert (folder / source).parent.joinpath(tsx.find("image").get("source")).is_file()


# ---- heightmaps ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def heights(tmp_path_factory) -> tuple[Path, procgen.Heightmap, Path, procgen.Heightmap]:
    root = tmp_path_factory.mktemp("heights")
    generator = procgen.get("landscape/fbm", width=50, height=30)
    export(generator, parse_seeds("5:6"), "png,png16,r16,json", root / "native", workers=0)
    export(generator, parse_seeds("5:6"), "png16,r16", root / "engine", workers=0,
           options=ExportOptions(heightmap_size=65))
    land = generator.generate(5)
    return root / "native", land, root / "engine", land


def test_pillow_reads_the_16_bit_png_back_exactly(heights) -> None:
    folder, land, _, _ = heights
    image = Image.open(folder / "seed-5.height16.png")
    assert image.mode == "I;16" and image.size == (50, 30)
    values = np.array(image)
    assert (values == np.rint(land.height.astype(np.float64) * 65535).astype(np.uint16)).all()
    assert np.abs(values / 65535.0 - land.height).max() <= 0.5 / 65535 + 1e-7


def test_the_raw_file_round_trips(heights) -> None:
    folder, _, _, _ = heights
    sidecar = json.loads((folder / "seed-5.height.json").read_text())
    raw = np.fromfile(folder / "seed-5.r16", dtype="<u2")
    assert raw.size == sidecar["width"] * sidecar["height"] == 50 * 30
    png = np.array(Image.open(folder / "seed-5.height16.png"))
    assert (raw.reshape(sidecar["height"], sidecar["width"]) == png).all()
    assert sidecar["value_range"] == [int(raw.min()), int(raw.max())]


def test_engine_sizes_are_generated_not_resampled(heights) -> None:
    # landscape/fbm takes width and height, so --heightmap-size 65 makes a 65 x 65 map (issue 15).
    _, _, folder, land = heights
    sidecar = json.loads((folder / "seed-5.height.json").read_text())
    assert (sidecar["width"], sidecar["height"], sidecar["source_width"], sidecar["resampled"]) == (65, 65, 65, False)
    raw = np.fromfile(folder / "seed-5.r16", dtype="<u2").reshape(65, 65)
    direct = procgen.get("landscape/fbm", width=65, height=65).generate(5)
    assert (raw == np.rint(direct.height.astype(np.float64) * 65535)).all()
    assert (np.array(Image.open(folder / "seed-5.height16.png")) == raw).all()


def test_resampling_keeps_the_corners(heights) -> None:
    _, land, _, _ = heights
    raw = heightmap_values(land, 65)
    corners = land.height[[0, 0, -1, -1], [0, -1, 0, -1]].astype(np.float64)
    assert raw.shape == (65, 65) and (raw[[0, 0, -1, -1], [0, -1, 0, -1]] == np.rint(corners * 65535)).all()


def test_resample_is_exact_on_a_linear_ramp() -> None:
    ramp = np.add.outer(np.linspace(0, 0.5, 7), np.linspace(0, 0.25, 11))  # (7, 11), bilinear-exact
    big = resample(ramp, (33, 33))
    want = np.add.outer(np.linspace(0, 0.5, 33), np.linspace(0, 0.25, 33))
    assert np.allclose(big, want, atol=1e-12)


# ---- rivers ----------------------------------------------------------------------------------

def test_river_json_geojson_svg(tmp_path) -> None:
    generator = procgen.get("river/meander", steps=64)
    export(generator, parse_seeds("3:5"), "png,json,npz,geojson,svg", tmp_path / "out", workers=0)
    for seed in (3, 4):
        river = generator.generate(seed)
        assert procgen.content.load(tmp_path / "out" / f"seed-{seed}.json") == river
        feature = json.loads((tmp_path / "out" / f"seed-{seed}.geojson").read_text())["features"][0]
        assert feature["geometry"]["type"] == "LineString"
        assert np.array_equal(np.array(feature["geometry"]["coordinates"]), river.points)
        svg = ElementTree.parse(tmp_path / "out" / f"seed-{seed}.svg").getroot()
        polyline = svg.find("{http://www.w3.org/2000/svg}polyline")
        assert len(polyline.get("points").split()) == len(river)
        assert Image.open(io.BytesIO((tmp_path / "out" / f"seed-{seed}.png").read_bytes())).size == (512, 512)
