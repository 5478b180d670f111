"""Tile identity kept (issue 14, item 6): a legend's tile names and colours survive corpora,
trained models, previews and Tiled tilesets, so grass, forest, road and snow stay apart."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

import procgen
from procgen.assets import assets_dir
from procgen.cli.data import overworld_crops
from procgen.datasets.levels import build_tileset, load_corpus, save_vglc
from procgen.errors import ContentError
from procgen.export import export, parse_seeds
from procgen.export.previews import preview_png
from procgen.export.tiled import tileset_files
from procgen.generators.handwritten.biomes import OVERWORLD_TILES, overworld_legend

LEGEND = {"tiles": {"#": ["solid", "wall"], ".": ["passable", "floor"], ",": ["passable", "grass"],
                    "=": ["passable", "road"]},
          "names": {",": "grass", "=": "road"}, "colors": {",": "#5A9E3A", "=": "#c4a878", "#": "#202020"},
          "view": "top-down"}
OVERWORLD = {t.char: t for t in OVERWORLD_TILES}
MODELS = [assets_dir() / "models" / f"level-{kind}-overworld" for kind in ("gan", "vae", "transformer")] + [
    assets_dir() / "models" / "level-conditional"]  # level/conditional's default folder is the overworld one


def write_corpus(folder: Path, legend: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "legend.json").write_text(json.dumps(legend), encoding="utf-8")
    (folder / "a.txt").write_text("####\n#.,#\n#=.#\n####\n", encoding="utf-8")
    return folder


def by_char(tileset) -> dict:
    return {t.char: t for t in tileset}


def chars(level: procgen.TileMap) -> np.ndarray:
    return np.array([t.char for t in level.tileset])[level.tiles]


# ---- the legend format ---------------------------------------------------------------------

def test_names_and_colours_load_into_the_tileset(tmp_path) -> None:
    corpus = load_corpus(write_corpus(tmp_path / "c", LEGEND))
    tiles = by_char(corpus.tileset)
    assert (tiles[","].name, tiles[","].color) == ("grass", (0x5A, 0x9E, 0x3A))
    assert (tiles["="].name, tiles["="].color) == ("road", (0xC4, 0xA8, 0x78))
    assert (tiles["#"].name, tiles["#"].color) == ("solid/wall", (0x20, 0x20, 0x20))  # colour alone
    assert tiles["."].name == "passable/floor"  # no name, no colour: from the tags, as before
    assert tiles["."].color == by_char(build_tileset({"tiles": LEGEND["tiles"]}))["."].color
    assert corpus.legend["names"] == {",": "grass", "=": "road"}
    assert corpus.legend["colors"]["#"] == "#202020" and corpus.legend["colors"][","] == "#5a9e3a"


def test_plain_list_legends_stay_valid(tmp_path) -> None:
    plain = {"tiles": LEGEND["tiles"], "view": "top-down"}
    corpus = load_corpus(write_corpus(tmp_path / "c", plain))
    assert by_char(corpus.tileset)[","].name == "passable/grass"
    assert "names" not in corpus.legend and "colors" not in corpus.legend


@pytest.mark.parametrize("colour", ["green", "#5a9e3", "#5a9e3a0", "#gg0000", "5a9e3a", 0x5A9E3A, None, [90, 158, 58]])
def test_a_bad_colour_names_the_file_and_the_char(tmp_path, colour) -> None:
    folder = write_corpus(tmp_path / "c", {**LEGEND, "colors": {",": colour}})
    with pytest.raises(ContentError) as caught:
        load_corpus(folder)
    message = str(caught.value)
    assert str(folder / "legend.json") in message and "','" in message and "#rrggbb" in message


@pytest.mark.parametrize("change, words", [
    ({"names": {"x": "grass"}}, "\"tiles\" lacks"),
    ({"colors": {"x": "#000000"}}, "\"tiles\" lacks"),
    ({"names": {",": "grass", "=": "grass"}}, "both named 'grass'"),
    ({"names": {",": ""}}, "name of tile ','"),
    ({"names": {",": 7}}, "name of tile ','"),
    ({"names": ["grass"]}, "must be an object"),
    ({"colors": "#000000"}, "must be an object"),
])
def test_bad_names_and_colour_maps_are_refused(tmp_path, change, words) -> None:
    with pytest.raises(ContentError, match="legend.json") as caught:
        load_corpus(write_corpus(tmp_path / "c", {**LEGEND, **change}))
    assert words in str(caught.value)


def test_a_given_name_is_kept_and_a_derived_one_steps_aside() -> None:
    legend = {"tiles": {"a": ["passable", "floor"], "b": ["passable", "floor"]}, "names": {"b": "passable/floor"}}
    assert [t.name for t in build_tileset(legend)] == ["passable/floor 'a'", "passable/floor"]


# ---- corpora -------------------------------------------------------------------------------

def test_overworld_export_round_trips_names_and_colours(tmp_path) -> None:
    crops = overworld_crops(2, 16, 32, "identity")
    corpus = load_corpus(save_vglc(crops, overworld_legend(), tmp_path / "ow"))
    for tile in corpus.tileset:
        assert (tile.name, tile.color) == (OVERWORLD[tile.char].name, OVERWORLD[tile.char].color)
    assert np.array_equal(chars(corpus.levels[0]), chars(crops[0]))
    again = load_corpus(save_vglc(corpus, None, tmp_path / "again"))  # a corpus saves its legend whole
    assert again.tileset == corpus.tileset and again.legend == corpus.legend


def test_the_shipped_overworld_corpus_names_and_colours_its_tiles() -> None:
    corpus = load_corpus(assets_dir() / "levels" / "overworld-64")
    assert {(t.char, t.name, t.color) for t in corpus.tileset} == {(t.char, t.name, t.color) for t in OVERWORLD_TILES}


def test_a_procgen_corpus_keeps_its_tileset(tmp_path) -> None:
    level = overworld_crops(1, 16, 32, "identity")[0]
    (tmp_path / "p").mkdir()
    level.save(tmp_path / "p" / "a.json")
    corpus = load_corpus(tmp_path / "p")
    # Its legend rebuilds the same tiles, so a model trained on it keeps the names and colours.
    assert by_char(build_tileset(corpus.legend)) == by_char(level.tileset)


# ---- learned models ------------------------------------------------------------------------

@pytest.mark.parametrize("folder", MODELS, ids=lambda f: f.name)
def test_learned_overworld_previews_tell_walkable_tiles_apart(folder) -> None:
    if not folder.is_dir():
        pytest.skip(f"{folder} is not shipped")
    model = procgen.get(str(folder))
    names = {t.name: t.color for t in model.tileset}
    assert len({names[n] for n in ("grass", "forest", "road", "snow")}) == 4
    level = model.generate(0)
    rgb = np.asarray(Image.open(io.BytesIO(preview_png(level, 4))).convert("RGB"))  # (4H, 4W, 3), 4 px a tile
    ground = level.walkable_mask().repeat(4, axis=0).repeat(4, axis=1)
    markers = {*level.marker_colors(), (0, 0, 0)}  # the spawn ring and goal flag, drawn over tiles
    colors = {tuple(c) for c in np.unique(rgb[ground], axis=0).tolist()} - markers
    assert len(colors) > 1  # walkable ground is no longer one beige


def test_a_saved_model_keeps_its_names_and_colours(tmp_path) -> None:
    model = procgen.get(str(MODELS[1]))
    again = procgen.get(str(model.save(tmp_path / "m")))
    assert again.legend == model.legend and again.tileset == model.tileset
    assert again.legend["names"][","] == "grass"


# ---- Tiled ---------------------------------------------------------------------------------

def test_tiled_tilesets_carry_names_and_colours() -> None:
    files = tileset_files(OVERWORLD_TILES)
    tsx = ElementTree.fromstring(next(v for k, v in files.items() if k.endswith(".tsx")))
    props = [{p.get("name"): p.get("value") for p in tile.iter("property")} for tile in tsx.iter("tile")]
    assert [p["name"] for p in props] == [t.name for t in OVERWORLD_TILES]
    assert props[3]["color"] == "#ff68a448"  # grass, as Tiled writes a colour: #AARRGGBB
    tsj = json.loads(next(v for k, v in files.items() if k.endswith(".tsj")))
    colour = next(p for p in tsj["tiles"][3]["properties"] if p["name"] == "color")
    assert colour == {"name": "color", "type": "color", "value": "#ff68a448"}


def test_a_tiled_export_reads_back_with_names_and_colours(tmp_path) -> None:
    generator = procgen.get("level/overworld", width=32, height=32)
    export(generator, parse_seeds("0:2"), "tmx,tmj", tmp_path / "out", workers=0)
    corpus = load_corpus(tmp_path / "out", format="tiled")
    for tile in corpus.tileset:
        assert (tile.name, tile.color) == (OVERWORLD[tile.char].name, OVERWORLD[tile.char].color)


def test_a_bad_tiled_colour_is_refused(tmp_path) -> None:
    (tmp_path / "m.tmj").write_text(json.dumps({
        "type": "map", "orientation": "orthogonal", "width": 1, "height": 1, "tilewidth": 16, "tileheight": 16,
        "layers": [{"type": "tilelayer", "name": "tiles", "width": 1, "height": 1, "data": [1]}],
        "tilesets": [{"firstgid": 1, "tilecount": 1, "tiles": [{"id": 0, "properties": [
            {"name": "color", "type": "color", "value": "grassy"}]}]}]}), encoding="utf-8")
    with pytest.raises(ContentError, match="property \"color\" must be a Tiled colour"):
        load_corpus(tmp_path, format="tiled")
