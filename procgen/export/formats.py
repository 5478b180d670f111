"""The registry of export formats: for each content type, what files a format writes.

Each format turns content into bytes (``render(content, options) -> {suffix: bytes}``),
so hashing, atomic writing and resuming are shared by all of them. An asset's files are
named ``seed-<int seed>`` plus the format's suffix; files every asset shares (a Tiled
tileset) sit in a subfolder and are written once.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterable

from procgen.content import Content, Heightmap, RiverPath, TileMap
from procgen.errors import ParameterError
from procgen.export import heightmap, rivers, tiled
from procgen.export.previews import check_scale, preview_png

Files = dict[str, bytes]


@dataclass(frozen=True)
class ExportOptions:
    """How formats render: Tiled layer data (``csv`` or base64 ``zlib``), heightmap size, and
    the png previews' scale (None: each content type's default, see procgen.export.previews)."""

    tiled_data: str = "csv"
    heightmap_size: int | str | None = None  # None: the map's own size; "auto" or 2^n+1
    png_scale: int | None = None

    def __post_init__(self) -> None:
        if self.tiled_data not in tiled.DATA_ENCODINGS:
            raise ParameterError(f"Tiled layer data must be one of {', '.join(tiled.DATA_ENCODINGS)}, "
                                 f"got {self.tiled_data!r}")
        if self.heightmap_size is not None:
            heightmap.parse_size(str(self.heightmap_size))
        check_scale(self.png_scale)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Format:
    """One export format: its name, the content types it applies to, and its renderer."""

    name: str
    help: str
    types: tuple[type[Content], ...]
    render: Callable[[Any, ExportOptions], Files]  # content -> {suffix or shared path: bytes}
    suffixes: tuple[str, ...]  # the asset's own files, e.g. (".tmx",)


def asset_stem(seed: int) -> str:
    """The file name stem of the asset for ``seed`` (the int seed: text seeds are in the manifest)."""
    return f"seed-{seed}"


def _content_json(content: Content, options: ExportOptions) -> Files:
    return {".json": json.dumps(content.to_dict(), separators=(",", ":")).encode("utf-8")}


def _content_npz(content: Content, options: ExportOptions) -> Files:
    buffer = io.BytesIO()
    content._write_npz(buffer)  # the lossless content file that procgen.content.load reads
    return {".npz": buffer.getvalue()}


def _tiled(writer: Callable[[TileMap, str], bytes], suffix: str) -> Callable[[TileMap, ExportOptions], Files]:
    def render(level: TileMap, options: ExportOptions) -> Files:
        return {suffix: writer(level, options.tiled_data), **tiled.tileset_files(level.tileset)}
    return render


def _height16(land: Heightmap, options: ExportOptions) -> Files:
    values = heightmap.heightmap_values(land, options.heightmap_size)
    return {".height16.png": heightmap.png16(values), ".height.json": heightmap.sidecar(land, values)}


def _raw16(land: Heightmap, options: ExportOptions) -> Files:
    values = heightmap.heightmap_values(land, options.heightmap_size)
    return {".r16": heightmap.raw16(values), ".height.json": heightmap.sidecar(land, values)}


ALL = (Heightmap, RiverPath, TileMap)
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("png", "PNG preview (what to_image() shows; --scale sizes it)", ALL,
           lambda c, o: {".png": preview_png(c, o.png_scale)}, (".png",)),
    Format("json", "lossless procgen content file (procgen.content.load)", ALL, _content_json, (".json",)),
    Format("npz", "lossless procgen content file, compressed", ALL, _content_npz, (".npz",)),
    Format("tmx", "Tiled map (XML) + TSX tileset and its image", (TileMap,), _tiled(tiled.tmx, ".tmx"),
           (".tmx",)),
    Format("tmj", "Tiled map (JSON) + TSJ tileset and its image", (TileMap,), _tiled(tiled.tmj, ".tmj"),
           (".tmj",)),
    Format("png16", "16-bit grayscale PNG heightmap + sidecar JSON", (Heightmap,), _height16,
           (".height16.png", ".height.json")),
    Format("r16", "headerless little-endian 16-bit RAW heightmap (Unity, Unreal) + sidecar JSON",
           (Heightmap,), _raw16, (".r16", ".height.json")),
    Format("geojson", "river as a GeoJSON LineString", (RiverPath,), lambda c, o: {".geojson": rivers.geojson(c)},
           (".geojson",)),
    Format("svg", "river as an SVG drawing", (RiverPath,), lambda c, o: {".svg": rivers.svg(c)}, (".svg",)),
)}


def formats_for(content_type: type[Content]) -> list[str]:
    return [name for name, f in FORMATS.items() if content_type in f.types]


def parse_formats(text: str | Iterable[str], content_type: type[Content], generator: str) -> tuple[str, ...]:
    """Checked, de-duplicated format names in the order given (``png,tmj`` or a list)."""
    names = [n.strip().lower() for n in (text.split(",") if isinstance(text, str) else text)]
    names = [n for n in names if n]
    if not names:
        raise ParameterError("--formats is empty; give a comma-separated list such as png,tmj")
    for name in names:
        if name not in FORMATS:
            raise ParameterError(f"unknown format {name!r}; formats are {', '.join(FORMATS)}")
        if content_type not in FORMATS[name].types:
            raise ParameterError(f"format {name} does not apply to {content_type.__name__} (what {generator} "
                                 f"makes); its formats are {', '.join(formats_for(content_type))}")
    return tuple(dict.fromkeys(names))


def own_names(stem: str, names: Iterable[str]) -> list[str]:
    """The asset's own file names for these formats (shared files not included)."""
    return sorted({stem + suffix for name in names for suffix in FORMATS[name].suffixes})


def render(content: Content, stem: str, names: Iterable[str], options: ExportOptions) -> Files:
    """Every file of one asset: own files named ``stem + suffix``, shared files by their path."""
    files: Files = {}
    for name in names:
        for key, data in FORMATS[name].render(content, options).items():
            path = stem + key if key.startswith(".") else key
            if files.setdefault(path, data) != data:  # two formats disagreeing would be a bug
                raise RuntimeError(f"formats disagree on the bytes of {path}")
    return files


def is_shared(path: str) -> bool:
    """Files in a subfolder (a Tiled tileset) are shared by every asset of the export."""
    return "/" in path
