"""RiverPath: a river as a polyline in world units, optionally with a width per point."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from procgen.content.base import Content, frozen_array
from procgen.errors import ContentError


@dataclass(frozen=True, eq=False, init=False)
class RiverPath(Content):
    """A river path: ``points`` (N, 2) float64, finite, N >= 2; ``width`` (N,) or None.

    Coordinates are x to the east and y to the north (previews flip y for the screen).
    """

    type_name = "river"
    points: np.ndarray  # (N, 2) float64
    width: np.ndarray | None  # (N,) float64 > 0, or None

    def __init__(self, points: Any, width: Any = None) -> None:
        pts = frozen_array(points, dtype=np.float64, name="points")
        if pts.ndim != 2 or pts.shape[1] != 2:
            raise ContentError(f"points must have shape (N, 2), got {pts.shape}")
        if pts.shape[0] < 2:
            raise ContentError(f"a river needs at least 2 points, got {pts.shape[0]}")
        if not np.isfinite(pts).all():
            raise ContentError("points must be finite (no NaN or inf)")
        widths = None
        if width is not None:
            widths = frozen_array(width, dtype=np.float64, name="width")
            if widths.shape != (pts.shape[0],):
                raise ContentError(f"width must have shape ({pts.shape[0]},) to match points, got {widths.shape}")
            if not (np.isfinite(widths).all() and (widths > 0).all()):
                raise ContentError("width must be finite and > 0 at every point")
        object.__setattr__(self, "points", pts)
        object.__setattr__(self, "width", widths)

    def __len__(self) -> int:
        return int(self.points.shape[0])

    @property
    def length(self) -> float:
        """Total polyline length in world units."""
        return float(np.linalg.norm(np.diff(self.points, axis=0), axis=1).sum())

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"points": self.points} if self.width is None else {"points": self.points, "width": self.width}

    def _meta(self) -> dict[str, Any]:
        return {}

    @classmethod
    def _build(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> RiverPath:
        return cls(arrays["points"], arrays.get("width"))

    def to_image(self, size: int = 512, *, margin: int = 16, line_width: int = 3) -> Image.Image:
        """A ``size`` x ``size`` preview with the whole path fitted inside ``margin``."""
        lo, hi = self.points.min(axis=0), self.points.max(axis=0)
        extent = float((hi - lo).max())
        scale = (size - 2 * margin) / extent if extent > 0 else 1.0
        xy = (self.points - (lo + hi) / 2) * scale + size / 2  # centred, aspect kept
        xy[:, 1] = size - xy[:, 1]  # north is up on screen
        image = Image.new("RGB", (size, size), (238, 232, 213))
        draw = ImageDraw.Draw(image)
        if self.width is None:
            draw.line([tuple(p) for p in xy.tolist()], fill=(38, 98, 168), width=line_width, joint="curve")
        else:
            pixels = np.maximum(1, np.rint(self.width * scale)).astype(int)
            for (a, b), w in zip(zip(xy[:-1].tolist(), xy[1:].tolist()), pixels[:-1].tolist()):
                draw.line([tuple(a), tuple(b)], fill=(38, 98, 168), width=w)
        return image
