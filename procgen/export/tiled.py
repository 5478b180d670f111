"""Tiled maps: TMX and TMJ levels over a shared TSX/TSJ tileset with a generated image.

Layout of an export folder::

    seed-42.tmx / seed-42.tmj         one tile layer "tiles", object layers "markers" and "rivers"
    tilesets/tileset-<hash>.tsx/.tsj  the tileset, one tile per TileMap tile, with properties
    tilesets/tileset-<hash>.png       its image: each tile a square of the tile's colour

Tile properties follow the project's Tiled reader (``procgen.datasets.levels``): ``char``
(the tile's VGLC char), ``tags`` (``passable`` or ``solid``, then the tile's name),
``walkable`` (bool), ``name`` and ``color`` (a Tiled colour property: the tile's preview
colour), so grass and road are told apart in Tiled, and ``load_corpus(folder,
format="tiled")`` reads an export back to the same tiles. Spawn and goal are point objects;
rivers are polylines traced from the river tiles. Files declare Tiled format 1.8, which
Tiled 1.8 and later open.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from PIL import Image

from procgen.content import Tile, TileMap
from procgen.datasets.legend import color_hex
from procgen.datasets.levels import BLOCKING_TAGS
from procgen.export.previews import png_bytes
from procgen.errors import OutputError
from procgen.fileio import atomic_write
from procgen.export.river_trace import river_polylines

TILE_PX = 16
COLUMNS = 32  # up to 32 tiles sit in one row, so the image holds exactly tilecount tiles
TILESET_DIR = "tilesets"
VERSION, TILED_VERSION = "1.8", "1.8.2"
DATA_ENCODINGS = ("csv", "zlib")  # zlib: base64 of zlib-compressed little-endian uint32 gids
_XML = '<?xml version="1.0" encoding="UTF-8"?>\n'
_DATA_SLOT = "\x00tile data\x00"  # a placeholder no real document contains


# ---- the tileset ------------------------------------------------------------------------------

def tile_properties(tile: Tile) -> list[tuple[str, str, Any]]:
    """(name, Tiled type, value) of a tile's properties, sorted by name as Tiled writes them."""
    walk_tag = "passable" if tile.walkable else "solid"
    # A walkable tile named like a blocking tag ("water") keeps its name out of the tags,
    # or the reader would see walkable=true contradict them.
    tags = [walk_tag] if tile.walkable and tile.name in BLOCKING_TAGS else [walk_tag, tile.name]
    return [("char", "string", tile.char), ("color", "color", tiled_color(tile.color)),
            ("name", "string", tile.name), ("tags", "string", ",".join(tags)), ("walkable", "bool", tile.walkable)]


def tiled_color(color: tuple[int, int, int]) -> str:
    """``#AARRGGBB``, opaque: how Tiled writes a colour property."""
    return "#ff" + color_hex(color)[1:]


@lru_cache(maxsize=8)
def tileset_stem(tileset: tuple[Tile, ...]) -> str:
    """``tileset-<hash>``: the name depends on the tiles alone, so every map of a run shares it."""
    described = json.dumps([{**asdict(t), "color": list(t.color)} for t in tileset], sort_keys=True)
    return "tileset-" + hashlib.sha256(described.encode("utf-8")).hexdigest()[:12]


def _grid(count: int) -> tuple[int, int]:
    columns = min(COLUMNS, count)
    return columns, -(-count // columns)


def tileset_image(tileset: tuple[Tile, ...]) -> Image.Image:
    """Each tile a TILE_PX square of its colour with a darker one-pixel rim (RGBA, unused cells clear)."""
    columns, rows = _grid(len(tileset))
    colors = np.array([t.color for t in tileset], dtype=np.float64)  # (T, 3)
    square = np.zeros((TILE_PX, TILE_PX), dtype=bool)
    square[1:-1, 1:-1] = True  # inside; the rim is the rest
    tiles = np.where(square[None, :, :, None], colors[:, None, None, :], 0.7 * colors[:, None, None, :])
    rgba = np.concatenate([np.rint(tiles), np.full(tiles.shape[:3] + (1,), 255.0)], axis=3).astype(np.uint8)
    padded = np.zeros((columns * rows, TILE_PX, TILE_PX, 4), dtype=np.uint8)
    padded[: len(tileset)] = rgba
    sheet = padded.reshape(rows, columns, TILE_PX, TILE_PX, 4).transpose(0, 2, 1, 3, 4)
    return Image.fromarray(sheet.reshape(rows * TILE_PX, columns * TILE_PX, 4), mode="RGBA")


@lru_cache(maxsize=8)
def tileset_files(tileset: tuple[Tile, ...]) -> dict[str, bytes]:
    """The TSX, TSJ and PNG of ``tileset`` under TILESET_DIR (cached: every map of a run shares them)."""
    stem = tileset_stem(tileset)
    return {f"{TILESET_DIR}/{stem}.png": png_bytes(tileset_image(tileset)),
            f"{TILESET_DIR}/{stem}.tsx": _tsx(tileset, stem).encode("utf-8"),
            f"{TILESET_DIR}/{stem}.tsj": _tsj(tileset, stem).encode("utf-8")}


def _tileset_header(tileset: tuple[Tile, ...], stem: str) -> dict[str, Any]:
    columns, rows = _grid(len(tileset))
    return {"name": stem, "tilewidth": TILE_PX, "tileheight": TILE_PX, "tilecount": len(tileset),
            "columns": columns, "image": f"{stem}.png", "imagewidth": columns * TILE_PX,
            "imageheight": rows * TILE_PX}


def _tsx(tileset: tuple[Tile, ...], stem: str) -> str:
    h = _tileset_header(tileset, stem)
    lines = [_XML + f'<tileset version="{VERSION}" tiledversion="{TILED_VERSION}" name="{stem}" '
             f'tilewidth="{TILE_PX}" tileheight="{TILE_PX}" tilecount="{h["tilecount"]}" columns="{h["columns"]}">',
             f' <image source="{h["image"]}" width="{h["imagewidth"]}" height="{h["imageheight"]}"/>']
    for index, tile in enumerate(tileset):
        lines += [f' <tile id="{index}">', "  <properties>"]
        lines += [f"   <property name={quoteattr(n)}{'' if t == 'string' else f' type={quoteattr(t)}'} "
                  f"value={quoteattr(_text(v))}/>" for n, t, v in tile_properties(tile)]
        lines += ["  </properties>", " </tile>"]
    return "\n".join(lines + ["</tileset>", ""])


def _tsj(tileset: tuple[Tile, ...], stem: str) -> str:
    document = {**_tileset_header(tileset, stem), "margin": 0, "spacing": 0, "type": "tileset",
                "version": VERSION, "tiledversion": TILED_VERSION,
                "tiles": [{"id": index, "properties": [{"name": n, "type": t, "value": v}
                                                       for n, t, v in tile_properties(tile)]}
                          for index, tile in enumerate(tileset)]}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


# ---- map objects ----------------------------------------------------------------------------------

def _objects(level: TileMap) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Marker points (spawn, goal) and river polylines, in pixels, ids from 1."""
    markers = [{"name": name, "type": name, "x": _plain((cell[1] + 0.5) * TILE_PX),
                "y": _plain((cell[0] + 0.5) * TILE_PX),
                "row": cell[0], "col": cell[1]}
               for name, cell in (("spawn", level.spawn), ("goal", level.goal)) if cell is not None]
    rivers = []
    for number, line in enumerate(river_polylines(level), start=1):
        pixels = (line[:, ::-1] + 0.5) * TILE_PX  # (K, 2) x, y of cell centres
        rivers.append({"name": f"river {number}", "type": "river", "x": _plain(pixels[0, 0]),
                       "y": _plain(pixels[0, 1]),
                       "points": [[_plain(x), _plain(y)] for x, y in (pixels - pixels[0]).tolist()]})
    for index, item in enumerate(markers + rivers, start=1):
        item["id"] = index
    return markers, rivers


def _plain(value: float) -> int | float:
    """An int when the value is whole (cell centres at even TILE_PX are), so files read cleanly."""
    return int(value) if float(value).is_integer() else float(value)


def _number(value: float) -> str:
    return str(_plain(value))


def _gids(level: TileMap) -> np.ndarray:
    return level.tiles.astype("<u4") + 1  # firstgid 1: gid 0 means "no tile"


def _zlib(gids: np.ndarray) -> str:
    return base64.b64encode(zlib.compress(gids.tobytes(), 6)).decode("ascii")


# ---- TMX ----------------------------------------------------------------------------------------

def tmx(level: TileMap, encoding: str = "csv") -> bytes:
    """The TMX map of ``level``; its tileset is ``tileset_files(level.tileset)``."""
    stem = tileset_stem(level.tileset)
    rows, cols = level.shape
    markers, rivers = _objects(level)
    lines = [_XML + f'<map version="{VERSION}" tiledversion="{TILED_VERSION}" orientation="orthogonal" '
             f'renderorder="right-down" width="{cols}" height="{rows}" tilewidth="{TILE_PX}" '
             f'tileheight="{TILE_PX}" infinite="0" nextlayerid="4" nextobjectid="{len(markers) + len(rivers) + 1}">',
             f' <tileset firstgid="1" source="{TILESET_DIR}/{stem}.tsx"/>',
             f' <layer id="1" name="tiles" width="{cols}" height="{rows}">', _tmx_data(_gids(level), encoding),
             " </layer>", ' <objectgroup id="2" name="markers">']
    lines += [_tmx_marker(m) for m in markers]
    lines += [" </objectgroup>", ' <objectgroup id="3" name="rivers">']
    lines += [_tmx_river(r) for r in rivers]
    lines += [" </objectgroup>", "</map>", ""]
    return "\n".join(lines).encode("utf-8")


def _gid_csv(gids: np.ndarray, row_end: str) -> str:
    """The gids as comma-separated decimal text, ``row_end`` after each row but the last.

    Vectorized: each cell picks a token (its gid's text plus separator) from a small table
    of NUL-padded bytes; dropping the padding leaves the text.
    """
    cols = gids.shape[1]
    separator = np.zeros(gids.size, dtype=np.int64)  # 0: ",", 1: row_end, 2: nothing (the last cell)
    separator[cols - 1::cols] = 1
    separator[-1] = 2
    tokens = [f"{g}{end}".encode("ascii") for g in range(int(gids.max()) + 1) for end in (",", row_end, "")]
    table = np.zeros((len(tokens), max(map(len, tokens))), dtype=np.uint8)
    for i, token in enumerate(tokens):
        table[i, :len(token)] = np.frombuffer(token, dtype=np.uint8)
    padded = table[gids.ravel().astype(np.int64) * 3 + separator]  # (cells, width)
    return padded[padded != 0].tobytes().decode("ascii")


def _tmx_data(gids: np.ndarray, encoding: str) -> str:
    if encoding == "zlib":
        return f'  <data encoding="base64" compression="zlib">{_zlib(gids)}</data>'
    return '  <data encoding="csv">\n' + _gid_csv(gids, ",\n") + "\n</data>"


def _tmx_marker(m: dict[str, Any]) -> str:
    return (f'  <object id="{m["id"]}" name="{m["name"]}" type="{m["type"]}" x="{_number(m["x"])}" '
            f'y="{_number(m["y"])}">\n   <properties>\n'
            f'    <property name="col" type="int" value="{m["col"]}"/>\n'
            f'    <property name="row" type="int" value="{m["row"]}"/>\n'
            f'   </properties>\n   <point/>\n  </object>')


def _tmx_river(r: dict[str, Any]) -> str:
    points = " ".join(f"{_number(x)},{_number(y)}" for x, y in r["points"])
    return (f'  <object id="{r["id"]}" name={quoteattr(r["name"])} type="{r["type"]}" x="{_number(r["x"])}" '
            f'y="{_number(r["y"])}">\n   <polyline points="{escape(points)}"/>\n  </object>')


# ---- TMJ ----------------------------------------------------------------------------------------

def tmj(level: TileMap, encoding: str = "csv") -> bytes:
    """The TMJ map of ``level``; its tileset is ``tileset_files(level.tileset)``."""
    rows, cols = level.shape
    markers, rivers = _objects(level)
    gids = _gids(level)
    layer: dict[str, Any] = {"id": 1, "name": "tiles", "type": "tilelayer", "x": 0, "y": 0, "width": cols,
                             "height": rows, "opacity": 1, "visible": True}
    if encoding == "zlib":
        layer.update(encoding="base64", compression="zlib", data=_zlib(gids))
    else:  # Tiled's default: a plain array, no "encoding" key; spliced in below as text
        layer["data"] = _DATA_SLOT
    document = {
        "type": "map", "version": VERSION, "tiledversion": TILED_VERSION, "orientation": "orthogonal",
        "renderorder": "right-down", "width": cols, "height": rows, "tilewidth": TILE_PX,
        "tileheight": TILE_PX, "infinite": False, "nextlayerid": 4,
        "nextobjectid": len(markers) + len(rivers) + 1,
        "tilesets": [{"firstgid": 1, "source": f"{TILESET_DIR}/{tileset_stem(level.tileset)}.tsj"}],
        "layers": [layer, _object_layer(2, "markers", [_tmj_marker(m) for m in markers]),
                   _object_layer(3, "rivers", [_tmj_river(r) for r in rivers])],
    }
    text = json.dumps(document, separators=(",", ":"))
    if encoding != "zlib":  # json.dumps of 65k ints costs more than the level's PNG
        text = text.replace(json.dumps(_DATA_SLOT), "[" + _gid_csv(gids, ",") + "]", 1)
    return text.encode("utf-8")


def _object_layer(layer_id: int, name: str, objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": layer_id, "name": name, "type": "objectgroup", "draworder": "topdown", "x": 0, "y": 0,
            "opacity": 1, "visible": True, "objects": objects}


def _tmj_object(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "name": item["name"], "type": item["type"], "x": item["x"], "y": item["y"],
            "width": 0, "height": 0, "rotation": 0, "visible": True}


def _tmj_marker(m: dict[str, Any]) -> dict[str, Any]:
    return {**_tmj_object(m), "point": True, "properties": [
        {"name": "col", "type": "int", "value": m["col"]}, {"name": "row", "type": "int", "value": m["row"]}]}


def _tmj_river(r: dict[str, Any]) -> dict[str, Any]:
    return {**_tmj_object(r), "polyline": [{"x": x, "y": y} for x, y in r["points"]]}


# ---- one map as files ---------------------------------------------------------------------------

MAP_WRITERS = {".tmx": tmx, ".tmj": tmj}


def write_map(level: TileMap, path: Path, encoding: str = "csv") -> list[Path]:
    """``path`` (.tmx or .tmj) and its tileset beside it in TILESET_DIR, each file whole or absent.

    Everything is rendered before anything is written; the tileset goes first, so a map on
    disk never points at a missing tileset. A tileset already there with the same name
    holds the same tiles (the name is their hash) and is left as it is.
    """
    document = MAP_WRITERS[path.suffix.lower()](level, encoding)
    written = []
    for name, data in tileset_files(level.tileset).items():
        target = path.parent / name
        if target.is_file() and target.read_bytes() == data:
            continue
        try:
            target.parent.mkdir(exist_ok=True)
        except OSError as exc:  # e.g. a file named like the tileset folder
            raise OutputError(f"cannot create the tileset folder '{target.parent}': {exc.strerror or exc}") from None
        written.append(atomic_write(target, lambda stream, data=data: stream.write(data)))
    written.append(atomic_write(path, lambda stream: stream.write(document)))
    return written
