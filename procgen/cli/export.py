"""``procgen export``: many seeds into game-ready files (PNG, Tiled, heightmaps), resumably."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from procgen.cli.options import add_generator_options, add_quiet_option, configured
from procgen.export import BACKENDS, FORMATS, ExportOptions, default_workers, export, parse_seeds
from procgen.export.heightmap import ENGINE_SIZES, parse_size
from procgen.export.previews import add_scale_option
from procgen.export.tiled import DATA_ENCODINGS
from procgen.fileio import created_folder


class ExportCommand:
    name = "export"
    help = "export many seeds to files (png, tmx, tmj, json, npz, png16, r16, geojson, svg), resumably"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_generator_options(parser)
        parser.add_argument("--seeds", required=True, metavar="RANGE|FILE",
                            help="START:STOP[:STEP] (STOP excluded, e.g. 0:10000) or a file with one int or "
                                 "text seed per line (# comments)")
        parser.add_argument("--formats", required=True, metavar="LIST",
                            help="comma-separated: " + "; ".join(f"{n}: {f.help}" for n, f in FORMATS.items()))
        parser.add_argument("--out", required=True, metavar="DIR",
                            help="output folder (created with its parents if missing); rerun with the same settings "
                                 "to resume")
        parser.add_argument("--workers", type=int, default=None, metavar="N",
                            help=f"worker processes or Ray actors (default: the usable cores, here "
                                 f"{default_workers()}); 0 runs in this process")
        parser.add_argument("--backend", choices=BACKENDS, default="local",
                            help="local processes, or a Ray cluster (pip install 'procgen[ray]')")
        parser.add_argument("--ray-address", default=None, metavar="ADDR",
                            help="join this Ray cluster (auto, ray://host:10001); default: a private local one")
        parser.add_argument("--tiled-data", choices=DATA_ENCODINGS, default="csv",
                            help="Tiled tile layer data: csv, or zlib (base64 of zlib-compressed gids)")
        parser.add_argument("--heightmap-size", default="native", metavar="SIZE",
                            help="png16/r16 size: native, auto (smallest 2^n+1 that holds the map) or one of "
                                 + ", ".join(map(str, ENGINE_SIZES)))
        add_quiet_option(parser)
        add_scale_option(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        seeds = parse_seeds(args.seeds)  # every check before any work: nothing partial on bad input
        options = ExportOptions(tiled_data=args.tiled_data, heightmap_size=parse_size(args.heightmap_size),
                                png_scale=args.scale)
        generator = configured(args.name, args.params)
        cores = default_workers()
        if args.backend == "local" and args.workers is not None and args.workers > cores:
            print(f"procgen: note: --workers {args.workers} is more than the {cores} usable cores; using {cores}",
                  file=sys.stderr)
            args.workers = cores
        with created_folder(Path(args.out).parent):  # removed again if the export fails before writing
            summary = export(generator, seeds, args.formats, args.out, workers=args.workers, backend=args.backend,
                             options=options, progress=not args.quiet, ray_address=args.ray_address)
        print(summary.line())
        return 0
