"""A user's own river paths from GeoJSON, CSV or npz files, as named point arrays.

Every reader returns ``(ids, paths)``: ids are ``"<file name>:<path id>"`` strings (so the
split of a path depends only on its file's name and its id there) and each path is an
(n, 2) float64 array with n >= 2, in the file's coordinates. Any problem raises a
ContentError naming the file and what is wrong with it.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from procgen.errors import ContentError
from procgen.fileio import parse_json

__all__ = ["GEOJSON_SUFFIXES", "PATH_SUFFIXES", "read_path_file"]

GEOJSON_SUFFIXES = (".geojson", ".json")
PATH_SUFFIXES = GEOJSON_SUFFIXES + (".csv", ".npz")
CSV_COLUMNS = ("path_id", "x", "y")


def read_path_file(path: Path) -> tuple[list[str], list[np.ndarray]]:
    """The paths in one .geojson/.json, .csv or .npz file, in file order."""
    suffix = path.suffix.lower()
    if suffix not in PATH_SUFFIXES:
        raise ContentError(f"'{path}': unknown path file type; use {', '.join(PATH_SUFFIXES)}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read '{path}': {exc.strerror or exc}") from exc
    try:
        if suffix in GEOJSON_SUFFIXES:
            named = _geojson(raw)
        elif suffix == ".csv":
            named = _csv(raw)
        else:
            named = _npz(raw)
        if not named:
            raise ValueError("it holds no paths")
        ids, paths = [], []
        for name, points in named:
            ids.append(f"{path.name}:{name}")
            paths.append(_checked(name, points))
    except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ContentError(f"'{path}': {exc}") from None
    return ids, paths


def _checked(name: str, points: Any) -> np.ndarray:
    array = np.asarray(points, dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"path {name!r} must be a list of (x, y) points, got shape {array.shape}")
    if array.shape[0] < 2:
        raise ValueError(f"path {name!r} has {array.shape[0]} point(s); a path needs at least 2")
    if not np.isfinite(array).all():
        raise ValueError(f"path {name!r} has a coordinate that is not a finite number")
    return array


# ---- GeoJSON ---------------------------------------------------------------------------

def _geojson(raw: bytes) -> list[tuple[str, np.ndarray]]:
    try:
        document = parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not valid JSON (it is not UTF-8 text)") from None
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise ValueError("GeoJSON must be an object (FeatureCollection, Feature, LineString or MultiLineString)")
    kind = document.get("type")
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise ValueError("FeatureCollection has no 'features' list")
        return [part for i, feature in enumerate(features) for part in _feature(feature, str(i))]
    if kind == "Feature":
        return _feature(document, "0")
    return _geometry(document, "0")


def _feature(feature: Any, index: str) -> list[tuple[str, np.ndarray]]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError(f"feature {index} is not a GeoJSON Feature object")
    properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    # The feature's own id, else an id or name property, else its place in the file.
    for candidate in (feature.get("id"), properties.get("id"), properties.get("name")):
        if isinstance(candidate, (str, int)) and not isinstance(candidate, bool) and str(candidate) != "":
            return _geometry(feature.get("geometry"), str(candidate))
    return _geometry(feature.get("geometry"), index)


def _geometry(geometry: Any, name: str) -> list[tuple[str, np.ndarray]]:
    if not isinstance(geometry, dict):
        raise ValueError(f"path {name!r} has no geometry object")
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "LineString":
        return [(name, _positions(coordinates, name))]
    if kind == "MultiLineString":
        if not isinstance(coordinates, list) or not coordinates:
            raise ValueError(f"MultiLineString {name!r} has no lines")
        return [(f"{name}/{k}", _positions(line, f"{name}/{k}")) for k, line in enumerate(coordinates)]
    raise ValueError(f"path {name!r} is a {kind!r}; river paths are LineString or MultiLineString geometries")


def _positions(coordinates: Any, name: str) -> np.ndarray:
    """(n, 2) from GeoJSON positions [x, y] or [x, y, z] (z, an elevation, is dropped)."""
    if not isinstance(coordinates, list) or not all(isinstance(p, list) and len(p) in (2, 3) for p in coordinates):
        raise ValueError(f"path {name!r}: coordinates must be a list of [x, y] positions")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for p in coordinates for v in p):
        raise ValueError(f"path {name!r}: a coordinate is not a number")
    return np.array([p[:2] for p in coordinates], dtype=np.float64).reshape(-1, 2)


# ---- CSV -------------------------------------------------------------------------------

def _csv(raw: bytes) -> list[tuple[str, np.ndarray]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text ({exc})") from None
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if not rows:
        raise ValueError("it holds no paths")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"the header row must name the columns {', '.join(CSV_COLUMNS)}; "
                         f"missing {', '.join(missing)}")
    columns = [header.index(c) for c in CSV_COLUMNS]
    short = [i for i, row in enumerate(rows[1:], start=2) if len(row) < len(header)]
    if short:
        raise ValueError(f"line {short[0]} has {len(rows[short[0] - 1])} fields, the header has {len(header)}")
    table = np.array([[row[c] for c in columns] for row in rows[1:]], dtype=str).reshape(-1, 3)  # (rows, 3)
    try:
        xy = table[:, 1:].astype(np.float64)  # (rows, 2)
    except ValueError:
        bad = next(i for i, row in enumerate(table) if not _is_number(row[1]) or not _is_number(row[2]))
        x, y = str(table[bad, 1]), str(table[bad, 2])
        raise ValueError(f"line {bad + 2}: x and y must be numbers, got {x!r}, {y!r}") from None
    ids = np.char.strip(table[:, 0])
    # Paths in the order they first appear; each path's points in file order.
    names, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    by_appearance = np.argsort(first, kind="stable")  # (paths,) unique index of the k-th path
    rank = np.empty_like(by_appearance)
    rank[by_appearance] = np.arange(len(names))
    row_rank = rank[inverse.reshape(-1)]  # (rows,) which path each row belongs to
    rows_by_path = np.argsort(row_rank, kind="stable")  # (rows,)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(row_rank, minlength=len(names)))])  # (paths + 1,)
    return [(str(names[by_appearance[k]]), xy[rows_by_path[bounds[k]:bounds[k + 1]]]) for k in range(len(names))]


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# ---- npz -------------------------------------------------------------------------------

def _npz(raw: bytes) -> list[tuple[str, np.ndarray]]:
    """Either packed ``points`` (P, 2) + ``offsets`` (R + 1,) [+ ``ids`` (R,)], or one (n, 2) array per path."""
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    if "turns" in arrays and "offsets" in arrays:
        raise ValueError("this is a river dataset's rivers.npz; load its folder instead")
    if "points" in arrays and "offsets" in arrays:
        return _packed(arrays)
    named = [(key, value) for key, value in arrays.items()]
    for key, value in named:
        if value.ndim != 2 or value.shape[1] != 2 or value.dtype.kind not in "iuf":
            raise ValueError(f"array {key!r} is {value.dtype} {value.shape}; each array must be one path of "
                             "(n, 2) numbers, or give packed 'points' (P, 2) and 'offsets' (R + 1,)")
    return named


def _packed(arrays: dict[str, np.ndarray]) -> list[tuple[str, np.ndarray]]:
    points, offsets = arrays["points"], arrays["offsets"]
    if points.ndim != 2 or points.shape[1] != 2 or points.dtype.kind not in "iuf":
        raise ValueError(f"'points' must be (P, 2) numbers, got {points.dtype} {points.shape}")
    if offsets.ndim != 1 or offsets.dtype.kind not in "iu" or offsets.shape[0] < 2:
        raise ValueError(f"'offsets' must be (R + 1,) integers, got {offsets.dtype} {offsets.shape}")
    if offsets[0] != 0 or offsets[-1] != points.shape[0] or (np.diff(offsets) < 0).any():
        raise ValueError(f"'offsets' must rise from 0 to the number of points ({points.shape[0]})")
    count = offsets.shape[0] - 1
    if "ids" in arrays:
        ids = arrays["ids"]
        if ids.shape != (count,):
            raise ValueError(f"'ids' must have one entry per path ({count}), got shape {ids.shape}")
        names = [str(v) for v in ids.tolist()]
    else:
        names = [str(i) for i in range(count)]
    return [(names[i], points[offsets[i]:offsets[i + 1]]) for i in range(count)]
