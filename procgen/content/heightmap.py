"""Heightmap: terrain height on a grid, float32 in [0, 1]."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from procgen.content.base import Content, frozen_array
from procgen.errors import ContentError

# Height -> colour stops for previews: deep sea, shallows, beach, lowland, hills, rock, snow.
_TERRAIN_STOPS = np.array([
    [0.00, 18, 40, 90], [0.35, 40, 90, 160], [0.45, 90, 150, 200], [0.48, 220, 205, 150],
    [0.55, 110, 160, 70], [0.70, 60, 110, 50], [0.82, 120, 105, 90], [0.92, 235, 235, 235],
    [1.00, 255, 255, 255],
])


def _terrain_lut() -> np.ndarray:
    levels = np.linspace(0.0, 1.0, 256)
    channels = [np.interp(levels, _TERRAIN_STOPS[:, 0], _TERRAIN_STOPS[:, c]) for c in (1, 2, 3)]
    return np.rint(np.stack(channels, axis=1)).astype(np.uint8)  # (256, 3)


_TERRAIN_LUT = _terrain_lut()


@dataclass(frozen=True, eq=False, init=False)
class Heightmap(Content):
    """``height``: float32 array (H, W), every value finite and in [0, 1]."""

    type_name = "heightmap"
    height: np.ndarray  # (H, W) float32

    def __init__(self, height: Any) -> None:
        h = frozen_array(height, dtype=np.float32, name="height")
        if h.ndim != 2 or min(h.shape) < 1:
            raise ContentError(f"height must be a non-empty 2-D array (H, W), got shape {h.shape}")
        if not np.isfinite(h).all():
            raise ContentError("height must be finite (no NaN or inf)")
        if h.min() < 0.0 or h.max() > 1.0:
            raise ContentError(f"height must lie in [0, 1], got [{h.min():.4g}, {h.max():.4g}]")
        object.__setattr__(self, "height", h)

    @property
    def shape(self) -> tuple[int, int]:
        return self.height.shape  # type: ignore[return-value]

    def _arrays(self) -> dict[str, np.ndarray]:
        return {"height": self.height}

    def _meta(self) -> dict[str, Any]:
        return {}

    @classmethod
    def _build(cls, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> Heightmap:
        return cls(arrays["height"])

    def to_image(self, colormap: str = "terrain", scale: int = 1) -> Image.Image:
        """A preview, ``scale`` pixels a sample: ``"terrain"`` colours by height, ``"gray"`` is 8-bit grayscale."""
        if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
            raise ContentError(f"scale must be a positive int (pixels per height sample), got {scale!r}")
        levels = np.rint(self.height * 255.0).astype(np.uint8)
        if colormap == "gray":
            pixels = levels
        elif colormap == "terrain":
            pixels = _TERRAIN_LUT[levels]
        else:
            raise ContentError(f"unknown colormap {colormap!r}; use 'terrain' or 'gray'")
        if scale > 1:  # nearest: each sample a crisp square, so nothing is invented between samples
            pixels = np.repeat(np.repeat(pixels, scale, axis=0), scale, axis=1)
        return Image.fromarray(pixels, mode="L" if colormap == "gray" else "RGB")
