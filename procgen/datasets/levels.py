"""Level corpora in and out: VGLC text grids, Tiled maps (TMX/TMJ) and procgen TileMap files.

Every corpus becomes a :class:`LevelCorpus`: TileMaps over one shared tileset, plus a
*legend* mapping each tile's char to its tags (VGLC style)::

    {"tiles": {"#": ["solid", "wall"], ".": ["passable", "floor"], "S": ["passable", "spawn"]},
     "view": "top-down"}

Conventions (the same for every format):

- **Walkability comes from tags**: a tile is walkable unless tagged ``solid``, ``hazard``
  or ``water``. Other tags (``passable``, ``enemy``, ``collectable``, ...) are kept as data.
- The tileset holds one tile per legend char, **sorted by char**, so tile ids are stable
  whatever order the legend file lists them in. A tile's name is its tags joined by ``/``;
  its preview colour comes from its tags alone (a fixed colour for common tags, else a hash).
- ``spawn`` / ``goal`` are the first cell (row-major) whose tile is tagged ``spawn`` / ``goal``.
  VGLC files carry them only through those tags: a TileMap whose spawn sits on an ordinary
  tile loses it in :func:`save_vglc`.

Tiled maps (orthogonal, finite, exactly one tile layer; CSV, XML or base64 data with
optional zlib/gzip compression; embedded or external ``.tsx``/``.tsj`` tilesets). A tile's
tags come from its tileset properties: a string property ``tags`` (comma separated, e.g.
``"solid,wall"``), a boolean ``walkable`` (adds ``passable`` or ``solid``), and its Tiled
class/type if set. An optional string property ``char`` picks its VGLC char; otherwise
chars are assigned from the tags. Tiles with identical tags become one corpus tile. Cells
with gid 0 (no tile) become an ``empty``, passable tile.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import numpy as np

from procgen.content import Tile, TileMap
from procgen.content import load as load_content
from procgen.errors import ContentError
from procgen.fileio import atomic_write

__all__ = ["BLOCKING_TAGS", "FORMATS", "VIEWS", "LevelCorpus", "build_tileset", "is_walkable", "load_corpus",
           "save_vglc"]

FORMATS = ("vglc", "tiled", "procgen")
VIEWS = ("top-down", "side-view")
BLOCKING_TAGS = frozenset({"solid", "hazard", "water"})
LEGEND_FILE = "legend.json"
TILED_MAP_SUFFIXES = (".tmx", ".tmj")
PROCGEN_SUFFIXES = (".json", ".npz")

# Preview colours by the most telling tag first; a tag set with none of these gets a hash colour.
_TAG_COLORS: tuple[tuple[str, tuple[int, int, int]], ...] = (
    ("spawn", (240, 240, 240)), ("goal", (230, 60, 60)), ("hazard", (190, 40, 150)),
    ("enemy", (240, 130, 20)), ("collectable", (250, 210, 40)), ("water", (40, 90, 200)),
    ("solid", (70, 70, 80)), ("empty", (215, 205, 180)), ("passable", (200, 190, 160)),
)
# Chars for Tiled tiles without a "char" property, by the same priority; then a free pool.
_TAG_CHARS = (("spawn", "S"), ("goal", "G"), ("hazard", "^"), ("enemy", "e"), ("collectable", "$"),
              ("water", "~"), ("solid", "#"), ("empty", "-"), ("passable", "."))
_CHAR_POOL = "ABCDEFHIJKLMNOPQRTUVWXYZabcdfghijklmnopqrstuvwxyz0123456789%&*+=@!?<>:;"

# Tiled keeps flip/rotation flags in the top 4 bits of a gid (bit 28 is hex rotation, which
# Tiled itself clears on every map kind); the tile id is what remains.
_GID_MASK = 0x0FFFFFFF


# ---- tags and tilesets ---------------------------------------------------------------------

def is_walkable(tags: Iterable[str]) -> bool:
    """The walkability rule: walkable unless tagged solid, hazard or water."""
    return not (BLOCKING_TAGS & set(tags))


def _color(tags: frozenset[str]) -> tuple[int, int, int]:
    for tag, color in _TAG_COLORS:
        if tag in tags:
            return color
    digest = hashlib.sha256("/".join(sorted(tags)).encode("utf-8")).digest()
    return (digest[0], digest[1], digest[2])


def build_tileset(legend: Mapping[str, Any]) -> tuple[Tile, ...]:
    """One Tile per legend char, sorted by char (stable ids whatever the legend's order)."""
    tiles = _legend_tiles(legend, "legend")
    names: dict[str, int] = {}
    result = []
    for char in sorted(tiles):
        tags = tiles[char]
        name = "/".join(tags) or "tile"
        names[name] = names.get(name, 0) + 1
        if names[name] > 1:  # two chars with the same tags must still be two tiles
            name = f"{name} '{char}'"
        result.append(Tile(name=name, color=_color(frozenset(tags)), char=char, walkable=is_walkable(tags)))
    return tuple(result)


def _legend_tiles(legend: Any, where: str) -> dict[str, list[str]]:
    """The checked ``tiles`` mapping of a legend: visible single chars to lists of tag strings."""
    tiles = legend.get("tiles") if isinstance(legend, Mapping) else None
    if not isinstance(tiles, Mapping) or not tiles:
        raise ContentError(f"{where}: a legend is an object with a non-empty \"tiles\" object (char -> list of tags)")
    for char, tags in tiles.items():
        if not isinstance(char, str) or len(char) != 1 or char.isspace() or not char.isprintable():
            raise ContentError(f"{where}: legend key {char!r} must be one visible character")
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise ContentError(f"{where}: legend entry {char!r} must be a list of non-empty tag strings, got {tags!r}")
    return {char: list(tags) for char, tags in tiles.items()}


def _check_view(legend: Mapping[str, Any], where: str) -> str:
    view = legend.get("view", "top-down")
    if view not in VIEWS:
        raise ContentError(f"{where}: view must be one of {', '.join(VIEWS)}, got {view!r}")
    return view


def _first_cell(mask: np.ndarray) -> tuple[int, int] | None:
    cells = np.argwhere(mask)  # row-major order
    return None if cells.size == 0 else (int(cells[0, 0]), int(cells[0, 1]))


def _tilemap(ids: np.ndarray, tileset: tuple[Tile, ...], tile_tags: Sequence[frozenset[str]],
             where: str) -> TileMap:
    """A TileMap with spawn and goal on the first tiles tagged so."""
    def cell_of(tag: str) -> tuple[int, int] | None:
        tagged = np.array([tag in tags for tags in tile_tags])
        return _first_cell(tagged[ids])
    try:
        return TileMap(ids, tileset, spawn=cell_of("spawn"), goal=cell_of("goal"))
    except ContentError as exc:
        raise ContentError(f"{where}: {exc}") from None


# ---- the corpus ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LevelCorpus:
    """Levels over one tileset; ``legend`` maps each tile's char to its tags; ``view`` is
    ``top-down`` or ``side-view``."""

    levels: tuple[TileMap, ...]
    names: tuple[str, ...]
    legend: dict[str, Any]
    view: str = "top-down"

    def __post_init__(self) -> None:
        object.__setattr__(self, "levels", tuple(self.levels))
        object.__setattr__(self, "names", tuple(self.names))
        if len(self.levels) != len(self.names):
            raise ContentError(f"{len(self.levels)} levels but {len(self.names)} names")
        if self.view not in VIEWS:
            raise ContentError(f"view must be one of {', '.join(VIEWS)}, got {self.view!r}")
        tiles = _legend_tiles(self.legend, "corpus")
        for name, level in zip(self.names, self.levels):
            missing = sorted({t.char for t in level.tileset} - set(tiles))
            if missing:
                raise ContentError(f"level {name!r} uses tile chars {missing} that the legend lacks")

    def __len__(self) -> int:
        return len(self.levels)

    @property
    def tileset(self) -> tuple[Tile, ...]:
        """The tileset every level shares (empty for an empty corpus)."""
        return self.levels[0].tileset if self.levels else ()

    def tags(self, tile_id: int) -> frozenset[str]:
        """The legend tags of tile ``tile_id`` in the shared tileset."""
        return frozenset(self.legend["tiles"][self.tileset[tile_id].char])


def load_corpus(path: str | os.PathLike[str], *, format: str | None = None) -> LevelCorpus:
    """Load a folder of levels: ``vglc`` (.txt grids + legend.json), ``tiled`` (.tmx/.tmj)
    or ``procgen`` (TileMap .json/.npz); ``format=None`` detects it from the files."""
    folder = Path(path)
    if not folder.is_dir():
        raise ContentError(f"level corpus '{folder}' is not a folder")
    kind = format or _detect(folder)
    if kind not in FORMATS:
        raise ContentError(f"unknown level corpus format {kind!r}; formats are {', '.join(FORMATS)}")
    return {"vglc": _load_vglc, "tiled": _load_tiled, "procgen": _load_procgen}[kind](folder)


def _detect(folder: Path) -> str:
    suffixes = {p.suffix.lower() for p in folder.iterdir() if p.is_file()}
    if (folder / LEGEND_FILE).is_file() or ".txt" in suffixes:
        return "vglc"
    if suffixes & set(TILED_MAP_SUFFIXES):
        return "tiled"
    if suffixes & set(PROCGEN_SUFFIXES):
        return "procgen"
    raise ContentError(f"'{folder}' holds no levels: expected .txt + {LEGEND_FILE}, .tmx/.tmj or .json/.npz files")


def _files(folder: Path, suffixes: Sequence[str], exclude: Sequence[str] = ()) -> list[Path]:
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in suffixes and p.name not in exclude)
    if not files:
        raise ContentError(f"'{folder}' holds no {'/'.join(suffixes)} level files")
    return files


# ---- VGLC ------------------------------------------------------------------------------------

def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{what} '{path}' is missing") from None
    except OSError as exc:
        raise ContentError(f"cannot read {what} '{path}': {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContentError(f"{what} '{path}' is not valid JSON ({exc})") from None


def _read_grid(path: Path, lookup: np.ndarray) -> np.ndarray:
    """Tile ids (H, W) of one VGLC text file; ``lookup`` maps a char's code point to its id or -1."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ContentError(f"cannot read '{path}': {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ContentError(f"'{path}' is not UTF-8 text") from None
    rows = text.rstrip("\r\n").splitlines()
    if not rows or not rows[0]:
        raise ContentError(f"'{path}' holds no grid")
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise ContentError(f"'{path}' line {number}: {len(row)} characters where line 1 has {width} "
                               "(rows must be of equal length)")
    codes = np.array([[ord(c) for c in row] for row in rows], dtype=np.int64)  # (H, W)
    ids = np.where(codes < lookup.size, lookup[np.minimum(codes, lookup.size - 1)], -1)
    bad = np.argwhere(ids < 0)
    if bad.size:
        row, col = (int(v) for v in bad[0])
        raise ContentError(f"'{path}' line {row + 1} column {col + 1}: unknown character {rows[row][col]!r} "
                           f"(not in {LEGEND_FILE})")
    return ids.astype(np.int32)


def _load_vglc(folder: Path) -> LevelCorpus:
    legend_path = folder / LEGEND_FILE
    legend = _read_json(legend_path, "legend")
    where = f"'{legend_path}'"
    tiles = _legend_tiles(legend, where)
    view = _check_view(legend, where)
    tileset = build_tileset(legend)
    tile_tags = [frozenset(tiles[t.char]) for t in tileset]
    lookup = np.full(max(ord(t.char) for t in tileset) + 1, -1, dtype=np.int64)
    lookup[[ord(t.char) for t in tileset]] = np.arange(len(tileset))
    files = _files(folder, (".txt",))
    levels = tuple(_tilemap(_read_grid(f, lookup), tileset, tile_tags, f"'{f}'") for f in files)
    return LevelCorpus(levels, tuple(f.stem for f in files), {"tiles": tiles, "view": view}, view)


def save_vglc(levels: LevelCorpus | Sequence[TileMap], legend: Mapping[str, Any] | None,
              folder: str | os.PathLike[str], *, names: Sequence[str] | None = None) -> Path:
    """Write each level as ``<name>.txt`` (one char per tile) plus ``legend.json``, atomically.

    ``levels`` may be a LevelCorpus (its names and, when ``legend`` is None, its legend are
    used); otherwise names default to ``level_000``... Returns the folder.
    """
    if isinstance(levels, LevelCorpus):
        names = names if names is not None else levels.names
        legend = legend if legend is not None else {"tiles": levels.legend["tiles"], "view": levels.view}
        levels = levels.levels
    if legend is None:
        raise ContentError("save_vglc needs a legend (char -> tags)")
    tiles = _legend_tiles(legend, "legend")
    view = _check_view(legend, "legend")
    names = list(names) if names is not None else [f"level_{i:03d}" for i in range(len(levels))]
    if len(names) != len(levels) or len(set(names)) != len(names):
        raise ContentError(f"need {len(levels)} unique level names, got {names!r}")
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    for name, level in zip(names, levels):
        chars = np.array([t.char for t in level.tileset])
        missing = sorted(set(chars[np.unique(level.tiles)].tolist()) - set(tiles))
        if missing:
            raise ContentError(f"level {name!r} uses tile chars {missing} that the legend lacks")
        text = "\n".join("".join(row) for row in chars[level.tiles]) + "\n"
        atomic_write(target / f"{name}.txt", lambda s, t=text: s.write(t.encode("utf-8")))
    document = json.dumps({"tiles": tiles, "view": view}, indent=1, ensure_ascii=False) + "\n"
    atomic_write(target / LEGEND_FILE, lambda s: s.write(document.encode("utf-8")))
    return target


# ---- procgen TileMap files ---------------------------------------------------------------------

def _load_procgen(folder: Path) -> LevelCorpus:
    files = _files(folder, PROCGEN_SUFFIXES, exclude=(LEGEND_FILE,))
    levels = tuple(TileMap.load(f) for f in files)
    tileset = levels[0].tileset
    for f, level in zip(files, levels):
        if level.tileset != tileset:
            raise ContentError(f"'{f}' has another tileset than '{files[0]}'; a corpus shares one tileset")
    # A TileMap knows only walkability, so that (and the tile's name) is all its tags can say.
    tiles = {t.char: ["passable" if t.walkable else "solid", t.name] for t in tileset}
    return LevelCorpus(levels, tuple(f.stem for f in files), {"tiles": tiles, "view": "top-down"}, "top-down")


# ---- Tiled --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _TiledTileset:
    firstgid: int
    count: int | None  # None: unknown, any local id with properties or below it is accepted
    tags: dict[int, tuple[frozenset[str], str | None]]  # local id -> (tags, explicit char)


@dataclass(frozen=True)
class _TiledMap:
    gids: np.ndarray  # (H, W) int64, flags stripped
    tilesets: list[_TiledTileset]


def _tile_tags(props: Mapping[str, Any], kind: str | None, where: str) -> tuple[frozenset[str], str | None]:
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
    return frozenset(tags or {"passable"}), char


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
    except (TypeError, ValueError):
        raise ContentError(f"{where}: {what} must be an integer, got {value!r}") from None


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


def _external_tileset(map_path: Path, source: str, firstgid: int) -> _TiledTileset:
    path = (map_path.parent / source)
    where = f"'{path}' (tileset of '{map_path}')"
    if not path.is_file():
        raise ContentError(f"'{map_path}': tileset '{source}' is missing")
    if path.suffix.lower() == ".tsx":
        root = _xml(path)
        if root.tag != "tileset":
            raise ContentError(f"{where} is not a TSX tileset")
        return _tsx_tileset(root, firstgid, where)
    doc = _read_json(path, "tileset")
    if not isinstance(doc, Mapping):
        raise ContentError(f"{where} is not a TSJ tileset")
    return _tsj_tileset(doc, firstgid, where)


def _decode(data: Any, encoding: str | None, compression: str | None, cells: int, where: str) -> np.ndarray:
    """Raw gids (cells,) uint32 from a layer's data, with flip flags still set."""
    try:
        if encoding == "csv":
            values = [int(v) for v in data.replace("\n", "").split(",") if v.strip()] \
                if isinstance(data, str) else list(data)
            gids = np.array(values, dtype=np.uint64)
        elif encoding == "base64":
            raw = base64.b64decode("".join(str(data).split()), validate=True)
            if compression == "zlib":
                raw = zlib.decompress(raw)
            elif compression == "gzip":
                raw = gzip.decompress(raw)
            elif compression:
                raise ContentError(f"{where}: {compression} compression is not supported (use zlib, gzip or none)")
            gids = np.frombuffer(raw, dtype="<u4").astype(np.uint64)
        else:
            raise ContentError(f"{where}: layer encoding {encoding!r} is not supported (use csv or base64)")
    except (ValueError, TypeError, OverflowError, zlib.error, OSError, EOFError) as exc:
        raise ContentError(f"{where}: corrupt tile layer data ({exc})") from None
    if gids.size != cells or (gids > 0xFFFFFFFF).any():
        raise ContentError(f"{where}: tile layer holds {gids.size} gids, expected {cells}")
    return gids


def _read_tmx(path: Path) -> _TiledMap:
    root = _xml(path)
    where = f"'{path}'"
    if root.tag != "map":
        raise ContentError(f"{where} is not a TMX map")
    _check_map(root.get("orientation"), root.get("infinite", "0") == "1", where)
    tilesets = []
    for node in root.findall("tileset"):
        firstgid = _int(node.get("firstgid"), "firstgid", where)
        source = node.get("source")
        tilesets.append(_external_tileset(path, source, firstgid) if source
                        else _tsx_tileset(node, firstgid, where))
    if root.findall("group"):
        raise ContentError(f"{where}: group layers are not supported; flatten the map to one tile layer")
    layer = _one_layer(root.findall("layer"), where)
    width, height = _int(layer.get("width"), "width", where), _int(layer.get("height"), "height", where)
    data = layer.find("data")
    if data is None:
        raise ContentError(f"{where}: the tile layer has no <data>")
    if data.get("encoding") is None:  # the old XML form: one <tile gid=".."/> per cell
        gids = _decode([_int(t.get("gid", 0), "gid", where) for t in data.findall("tile")], "csv", None,
                       width * height, where)
    else:
        gids = _decode(data.text or "", data.get("encoding"), data.get("compression"), width * height, where)
    return _TiledMap((gids & _GID_MASK).astype(np.int64).reshape(height, width), tilesets)


def _read_tmj(path: Path) -> _TiledMap:
    doc = _read_json(path, "Tiled map")
    where = f"'{path}'"
    if not isinstance(doc, Mapping) or doc.get("type", "map") != "map" or "layers" not in doc:
        raise ContentError(f"{where} is not a TMJ map")
    _check_map(doc.get("orientation"), bool(doc.get("infinite")), where)
    tilesets = []
    for entry in doc.get("tilesets") or []:
        firstgid = _int(entry.get("firstgid"), "firstgid", where)
        tilesets.append(_external_tileset(path, entry["source"], firstgid) if entry.get("source")
                        else _tsj_tileset(entry, firstgid, where))
    layers = [layer for layer in doc["layers"] if isinstance(layer, Mapping)]
    if any(layer.get("type") == "group" for layer in layers):
        raise ContentError(f"{where}: group layers are not supported; flatten the map to one tile layer")
    layer = _one_layer([layer for layer in layers if layer.get("type") == "tilelayer"], where)
    width, height = _int(layer.get("width"), "width", where), _int(layer.get("height"), "height", where)
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


def _gid_tags(tiled: _TiledMap, where: str) -> dict[int, tuple[frozenset[str], str | None]]:
    """Tags of every gid the map uses (0 is the empty tile)."""
    if not tiled.tilesets and (tiled.gids > 0).any():
        raise ContentError(f"{where}: the map has tiles but no tileset")
    starts = sorted(tiled.tilesets, key=lambda t: t.firstgid)
    result: dict[int, tuple[frozenset[str], str | None]] = {}
    for gid in np.unique(tiled.gids).tolist():
        if gid == 0:
            result[0] = (frozenset({"empty", "passable"}), None)
            continue
        owner = next((t for t in reversed(starts) if t.firstgid <= gid), None)
        local = gid - owner.firstgid if owner else -1
        if owner is None or (owner.count is not None and local >= owner.count):
            raise ContentError(f"{where}: gid {gid} belongs to no tileset")
        result[gid] = owner.tags.get(local, (frozenset({"passable"}), None))
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


def _load_tiled(folder: Path) -> LevelCorpus:
    files = _files(folder, TILED_MAP_SUFFIXES)
    maps = [(_read_tmx if f.suffix.lower() == ".tmx" else _read_tmj)(f) for f in files]
    per_map = [_gid_tags(m, f"'{f}'") for f, m in zip(files, maps)]
    tag_sets: dict[frozenset[str], str | None] = {}
    for gid_tags in per_map:
        for tags, char in gid_tags.values():
            if tag_sets.get(tags) is None:
                tag_sets[tags] = char
            elif char is not None and tag_sets[tags] != char:
                raise ContentError(f"'{folder}': tiles tagged {sorted(tags)} have chars "
                                   f"{tag_sets[tags]!r} and {char!r}")
    chars = _assign_chars(tag_sets, f"'{folder}'")
    legend = {"tiles": {c: sorted(tags) for tags, c in sorted(chars.items(), key=lambda kv: kv[1])},
              "view": "top-down"}
    tileset = build_tileset(legend)
    tile_tags = [frozenset(legend["tiles"][t.char]) for t in tileset]
    index = {t.char: i for i, t in enumerate(tileset)}
    levels = []
    for f, tiled, gid_tags in zip(files, maps, per_map):
        gids = sorted(gid_tags)
        ids = np.array([index[chars[gid_tags[g][0]]] for g in gids], dtype=np.int32)
        # gids are sorted, so searchsorted maps every cell to its tile id in one vectorized step.
        levels.append(_tilemap(ids[np.searchsorted(gids, tiled.gids)], tileset, tile_tags, f"'{f}'"))
    return LevelCorpus(tuple(levels), tuple(f.stem for f in files), legend, "top-down")
