"""Level corpora in and out: VGLC text grids, Tiled maps (TMX/TMJ) and procgen TileMap files.

Every corpus becomes a :class:`LevelCorpus`: TileMaps over one shared tileset, plus a
*legend* mapping each tile's char to its tags (VGLC style)::

    {"tiles": {"#": ["solid", "wall"], ".": ["passable", "floor"], "S": ["passable", "spawn"]},
     "view": "top-down"}

Conventions (the same for every format):

- **Walkability comes from tags**: a tile is walkable unless tagged ``solid``, ``hazard``
  or ``water``. Other tags (``passable``, ``enemy``, ``collectable``, ...) are kept as data.
- The tileset holds one tile per legend char, **sorted by char**, so tile ids are stable
  whatever order the legend file lists them in. A tile's name and preview colour are the
  legend's ``names`` / ``colors`` for its char when given (:mod:`procgen.datasets.legend`),
  else its tags joined by ``/`` and a colour from its tags alone (a fixed colour for common
  tags, else a hash).
- ``spawn`` / ``goal`` are the first cell (row-major) whose tile is tagged ``spawn`` / ``goal``.
  VGLC files carry them only through those tags: a TileMap whose spawn sits on an ordinary
  tile loses it in :func:`save_vglc`.

Tiled maps are read by :mod:`procgen.datasets.tiled`.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from procgen.content import Tile, TileMap
from procgen.content import load as load_content
from procgen.datasets.legend import identity_entries, legend_identity, tileset_identity
from procgen.errors import ContentError
from procgen.fileio import atomic_write, read_json

__all__ = ["BLOCKING_TAGS", "FORMATS", "VIEWS", "LevelCorpus", "build_tileset", "infer_view", "is_walkable",
           "legend_path", "load_corpus", "save_vglc"]

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


def build_tileset(legend: Mapping[str, Any], where: str = "legend") -> tuple[Tile, ...]:
    """One Tile per legend char, sorted by char (stable ids whatever the legend's order), named
    and coloured by the legend's ``names`` / ``colors`` where it has them, else by its tags."""
    tiles = _legend_tiles(legend, where)
    names, colors = legend_identity(legend, list(tiles), where)
    taken = set(names.values())  # given names are kept as given; derived ones step aside
    result = []
    for char in sorted(tiles):
        tags = tiles[char]
        name = names.get(char)
        if name is None:
            name = "/".join(tags) or "tile"
            if name in taken:  # two chars with the same tags must still be two tiles
                name = f"{name} '{char}'"
        taken.add(name)
        color = colors.get(char) or _color(frozenset(tags))
        result.append(Tile(name=name, color=color, char=char, walkable=is_walkable(tags)))
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
    legend_identity(legend, list(tiles), where)  # names and colours are checked wherever tags are
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
    """Levels over one tileset; ``legend`` maps each tile's char to its tags (and, optionally,
    its name and colour); ``view`` is ``top-down`` or ``side-view``."""

    levels: tuple[TileMap, ...]
    names: tuple[str, ...]
    legend: dict[str, Any]
    view: str = "top-down"
    view_source: str = "default"  # where the view came from: the legend, an option, or why it was inferred

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


def load_corpus(path: str | os.PathLike[str], *, format: str | None = None, view: str | None = None) -> LevelCorpus:
    """Load a folder of levels: ``vglc`` (.txt grids + one legend .json of any name, as VGLC
    ships them: ``smb.json``), ``tiled`` (.tmx/.tmj) or ``procgen`` (TileMap .json/.npz);
    ``format=None`` detects it from the files.

    A VGLC corpus's view comes from its legend's ``view`` if it has one, else from ``view``,
    else it is inferred from the levels (:func:`infer_view`); ``corpus.view_source`` says which.
    """
    if view is not None and view not in VIEWS:
        raise ContentError(f"view must be one of {', '.join(VIEWS)}, got {view!r}")
    folder = Path(path)
    if not folder.is_dir():
        raise ContentError(f"level corpus '{folder}' is not a folder")
    kind = format or _detect(folder)
    if kind not in FORMATS:
        raise ContentError(f"unknown level corpus format {kind!r}; formats are {', '.join(FORMATS)}")
    if kind == "tiled":
        from procgen.datasets.tiled import load_tiled  # it builds on this module's helpers

        return load_tiled(folder)
    if kind == "vglc":
        return _load_vglc(folder, view)
    return _load_procgen(folder)


def _detect(folder: Path) -> str:
    _refuse_river_data(folder)
    suffixes = {p.suffix.lower() for p in folder.iterdir() if p.is_file()}
    if ".txt" in suffixes:
        return "vglc"
    if suffixes & set(TILED_MAP_SUFFIXES):
        return "tiled"
    if suffixes & set(PROCGEN_SUFFIXES):
        return "procgen"
    if suffixes & set(RIVER_PATH_SUFFIXES):
        raise ContentError(_river_not_levels(folder, "river path files"))
    raise ContentError(f"'{folder}' holds no levels: expected .txt + {LEGEND_FILE}, .tmx/.tmj or .json/.npz files")


# ---- telling level corpora and river data apart --------------------------------------------------

RIVER_DATASET = ("meta.json", "procgen-rivers")  # procgen.datasets.rivers' marker file and its format
RIVER_PATH_SUFFIXES = (".geojson", ".csv")


def _refuse_river_data(folder: Path) -> None:
    """A river dataset given where levels are wanted: say which is which, not "not a content file"."""
    marker = folder / RIVER_DATASET[0]
    if not marker.is_file():
        return
    try:
        document = json.loads(marker.read_bytes())
    except (OSError, ValueError):
        return  # not readable as river data either; the level loader says what is wrong with it
    if isinstance(document, dict) and document.get("format") == RIVER_DATASET[1]:
        raise ContentError(_river_not_levels(folder, f"a procgen river dataset: {RIVER_DATASET[0]} + rivers.npz"))


def _river_not_levels(folder: Path, found: str) -> str:
    return (f"'{folder}' is river data ({found}), not a level corpus: level models train on a folder of levels "
            "(VGLC .txt grids + a legend .json, Tiled .tmx/.tmj maps, or procgen tile-map .json/.npz files); "
            "river data trains river models (procgen train river/gru --data FOLDER)")


def level_corpus_kind(folder: Path) -> str | None:
    """What kind of level corpus ``folder`` looks like ("VGLC text levels", "Tiled maps",
    "procgen tile maps"), or None; a quick look at names and one file, for error messages
    elsewhere (a level corpus given to a river model). Never raises."""
    try:
        files = [p for p in folder.iterdir() if p.is_file()]
    except OSError:
        return None
    suffixes = {p.suffix.lower() for p in files}
    if suffixes & set(TILED_MAP_SUFFIXES):
        return "Tiled maps"
    if ".txt" in suffixes and ".json" in suffixes:
        return "VGLC text levels with a legend"
    content = sorted(p for p in files if p.suffix.lower() in PROCGEN_SUFFIXES)
    if content and _is_tilemap_file(content[0]):
        return "procgen tile maps"
    return None


def _is_tilemap_file(path: Path) -> bool:
    try:
        return isinstance(load_content(path), TileMap)
    except (ContentError, OSError, ValueError):
        return False


def _files(folder: Path, suffixes: Sequence[str], exclude: Sequence[str] = ()) -> list[Path]:
    files = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in suffixes and p.name not in exclude)
    if not files:
        raise ContentError(f"'{folder}' holds no {'/'.join(suffixes)} level files")
    return files


# ---- VGLC ------------------------------------------------------------------------------------

def _read_json(path: Path, what: str) -> Any:
    try:
        return read_json(path, what=what, error=ContentError)
    except FileNotFoundError:
        raise ContentError(f"{what} '{path}' is missing") from None


def _read_grid(path: Path, lookup: np.ndarray, legend_name: str = LEGEND_FILE) -> np.ndarray:
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
                           f"(not in {legend_name})")
    return ids.astype(np.int32)


def legend_path(folder: Path) -> Path:
    """A VGLC folder's legend: ``legend.json``, else its one ``.json`` file (VGLC names it after
    the game, e.g. ``smb.json``)."""
    preferred = folder / LEGEND_FILE
    if preferred.is_file():
        return preferred
    found = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".json")
    if len(found) == 1:
        return folder / found[0]
    if not found:
        raise ContentError(f"'{folder}' has .txt levels but no legend: add the corpus's .json legend "
                           '(VGLC style: {"tiles": {"X": ["solid", "ground"], ...}})')
    raise ContentError(f"'{folder}' holds {len(found)} .json files ({', '.join(found)}); a VGLC folder has one "
                       f"legend: keep it alone or name it {LEGEND_FILE}")


def infer_view(grids: Sequence[np.ndarray], solid: np.ndarray) -> tuple[str, str]:
    """(view, why) for levels (H, W) of tile ids, from which tiles are ``solid`` (T,) bool.

    A platformer stands on ground: its bottom row is mostly solid and its top row mostly
    open, while a top-down room is walled on every side and an overworld has no such
    gradient. Side view when at least half the bottom row is solid and its top row is at
    most a quarter as solid.
    """
    bottom = float(np.mean(np.concatenate([solid[g[-1]] for g in grids])))
    top = float(np.mean(np.concatenate([solid[g[0]] for g in grids])))
    side = bottom >= 0.5 and top <= 0.25 * bottom
    why = (f"inferred: {bottom:.0%} of the bottom rows and {top:.0%} of the top rows are solid "
           f"({'ground below open sky' if side else 'no ground-and-sky gradient'})")
    return ("side-view" if side else "top-down"), why


def _load_vglc(folder: Path, view: str | None = None) -> LevelCorpus:
    path = legend_path(folder)
    legend = _read_json(path, "legend")
    where = f"'{path}'"
    tiles = _legend_tiles(legend, where)
    tileset = build_tileset(legend, where)
    tile_tags = [frozenset(tiles[t.char]) for t in tileset]
    lookup = np.full(max(ord(t.char) for t in tileset) + 1, -1, dtype=np.int64)
    lookup[[ord(t.char) for t in tileset]] = np.arange(len(tileset))
    files = _files(folder, (".txt",))
    grids = [_read_grid(f, lookup, path.name) for f in files]
    if isinstance(legend, Mapping) and "view" in legend:
        view, source = _check_view(legend, where), f"from the legend {path.name}"
    elif view is not None:
        source = "given as an option"
    else:
        view, source = infer_view(grids, np.array(["solid" in t for t in tile_tags]))
    levels = tuple(_tilemap(g, tileset, tile_tags, f"'{f}'") for g, f in zip(grids, files))
    kept = {"tiles": tiles, **identity_entries(legend, where), "view": view}
    return LevelCorpus(levels, tuple(f.stem for f in files), kept, view, source)


def save_vglc(levels: LevelCorpus | Sequence[TileMap], legend: Mapping[str, Any] | None,
              folder: str | os.PathLike[str], *, names: Sequence[str] | None = None) -> Path:
    """Write each level as ``<name>.txt`` (one char per tile) plus ``legend.json`` (with the
    legend's tile names and colours, if it has them), atomically.

    ``levels`` may be a LevelCorpus (its names and, when ``legend`` is None, its legend are
    used); otherwise names default to ``level_000``... Returns the folder.
    """
    if isinstance(levels, LevelCorpus):
        names = names if names is not None else levels.names
        legend = legend if legend is not None else {**levels.legend, "view": levels.view}
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
    written = {"tiles": tiles, **identity_entries(legend), "view": view}
    document = json.dumps(written, indent=1, ensure_ascii=False) + "\n"
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
    # A TileMap knows only walkability, so that (and the tile's name) is all its tags can say;
    # its names and colours go into the legend, so a model trained on it keeps them.
    tiles = {t.char: ["passable" if t.walkable else "solid", t.name] for t in tileset}
    legend = {"tiles": tiles, **tileset_identity(tileset), "view": "top-down"}
    return LevelCorpus(levels, tuple(f.stem for f in files), legend, "top-down")
