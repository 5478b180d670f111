"""Engine heightmaps: 16-bit grayscale PNG, headerless 16-bit RAW (.r16), and a sidecar JSON.

Heights in [0, 1] map to 0..65535 on an absolute scale (``value = round(h * 65535)``)
rather than being stretched to each map's own range: neighbouring chunks of an endless
world then meet at the same values along their seams. The sidecar gives the size and the
range actually used, for an engine that wants to stretch.

RAW files are little-endian uint16, row-major, the top (north) row first: Unreal's
``.r16`` as is; Unity's terrain import with Byte Order "Windows" (tick "Flip Vertically"
if the terrain should not be mirrored north-south, as Unity puts the first row at z = 0).
Terrain engines want 2^n+1 samples a side (257, 513, 1025, 2049, 4097). ``--heightmap-size``
makes the generator produce that size when it can (a generator with ``width`` and
``height`` parameters: real detail at every sample); otherwise the map is resampled
bilinearly with corners aligned (so the edges of the map stay its edges), and the export's
summary line and each sidecar say so.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

import numpy as np
from PIL import Image

from procgen.content import Heightmap
from procgen.errors import ParameterError
from procgen.export.previews import png_bytes
from procgen.generators import Generator

ENGINE_SIZES = tuple(2**n + 1 for n in range(5, 13))  # 33 .. 4097
SIZED_FORMATS = ("png16", "r16")  # the formats --heightmap-size applies to
SIDECAR_FORMAT = "procgen-heightmap"
SIDECAR_VERSION = 1


def parse_size(text: str) -> int | str | None:
    """``native`` (None), ``auto`` (the smallest 2^n+1 that holds the map) or a 2^n+1 size."""
    if text in ("native", "auto"):
        return None if text == "native" else "auto"
    if text.isdigit() and int(text) in ENGINE_SIZES:
        return int(text)
    raise ParameterError(f"--heightmap-size must be native, auto or one of "
                         f"{', '.join(map(str, ENGINE_SIZES))}; got {text!r}")


def target_size(shape: tuple[int, int], size: int | str | None) -> tuple[int, int]:
    """(rows, cols) the export has: the map's own, or a square 2^n+1."""
    if size is None:
        return shape
    if size == "auto":
        fits = [s for s in ENGINE_SIZES if s >= max(shape)]
        side = fits[0] if fits else ENGINE_SIZES[-1]
        return side, side
    return int(size), int(size)


def sized_generator(generator: Generator[Any], formats: Iterable[str],
                    size: int | str | None) -> tuple[Generator[Any], str | None]:
    """``generator`` set to make maps of ``size`` when it takes width and height, with a note
    for the summary line saying what happened (None when ``size`` does not apply)."""
    if size is None or generator.content_type is not Heightmap or not set(formats) & set(SIZED_FORMATS):
        return generator, None
    params = generator.config.to_dict()
    if "width" not in params or "height" not in params:
        target = "the smallest 2^n+1 that holds each map" if size == "auto" else f"{size} x {size}"
        return generator, (f"heightmaps resampled bilinearly to {target}: {generator.name} cannot generate at "
                           "a chosen size (no width/height parameters); each .height.json gives the source size")
    rows, cols = target_size((int(params["height"]), int(params["width"])), size)
    sized = generator.with_params(width=cols, height=rows)
    return sized, f"heightmaps generated at {cols} x {rows} (width={cols}, height={rows}), not resampled"


def resample(height: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear, corner-aligned resampling of ``height`` (H, W) to ``shape``, float64."""
    if height.shape == shape:
        return height.astype(np.float64)
    rows = _axis_weights(height.shape[0], shape[0])
    cols = _axis_weights(height.shape[1], shape[1])
    h = height.astype(np.float64)
    across = h[:, cols[0]] * (1.0 - cols[2]) + h[:, cols[1]] * cols[2]  # (H, w)
    return across[rows[0]] * (1.0 - rows[2])[:, None] + across[rows[1]] * rows[2][:, None]  # (h, w)


def _axis_weights(source: int, target: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lower index, upper index and upper weight of each target sample along one axis."""
    position = np.linspace(0.0, source - 1.0, target)
    lower = np.minimum(np.floor(position).astype(np.int64), max(source - 2, 0))
    upper = np.minimum(lower + 1, source - 1)
    return lower, upper, position - lower


def quantize(height: np.ndarray) -> np.ndarray:
    """uint16 values of heights in [0, 1] on the absolute scale."""
    return np.rint(np.clip(height, 0.0, 1.0) * 65535.0).astype("<u2")


def heightmap_values(content: Heightmap, size: int | str | None) -> np.ndarray:
    """The uint16 (rows, cols) grid that both the PNG and the RAW file hold."""
    return quantize(resample(content.height, target_size(content.shape, size)))


def png16(values: np.ndarray) -> bytes:
    """A 16-bit grayscale PNG (bit depth 16, colour type 0) of ``values``."""
    return png_bytes(Image.fromarray(np.ascontiguousarray(values, dtype=np.uint16)))


def raw16(values: np.ndarray) -> bytes:
    """Headerless little-endian uint16, row-major, top row first."""
    return np.ascontiguousarray(values, dtype="<u2").tobytes()


def sidecar(content: Heightmap, values: np.ndarray) -> bytes:
    """Size, value range and height range of an exported heightmap, as JSON."""
    rows, cols = values.shape
    resampled = tuple(values.shape) != tuple(content.shape)
    document = {
        "format": SIDECAR_FORMAT, "version": SIDECAR_VERSION,
        "width": cols, "height": rows,
        "source_width": content.shape[1], "source_height": content.shape[0],
        "resampled": resampled,
        "dtype": "uint16", "byte_order": "little", "row_order": "top row (north) first",
        "scale": "height = value / 65535",
        "value_range": [int(values.min()), int(values.max())],
        "height_range": [float(values.min()) / 65535.0, float(values.max()) / 65535.0],
    }
    if resampled:  # say it where the file is used: an engine import shows blur, not why
        document["note"] = (f"resampled bilinearly from {content.shape[1]} x {content.shape[0]}: the generator "
                            "made this map at its own size")
    return (json.dumps(document, indent=1) + "\n").encode("utf-8")
