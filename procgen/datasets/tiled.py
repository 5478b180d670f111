"""Tiled level corpora: a folder of TMX/TMJ maps becomes a :class:`LevelCorpus`.

Tiled maps (orthogonal, finite, exactly one tile layer; CSV, XML or base64 data with
optional zlib/gzip compression; embedded or external ``.tsx``/``.tsj`` tilesets). A tile's
tags come from its tileset properties: a string property ``tags`` (comma separated, e.g.
``"solid,wall"``), a boolean ``walkable`` (adds ``passable`` or ``solid``), and its Tiled
class/type if set. An optional string property ``char`` picks its VGLC char; otherwise
chars are assigned from the tags. Optional ``name`` (string) and ``color`` (Tiled colour)
properties become the legend's tile name and colour (as procgen's Tiled export writes them).
Tiles with identical tags become one corpus tile. Cells with gid 0 (no tile) become an
``empty``, passable tile.

Maps are untrusted input: a layer's declared size bounds what its data may inflate to,
and an external tileset must lie inside the corpus folder.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple
from xml.etree import ElementTree

import numpy as np

from procgen.datasets.legend import parse_color
from procgen.datasets.levels import (BLOCKING_TAGS, TILED_MAP_SUFFIXES, LevelCorpus, _files, _read_json, _tilemap,
                                     build_tileset, is_walkable)
from procgen.errors import ContentError, shown

__all__ = ["load_tiled"]

# Chars for Tiled tiles without a "char" property, by the same priority; then a free pool.
_TAG_CHARS = (("spawn", "S"), ("goal", "G"), ("hazard", "^"), ("enemy", "e"), ("collectable", "$"),
              ("water", "~"), ("solid", "#"), ("empty", "-"), ("passable", "."))
_CHAR_POOL = "ABCDEFHIJKLMNOPQRTUVWXYZabcdfghijklmnopqrstuvwxyz0123456789%&*+=@!?<>:;"

# Tiled keeps flip/rotation flags in the top 4 bits of a gid (bit 28 is hex rotation, which
# Tiled itself clears on every map kind); the tile id is what remains.
_GID_MASK = 0x0FFFFFFF
# The largest layer read (cells): far above any level corpus, and it bounds what a layer's
# data may inflate to (4 bytes a cell), so a small file cannot claim gigabytes.
MAX_SIDE = 4096
_COUNT_FURTHER = 1 << 20  # bytes inflated past a layer's size to report how long it is


class _TileInfo(NamedTuple):
    tags: frozenset[str]
    char: str | None  # the explicit char, if the tile has one
    name: str | None = None
    color: str | None = None  # "#rrggbb"


@dataclass(frozen=True)
class _TiledTileset:
    firstgid: int
    count: int | None  # None: unknown, any local id with properties or below it is accepted
    tags: dict[int, _TileInfo]  # by local id


@dataclass(frozen=True)
class _TiledMap:
    gids: np.ndarray  # (H, W) int64, flags stripped
    tilesets: list[_TiledTileset]


def _tile_tags(props: Mapping[str, Any], kind: str | None, where: str) -> _TileInfo:
    tags: set[str] = set()
    raw = props.get("tags")
    if raw is not None:
        if not isinstance(raw, str):
            raise ContentError(f"{where}: property \"tags\" must be a string such as \"solid,wall\"")
        tags |= {t.strip() for t in raw.split(",") if t.strip()}
    walkable = props.get("walkable")
    if walkable is not None:
        if isinstance(walkable, str) and walkable in ("true", "false"):  # TMX writes booleans as text
            walkable = walkable == "true"
        if not isinstance(walkable, bool):
            raise ContentError(f"{where}: property \"walkable\" must be a boolean")
        if walkable and not is_walkable(tags):
            raise ContentError(f"{where}: walkable=true contradicts tags {sorted(tags & BLOCKING_TAGS)}")
        tags.add("passable" if walkable else "solid")
    if kind:
        tags.add(kind)
    char = props.get("char")
    if char is not None and (not isinstance(char, str) or len(char) != 1 or char.isspace()):
        raise ContentError(f"{where}: property \"char\" must be one visible character")
    return _TileInfo(frozenset(tags or {"passable"}), char, *_tile_look(props, where))


def _tile_look(props: Mapping[str, Any], where: str) -> tuple[str | None, str | None]:
    """The tile's ``name`` and ``color`` properties; a Tiled colour is #AARRGGBB or #RRGGBB."""
    name, color = props.get("name"), props.get("color")
    if name is not None and (not isinstance(name, str) or not name.strip() or not name.isprintable()):
        raise ContentError(f"{where}: property \"name\" must be non-empty printable text")
    if color is None:
        return name, None
    opaque = "#" + color[3:] if isinstance(color, str) and len(color) == 9 else color  # previews have no alpha
    try:
        parse_color(opaque, where, "")
    except ContentError:
        raise ContentError(f"{where}: property \"color\" must be a Tiled colour such as \"#ff5a9e3a\", "
                           f"got {color!r}") from None
    return name, opaque.lower()


def _xml(path: Path) -> ElementTree.Element:
    try:
        return ElementTree.parse(path).getroot()
    except FileNotFoundError:
        raise ContentError(f"Tiled file '{path}' is missing") from None
    except OSError as exc:
        raise ContentError(f"cannot read '{path}': {exc.strerror or exc}") from None
    except ElementTree.ParseError as exc:
        raise ContentError(f"'{path}' is not valid XML ({exc})") from None


def _int(value: Any, what: str, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        raise ContentError(f"{where}: {what} must be an integer, got {shown(value)}") from None


def _size(layer: Any, where: str) -> tuple[int, int]:
    """The layer's (width, height), each in 1..MAX_SIDE."""
    width, height = _int(layer.get("width"), "width", where), _int(layer.get("height"), "height", where)
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ContentError(f"{where}: the tile layer is {width}x{height}; width and height must be "
                           f"1 to {MAX_SIDE}")
    return width, height


def _tsx_tileset(node: ElementTree.Element, firstgid: int, where: str) -> _TiledTileset:
    tags = {}
    for tile in node.findall("tile"):
        props = {p.get("name"): p.get("value", p.text) for p in tile.findall("properties/property")}
        local = _int(tile.get("id"), "tile id", where)
        tags[local] = _tile_tags(props, tile.get("class") or tile.get("type"), f"{where} tile {local}")
    count = node.get("tilecount")
    return _TiledTileset(firstgid, None if count is None else _int(count, "tilecount", where), tags)


def _tsj_tileset(doc: Mapping[str, Any], firstgid: int, where: str) -> _TiledTileset:
    tags = {}
    for tile in doc.get("tiles") or []:
        props = {p.get("name"): p.get("value") for p in tile.get("properties") or [] if isinstance(p, Mapping)}
        local = _int(tile.get("id"), "tile id", where)
        tags[local] = _tile_tags(props, tile.get("class") or tile.get("type"), f"{where} tile {local}")
    count = doc.get("tilecount")
    return _TiledTileset(firstgid, None if count is None else _int(count, "tilecount", where), tags)


def _external_tileset(map_path: Path, source: str, firstgid: int, corpus: Path) -> _TiledTileset:
    path = _inside(map_path, source, corpus)
    where = f"'{path}' (tileset of '{map_path}')"
    if path.suffix.lower() == ".tsx":
        root = _xml(path)
        if root.tag != "tileset":
            raise ContentError(f"{where} is not a TSX tileset")
        return _tsx_tileset(root, firstgid, where)
    doc = _read_json(path, "tileset")
    if not isinstance(doc, Mapping):
        raise ContentError(f"{where} is not a TSJ tileset")
    return _tsj_tileset(doc, firstgid, where)


def _inside(map_path: Path, source: str, corpus: Path) -> Path:
    """The tileset file ``source`` names, refused unless it lies in the corpus folder (after
    links): a shared map must not read, and copy tags from, files elsewhere on the machine."""
    if not isinstance(source, str):
        raise ContentError(f"'{map_path}': tileset source must be text, got {shown(source)}")
    path = map_path.parent / source
    try:
        real, root = path.resolve(), corpus.resolve()
        present = real.is_file()
    except (OSError, RuntimeError, ValueError) as exc:  # a loop of links, a name too long, a NUL
        raise ContentError(f"'{map_path}': cannot read tileset {shown(source)} ({exc})") from None
    if not real.is_relative_to(root):
        raise ContentError(f"'{map_path}': tileset {shown(source)} lies outside the corpus folder '{corpus}'; "
                           "copy the tileset into the folder")
    if not present:
        raise ContentError(f"'{map_path}': tileset {shown(source)} is missing")
    return path


def _decode(data: Any, encoding: str | None, compression: str | None, cells: int, where: str) -> np.ndarray:
    """Raw gids (cells,) uint32 from a layer's data, with flip flags still set."""
    try:
        if encoding == "csv":
            values = [int(v) for v in data.replace("\n", "").split(",") if v.strip()] \
                if isinstance(data, str) else list(data)
            gids = np.array(values, dtype=np.uint64)
        elif encoding == "base64":
            raw = base64.b64decode("".join(str(data).split()), validate=True)
            if compression:
                raw = _inflate(raw, compression, 4 * cells, where)
            gids = np.frombuffer(raw, dtype="<u4").astype(np.uint64)
        else:
            raise ContentError(f"{where}: layer encoding {encoding!r} is not supported (use csv or base64)")
    except ContentError:
        raise
    except (ValueError, TypeError, OverflowError, zlib.error, OSError, EOFError) as exc:
        raise ContentError(f"{where}: corrupt tile layer data ({exc})") from None
    if gids.size != cells or (gids > 0xFFFFFFFF).any():
        raise ContentError(f"{where}: tile layer holds {gids.size} gids, expected {cells}")
    return gids


def _inflate(raw: bytes, compression: str, limit: int, where: str) -> bytes:
    """Decompress at most ``limit`` bytes (what the layer's declared size needs), then refuse:
    a zip bomb stops after a little more than that instead of filling memory."""
    if compression not in ("zlib", "gzip"):
        raise ContentError(f"{where}: {compression} compression is not supported (use zlib, gzip or none)")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if compression == "gzip" else 0))
    out = inflater.decompress(raw, limit + 1)
    if len(out) > limit:
        # Count a little further, in small discarded pieces, only to say how much too long it is.
        total, chunk = len(out), b"-"
        while chunk and not inflater.eof and total <= limit + _COUNT_FURTHER:
            chunk = inflater.decompress(inflater.unconsumed_tail, 1 << 16)
            total += len(chunk)
        held = f"{total // 4}" if inflater.eof else f"more than {total // 4}"
        raise ContentError(f"{where}: tile layer holds {held} gids, expected {limit // 4} (its declared size)")
    if not inflater.eof:
        raise ContentError(f"{where}: corrupt tile layer data (the {compression} stream is truncated)")
    return out


def _read_tmx(path: Path, corpus: Path) -> _TiledMap:
    root = _xml(path)
    where = f"'{path}'"
    if root.tag != "map":
        raise ContentError(f"{where} is not a TMX map")
    _check_map(root.get("orientation"), root.get("infinite", "0") == "1", where)
    tilesets = []
    for node in root.findall("tileset"):
        firstgid = _int(node.get("firstgid"), "firstgid", where)
        source = node.get("source")
        tilesets.append(_external_tileset(path, source, firstgid, corpus) if source
                        else _tsx_tileset(node, firstgid, where))
    if root.findall("group"):
        raise ContentError(f"{where}: group layers are not supported; flatten the map to one tile layer")
    layer = _one_layer(root.findall("layer"), where)
    width, height = _size(layer, where)
    data = layer.find("data")
    if data is None:
        raise ContentError(f"{where}: the tile layer has no <data>")
    if data.get("encoding") is None:  # the old XML form: one <tile gid=".."/> per cell
        gids = _decode([_int(t.get("gid", 0), "gid", where) for t in data.findall("tile")], "csv", None,
                       width * height, where)
    else:
        gids = _decode(data.text or "", data.get("encoding"), data.get("compression"), width * height, where)
    return _TiledMap((gids & _GID_MASK).astype(np.int64).reshape(height, width), tilesets)


def _read_tmj(path: Path, corpus: Path) -> _TiledMap:
    doc = _read_json(path, "Tiled map")
    where = f"'{path}'"
    if not isinstance(doc, Mapping) or doc.get("type", "map") != "map" or "layers" not in doc:
        raise ContentError(f"{where} is not a TMJ map")
    _check_map(doc.get("orientation"), bool(doc.get("infinite")), where)
    tilesets = []
    for entry in doc.get("tilesets") or []:
        if not isinstance(entry, Mapping):
            raise ContentError(f"{where}: a tileset entry must be an object, got {shown(entry)}")
        firstgid = _int(entry.get("firstgid"), "firstgid", where)
        tilesets.append(_external_tileset(path, entry["source"], firstgid, corpus) if entry.get("source")
                        else _tsj_tileset(entry, firstgid, where))
    if not isinstance(doc["layers"], list):
        raise ContentError(f"{where}: \"layers\" must be a list")
    layers = [layer for layer in doc["layers"] if isinstance(layer, Mapping)]
    if any(layer.get("type") == "group" for layer in layers):
        raise ContentError(f"{where}: group layers are not supported; flatten the map to one tile layer")
    layer = _one_layer([layer for layer in layers if layer.get("type") == "tilelayer"], where)
    width, height = _size(layer, where)
    gids = _decode(layer.get("data"), layer.get("encoding", "csv"), layer.get("compression"), width * height, where)
    return _TiledMap((gids & _GID_MASK).astype(np.int64).reshape(height, width), tilesets)


def _check_map(orientation: str | None, infinite: bool, where: str) -> None:
    if infinite:
        raise ContentError(f"{where}: infinite maps are not supported; resize the map to a fixed size in Tiled")
    if orientation not in (None, "orthogonal"):
        raise ContentError(f"{where}: {orientation} maps are not supported (only orthogonal)")


def _one_layer(layers: list[Any], where: str) -> Any:
    if len(layers) != 1:
        raise ContentError(f"{where}: expected exactly one tile layer, found {len(layers)}")
    return layers[0]


def _gid_tags(tiled: _TiledMap, where: str) -> dict[int, _TileInfo]:
    """Tags of every gid the map uses (0 is the empty tile)."""
    if not tiled.tilesets and (tiled.gids > 0).any():
        raise ContentError(f"{where}: the map has tiles but no tileset")
    starts = sorted(tiled.tilesets, key=lambda t: t.firstgid)
    result: dict[int, _TileInfo] = {}
    for gid in np.unique(tiled.gids).tolist():
        if gid == 0:
            result[0] = _TileInfo(frozenset({"empty", "passable"}), None)
            continue
        owner = next((t for t in reversed(starts) if t.firstgid <= gid), None)
        local = gid - owner.firstgid if owner else -1
        if owner is None or (owner.count is not None and local >= owner.count):
            raise ContentError(f"{where}: gid {gid} belongs to no tileset")
        result[gid] = owner.tags.get(local, _TileInfo(frozenset({"passable"}), None))
    return result


def _assign_chars(tag_sets: dict[frozenset[str], str | None], where: str) -> dict[frozenset[str], str]:
    """A char per distinct tag set: the explicit one, else by tag, else from a pool (deterministic)."""
    chars: dict[frozenset[str], str] = {}
    for tags, char in tag_sets.items():
        if char is not None:
            if char in chars.values():
                raise ContentError(f"{where}: char {char!r} is given to tiles with different tags")
            chars[tags] = char
    for tags in sorted(set(tag_sets) - set(chars), key=lambda t: sorted(t)):
        preferred = [c for tag, c in _TAG_CHARS if tag in tags] + list(_CHAR_POOL)
        free = next((c for c in preferred if c not in chars.values()), None)
        if free is None:
            raise ContentError(f"{where}: too many distinct tile kinds to give each a char")
        chars[tags] = free
    return chars


def _identity(per_map: list[dict[int, _TileInfo]], chars: dict[frozenset[str], str]) -> dict[str, Any]:
    """Legend ``names`` / ``colors`` by char from the tiles' properties: the first given for
    each tag set; a name two tag sets share is left out (tile names must be unique)."""
    names: dict[str, str] = {}
    colors: dict[str, str] = {}
    for info in (info for gid_tags in per_map for info in gid_tags.values()):
        if info.name is not None:
            names.setdefault(chars[info.tags], info.name)
        if info.color is not None:
            colors.setdefault(chars[info.tags], info.color)
    shared = {name for name in names.values() if list(names.values()).count(name) > 1}
    names = {char: name for char, name in names.items() if name not in shared}
    return {key: value for key, value in (("names", names), ("colors", colors)) if value}


def load_tiled(folder: Path) -> LevelCorpus:
    """The levels of a folder of Tiled maps, over one tileset built from their tile tags."""
    files = _files(folder, TILED_MAP_SUFFIXES)
    maps = [(_read_tmx if f.suffix.lower() == ".tmx" else _read_tmj)(f, folder) for f in files]
    per_map = [_gid_tags(m, f"'{f}'") for f, m in zip(files, maps)]
    tag_sets: dict[frozenset[str], str | None] = {}
    for gid_tags in per_map:
        for tags, char, *_ in gid_tags.values():
            if tag_sets.get(tags) is None:
                tag_sets[tags] = char
            elif char is not None and tag_sets[tags] != char:
                raise ContentError(f"'{folder}': tiles tagged {sorted(tags)} have chars "
                                   f"{tag_sets[tags]!r} and {char!r}")
    chars = _assign_chars(tag_sets, f"'{folder}'")
    legend = {"tiles": {c: sorted(tags) for tags, c in sorted(chars.items(), key=lambda kv: kv[1])},
              **_identity(per_map, chars), "view": "top-down"}
    tileset = build_tileset(legend, f"'{folder}'")
    tile_tags = [frozenset(legend["tiles"][t.char]) for t in tileset]
    index = {t.char: i for i, t in enumerate(tileset)}
    levels = []
    for f, tiled, gid_tags in zip(files, maps, per_map):
        gids = sorted(gid_tags)
        ids = np.array([index[chars[gid_tags[g][0]]] for g in gids], dtype=np.int32)
        # gids are sorted, so searchsorted maps every cell to its tile id in one vectorized step.
        levels.append(_tilemap(ids[np.searchsorted(gids, tiled.gids)], tileset, tile_tags, f"'{f}'"))
    return LevelCorpus(tuple(levels), tuple(f.stem for f in files), legend, "top-down")
