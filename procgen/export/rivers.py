"""River files: GeoJSON and SVG (the lossless ``.json`` is the content file itself).

Coordinates stay in the river's own world units, x east and y north. GeoJSON readers
assume longitude/latitude; procgen's rivers live in a local plane, so treat the
coordinates as a projected local frame (the ``crs_note`` property says so).
"""

from __future__ import annotations

import json

import numpy as np

from procgen.content import RiverPath

SVG_SIZE = 512  # the longer side of the drawing, in SVG user units
SVG_MARGIN = 16


def geojson(river: RiverPath) -> bytes:
    """A FeatureCollection with one LineString; widths (if any) as a property."""
    properties = {
        "length": river.length, "points": len(river),
        "width": None if river.width is None else river.width.tolist(),
        "crs_note": "local plane: x east, y north, in the generator's world units",
    }
    feature = {"type": "Feature", "properties": properties,
               "geometry": {"type": "LineString", "coordinates": river.points.tolist()}}
    document = {"type": "FeatureCollection", "features": [feature]}
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def svg(river: RiverPath) -> bytes:
    """An SVG drawing of the river, north up, fitted like ``RiverPath.to_image()``."""
    lo, hi = river.points.min(axis=0), river.points.max(axis=0)
    extent = float((hi - lo).max())
    scale = (SVG_SIZE - 2 * SVG_MARGIN) / extent if extent > 0 else 1.0
    xy = (river.points - (lo + hi) / 2) * scale + SVG_SIZE / 2
    xy[:, 1] = SVG_SIZE - xy[:, 1]  # SVG's y grows downwards; north is up
    stroke = 3.0 if river.width is None else max(1.0, float(np.median(river.width)) * scale)
    points = " ".join(f"{x:.3f},{y:.3f}" for x, y in xy.tolist())
    text = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_SIZE}" height="{SVG_SIZE}" '
        f'viewBox="0 0 {SVG_SIZE} {SVG_SIZE}">\n'
        f'<rect width="100%" height="100%" fill="#eee8d5"/>\n'
        f'<polyline fill="none" stroke="#2662a8" stroke-width="{stroke:.3f}" stroke-linecap="round" '
        f'stroke-linejoin="round" points="{points}"/>\n</svg>\n'
    )
    return text.encode("utf-8")
