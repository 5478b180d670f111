"""RiverPath: a river as a polyline in world units, optionally with a width per point.

Angles here are radians, x east and y north, so a positive turn is a left
(counterclockwise) turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from procgen.content.base import Content, frozen_array
from procgen.errors import ContentError, ParameterError


def wrap_angle(angle: Any) -> np.ndarray:
    """``angle`` (radians, any shape) wrapped into (-pi, pi]."""
    wrapped = np.pi - np.mod(np.pi - np.asarray(angle, dtype=np.float64), 2 * np.pi)
    # np.mod can round a tiny negative up to exactly 2 pi, which would land on -pi.
    return np.where(wrapped <= -np.pi, np.pi, wrapped)


def walk(turns: np.ndarray, *, step_length: float, heading: float) -> np.ndarray:
    """Points (..., n + 2, 2) of a walk from the origin whose n turns (..., n) are in radians.

    ``heading`` (degrees, as the river generators' configs give it) is the direction of the
    first step; every step is ``step_length`` long. Batched over leading axes.
    """
    return _walk(np.asarray(turns), step_length, np.deg2rad(heading))


def _walk(turns: np.ndarray, step_length: float, heading: Any) -> np.ndarray:
    """:func:`walk` with the first heading in radians (a scalar, or one per walk of the batch)."""
    start = np.broadcast_to(np.asarray(heading, dtype=np.float64)[..., None], turns.shape[:-1] + (1,))
    headings = np.concatenate([start, start + np.cumsum(turns, axis=-1)], axis=-1)  # (..., n + 1)
    steps = step_length * np.stack([np.cos(headings), np.sin(headings)], axis=-1)  # (..., n + 1, 2)
    origin = np.zeros(turns.shape[:-1] + (1, 2))
    return np.concatenate([origin, np.cumsum(steps, axis=-2)], axis=-2)


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

    # ---- geometry --------------------------------------------------------------------
    def resample(self, step_length: float) -> RiverPath:
        """The same polyline with points every ``step_length`` of arc length from the first.

        Points lie at arc lengths 0, s, 2s, ... up to the total length; a remainder shorter
        than one step is dropped (a relative 1e-9 tolerance keeps a last point that rounding
        put a hair beyond the end). Widths, if any, are interpolated the same way. A path
        shorter than one step raises ContentError rather than returning a path whose
        spacing would not be ``step_length``.
        """
        step = float(step_length)
        if not (np.isfinite(step) and step > 0):
            raise ParameterError(f"step_length must be a finite number > 0, got {step_length!r}")
        seg = np.linalg.norm(np.diff(self.points, axis=0), axis=1)  # (N-1,)
        # Repeated points would make the arc-length abscissa non-increasing for np.interp.
        keep = np.concatenate([[True], seg > 0])  # (N,)
        cum = np.concatenate([[0.0], np.cumsum(seg[seg > 0])])  # (M,) strictly increasing
        total = float(cum[-1])
        count = int(np.floor(total / step * (1 + 1e-9))) + 1
        if count < 2:
            raise ContentError(f"cannot resample a river of length {total:g} with step {step:g}: "
                               "it is shorter than one step")
        s = np.minimum(np.arange(count) * step, total)  # (count,)
        pts = self.points[keep]  # (M, 2)
        xy = np.stack([np.interp(s, cum, pts[:, 0]), np.interp(s, cum, pts[:, 1])], axis=1)  # (count, 2)
        width = None if self.width is None else np.interp(s, cum, self.width[keep])
        return RiverPath(xy, width)

    def headings(self) -> np.ndarray:
        """(N-1,) direction of each segment in radians, in [-pi, pi] (0 = east, pi/2 = north).

        A zero-length segment has heading 0 (the arctan2 convention); resample() never makes one.
        """
        d = np.diff(self.points, axis=0)  # (N-1, 2)
        return np.arctan2(d[:, 1], d[:, 0])

    def turning_angles(self) -> np.ndarray:
        """(N-2,) signed turn from each segment to the next in radians, in (-pi, pi]; > 0 is left."""
        return wrap_angle(np.diff(self.headings()))

    # ---- turning-angle representation ---------------------------------------------------
    @classmethod
    def from_turns(cls, turns: Any, step_length: float, heading: float = 0.0,
                   start: tuple[float, float] = (0.0, 0.0)) -> RiverPath:
        """The path of ``len(turns) + 1`` steps of ``step_length`` turning by ``turns`` (radians).

        ``heading`` is the direction of the first step in radians (as :meth:`headings` gives
        it) and ``start`` the first point; with :meth:`to_turns` this converts both ways.
        """
        step = float(step_length)
        if not (np.isfinite(step) and step > 0):
            raise ParameterError(f"step_length must be a finite number > 0, got {step_length!r}")
        turns = np.asarray(turns, dtype=np.float64)
        if turns.ndim != 1 or not np.isfinite(turns).all():
            raise ContentError(f"turns must be a finite 1-d array, got shape {turns.shape}")
        return cls(_walk(turns, step, float(heading)) + np.asarray(start, dtype=np.float64))

    def to_turns(self, step_length: float) -> tuple[np.ndarray, float]:
        """(turns (n,), first heading) of this path resampled every ``step_length``, in radians.

        The representation is translation and rotation invariant apart from the heading;
        ``RiverPath.from_turns(turns, step_length, heading, points[0])`` rebuilds a path of
        equal steps exactly. Any other path comes back close but not exact: resample()
        spaces points by arc length, so the chord across a bend is a little shorter than
        the step the rebuilt walk takes.
        """
        resampled = self.resample(step_length)
        return resampled.turning_angles(), float(resampled.headings()[0])

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
