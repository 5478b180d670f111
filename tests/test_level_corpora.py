"""Level corpora: the shipped VGLC corpus, VGLC round trips and errors, Tiled TMX/TMJ maps."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from procgen.content import Tile, TileMap
from procgen.datasets.levels import LevelCorpus, build_tileset, is_walkable, load_corpus, save_vglc
from procgen.errors import ContentError

LEVELS = Path(__file__).resolve().parent.parent / "assets" / "levels"
ROOMS = LEVELS / "vglc-rooms"
TILED = LEVELS / "tiled"
ROOM = ["########", "#S..~~.#", "#.^.~~.#", "#..e..$#", "#.....G#", "########"]
LEGEND = {"tiles": {"#": ["solid"], ".": ["passable"], "S": ["passable", "spawn"], "G": ["passable", "goal"]}}


def reachable(level: TileMap, start: tuple[int, int], goal: tuple[int, int]) -> bool:
    walk = level.walkable_mask()
    seen, queue = {start}, deque([start])
    while queue:
        r, c = queue.popleft()
        if (r, c) == goal:
            return True
        for n in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if 0 <= n[0] < walk.shape[0] and 0 <= n[1] < walk.shape[1] and walk[n] and n not in seen:
                seen.add(n)
                queue.append(n)
    return False


def chars(level: TileMap) -> list[str]:
    table = np.array([t.char for t in level.tileset])
    return ["".join(row) for row in table[level.tiles]]


def write_vglc(folder: Path, grids: dict[str, str], legend: object = LEGEND) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in grids.items():
        (folder / f"{name}.txt").write_text(text)
    if legend is not None:
        (folder / "legend.json").write_text(legend if isinstance(legend, str) else json.dumps(legend))
    return folder


# ---- the shipped corpus -------------------------------------------------------------------

@pytest.fixture(scope="module")
def rooms() -> LevelCorpus:
    return load_corpus(ROOMS)


def test_shipped_corpus_loads(rooms: LevelCorpus) -> None:
    assert len(rooms) >= 20 and len(rooms.names) == len(rooms)
    assert rooms.view == "top-down"
    assert [t.char for t in rooms.tileset] == sorted(rooms.legend["tiles"])
    kinds = {name.split("-")[0] for name in rooms.names}
    assert {"rooms", "islands", "cave", "maze", "arena"} <= kinds
    for level in rooms.levels:
        h, w = level.shape
        assert 16 <= h <= 24 and 24 <= w <= 40
        assert level.tileset == rooms.tileset


def test_shipped_tags_and_walkability(rooms: LevelCorpus) -> None:
    by_char = {t.char: i for i, t in enumerate(rooms.tileset)}
    assert rooms.tags(by_char["#"]) == {"solid", "wall"}
    assert rooms.tags(by_char["$"]) == {"passable", "collectable", "coin"}
    assert [t.walkable for t in rooms.tileset] == [is_walkable(rooms.tags(i)) for i in range(len(rooms.tileset))]
    assert {t.char for t in rooms.tileset if not t.walkable} == {"#", "~", "^"}


def test_shipped_levels_have_one_spawn_and_goal_and_are_playable(rooms: LevelCorpus) -> None:
    for name, level in zip(rooms.names, rooms.levels):
        grid = chars(level)
        assert sum(row.count("S") for row in grid) == 1, name
        assert sum(row.count("G") for row in grid) == 1, name
        assert level.spawn is not None and grid[level.spawn[0]][level.spawn[1]] == "S"
        assert level.goal is not None and grid[level.goal[0]][level.goal[1]] == "G"
        assert reachable(level, level.spawn, level.goal), name


# ---- VGLC ---------------------------------------------------------------------------------

def test_vglc_round_trip(rooms: LevelCorpus, tmp_path: Path) -> None:
    save_vglc(rooms, None, tmp_path / "copy")
    again = load_corpus(tmp_path / "copy", format="vglc")
    assert again == rooms
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted(["legend.json"] + [
        f"{n}.txt" for n in rooms.names])
    assert (tmp_path / "copy" / f"{rooms.names[0]}.txt").read_text() == (ROOMS / f"{rooms.names[0]}.txt").read_text()


def test_save_vglc_from_tilemaps(tmp_path: Path) -> None:
    tileset = build_tileset(LEGEND)
    level = load_corpus(write_vglc(tmp_path / "a", {"one": "####\n#SG#\n####\n"})).levels[0]
    save_vglc([level], LEGEND, tmp_path / "b")
    again = load_corpus(tmp_path / "b")
    assert again.names == ("level_000",) and again.levels[0] == level and again.levels[0].tileset == tileset
    with pytest.raises(ContentError, match="legend lacks"):
        save_vglc([level], {"tiles": {"#": ["solid"]}}, tmp_path / "c")


def test_legend_order_does_not_change_ids(tmp_path: Path) -> None:
    reordered = {"tiles": dict(reversed(list(LEGEND["tiles"].items())))}
    a = load_corpus(write_vglc(tmp_path / "a", {"x": "#S.G#\n"}))
    b = load_corpus(write_vglc(tmp_path / "b", {"x": "#S.G#\n"}, reordered))
    assert a.levels[0] == b.levels[0]


@pytest.mark.parametrize("grids, legend, match", [
    ({"x": "####\n#S.\n####\n"}, LEGEND, r"x.txt' line 2: 3 characters"),
    ({"x": "####\n#SQ#\n####\n"}, LEGEND, r"x.txt' line 2 column 3: unknown character 'Q'"),
    ({"x": "####\n"}, "{not json", "not valid JSON"),
    ({"x": "####\n"}, None, "no legend"),
    ({"x": "####\n"}, {"tiles": {"##": ["solid"]}}, "one visible character"),
    ({"x": "####\n"}, {"tiles": {"#": "solid"}}, "list of non-empty tag strings"),
    ({"x": "####\n"}, {"tiles": {"#": ["solid"]}, "view": "isometric"}, "view must be"),
    ({"x": "\n"}, LEGEND, "holds no grid"),
    ({"x": "#S#\n#~#\n"}, {"tiles": {"#": ["solid"], "S": ["water", "spawn"], "~": ["water"]}}, "spawn"),
])
def test_bad_vglc_files(tmp_path: Path, grids: dict[str, str], legend: object, match: str) -> None:
    with pytest.raises(ContentError, match=match):
        load_corpus(write_vglc(tmp_path, grids, legend), format="vglc")


def test_corpus_errors(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="not a folder"):
        load_corpus(tmp_path / "nope")
    with pytest.raises(ContentError, match="holds no levels"):
        load_corpus(tmp_path)
    with pytest.raises(ContentError, match="unknown level corpus format"):
        load_corpus(tmp_path, format="mario")


def test_procgen_tilemap_folder(tmp_path: Path) -> None:
    tileset = (Tile("wall", (0, 0, 0), "#", False), Tile("floor", (9, 9, 9), ".", True))
    for i in range(2):
        level = TileMap(np.array([[0, 0, 0], [0, 1, 1 - i]]), tileset, spawn=(1, 1))
        level.save(tmp_path / f"m{i}.{'json' if i else 'npz'}")
    corpus = load_corpus(tmp_path)
    assert corpus.names == ("m0", "m1") and corpus.tags(0) == {"solid", "wall"}
    assert corpus.levels[0].spawn == (1, 1)


# ---- Tiled --------------------------------------------------------------------------------

def test_tiled_maps_match_expected_tiles() -> None:
    corpus = load_corpus(TILED)  # room-csv.tmx (external .tsx, CSV) and room-zlib.tmj (embedded, base64+zlib)
    assert corpus.names == ("room-csv", "room-zlib")
    for level in corpus.levels:
        assert chars(level) == ROOM  # flipped walls read as walls: flags stripped
        assert level.spawn == (1, 1) and level.goal == (4, 6)
    assert corpus.levels[0] == corpus.levels[1]
    by_char = {t.char: i for i, t in enumerate(corpus.tileset)}
    assert corpus.tags(by_char["."]) == {"floor", "passable"}
    assert corpus.tags(by_char["~"]) == {"water"} and not corpus.tileset[by_char["~"]].walkable


def test_tiled_matches_vglc_legend(rooms: LevelCorpus) -> None:
    tiled = load_corpus(TILED)
    assert {c: set(t) for c, t in tiled.legend["tiles"].items()} == \
        {c: set(t) for c, t in rooms.legend["tiles"].items()}


def _tmj(tmp_path: Path, **changes: object) -> Path:
    doc = json.loads((TILED / "room-zlib.tmj").read_text())
    layer = doc["layers"][0]
    for key, value in changes.items():
        if key == "layer":
            layer.update(value)  # type: ignore[arg-type]
        else:
            doc[key] = value
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "m.tmj").write_text(json.dumps(doc))
    return tmp_path


def test_tiled_gzip_csv_and_gid_zero(tmp_path: Path) -> None:
    gids = np.arange(1, 9, dtype="<u4")
    gids[1] = 0  # an empty cell
    data = base64.b64encode(gzip.compress(gids.tobytes())).decode()
    corpus = load_corpus(_tmj(tmp_path, width=8, height=1, layer={"width": 8, "height": 1, "data": data,
                                                                  "compression": "gzip"}))
    assert chars(corpus.levels[0])[0][0] == "#" and "empty" in corpus.tags(corpus.levels[0].tiles[0, 1])
    csv = load_corpus(_tmj(tmp_path / "csv", layer={"encoding": "csv", "compression": "",
                                                   "data": [1] * 48}))
    assert chars(csv.levels[0]) == ["########"] * 6


def test_tiled_properties_without_chars(tmp_path: Path) -> None:
    doc = json.loads((TILED / "room-zlib.tmj").read_text())
    for tile in doc["tilesets"][0]["tiles"]:
        tile["properties"] = [p for p in tile["properties"] if p["name"] != "char"]
    (tmp_path / "m.tmj").write_text(json.dumps(doc))
    assert chars(load_corpus(tmp_path).levels[0]) == ROOM  # chars assigned from tags


@pytest.mark.parametrize("changes, match", [
    ({"infinite": True}, "infinite maps are not supported"),
    ({"orientation": "isometric"}, "isometric maps are not supported"),
    ({"layers": []}, "exactly one tile layer, found 0"),
    ({"tilesets": []}, "no tileset"),
    ({"tilesets": [{"firstgid": 1, "source": "missing.tsj"}]}, "tileset 'missing.tsj' is missing"),
    ({"layer": {"compression": "zstd"}}, "zstd compression is not supported"),
    ({"layer": {"data": "!!!"}}, "corrupt tile layer data"),
    ({"layer": {"width": 7}}, "holds 48 gids, expected 42"),
])
def test_unsupported_tiled_maps(tmp_path: Path, changes: dict[str, object], match: str) -> None:
    with pytest.raises(ContentError, match=match):
        load_corpus(_tmj(tmp_path, **changes))


def test_tmx_several_layers_and_bad_xml(tmp_path: Path) -> None:
    text = (TILED / "room-csv.tmx").read_text()
    shutil.copy(TILED / "rooms.tsx", tmp_path / "rooms.tsx")
    layer = text[text.index(" <layer"):text.index("</map>")]
    (tmp_path / "m.tmx").write_text(text.replace("</map>", layer + "</map>"))
    with pytest.raises(ContentError, match="exactly one tile layer, found 2"):
        load_corpus(tmp_path)
    (tmp_path / "m.tmx").write_text(text[:200])
    with pytest.raises(ContentError, match="not valid XML"):
        load_corpus(tmp_path)
    (tmp_path / "m.tmx").write_text(text.replace("1,7,2", "1,7,99"))
    with pytest.raises(ContentError, match="gid 99 belongs to no tileset"):
        load_corpus(tmp_path)


def test_external_tileset_is_resolved_relative_to_the_map(tmp_path: Path) -> None:
    # Inside the corpus folder: one outside it is refused (tests/test_hardening.py).
    (tmp_path / "maps" / "sets").mkdir(parents=True)
    shutil.copy(TILED / "rooms.tsx", tmp_path / "maps" / "sets" / "rooms.tsx")
    text = (TILED / "room-csv.tmx").read_text().replace('source="rooms.tsx"', 'source="sets/rooms.tsx"')
    (tmp_path / "maps" / "m.tmx").write_text(text)
    assert chars(load_corpus(tmp_path / "maps").levels[0]) == ROOM
    (tmp_path / "maps" / "sets" / "rooms.tsx").unlink()
    with pytest.raises(ContentError, match="missing"):
        load_corpus(tmp_path / "maps")
