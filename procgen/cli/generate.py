"""``procgen generate``: one seed through one generator into one file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from procgen.cli.options import add_generator_options, configured
from procgen.content import SAVE_SUFFIXES, Content, TileMap
from procgen.errors import OutputError, ParameterError
from procgen.export.formats import formats_for
from procgen.export.previews import add_scale_option, check_scale, preview_png
from procgen.export.tiled import MAP_WRITERS, write_map
from procgen.fileio import atomic_write, check_output_path, created_folder, remove_stale_parts
from procgen.generators import Generator
from procgen.seeding import normalize_seed

SUFFIXES = (*SAVE_SUFFIXES, *MAP_WRITERS)  # .png .json .npz, and Tiled's .tmx .tmj


class GenerateCommand:
    name = "generate"
    help = "generate content for one seed and save it (.png preview, .json or .npz data, .tmx or .tmj Tiled map)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_generator_options(parser)
        parser.add_argument("--seed", required=True, help="an int in [0, 2**64) or text such as mossy-canyon")
        parser.add_argument("-o", "--output", required=True, metavar="FILE",
                            help=f"output file, its folder created if missing; its suffix picks the format "
                                 f"({', '.join(SUFFIXES)})")
        add_scale_option(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        output = Path(args.output)
        suffix = _checked_suffix(output, args.scale)
        seed = normalize_seed(args.seed)
        generator = configured(args.name, args.params)
        if suffix in MAP_WRITERS:
            _check_tiled(generator, suffix)
        with created_folder(output.parent):  # removed again if anything below fails
            check_output_path(output)
            remove_stale_parts(output)  # a killed earlier run's temporary file, before making a new one
            content = generator.generate(seed)  # overflowing parameters: a ParameterError (numeric_guard)
            _write(content, output, suffix, args.scale)
        print(f"wrote {output} ({generator.name}, seed {seed})")
        return 0


def _checked_suffix(output: Path, scale: int | None) -> str:
    suffix = output.suffix.lower()
    if suffix not in SUFFIXES:
        raise OutputError(f"cannot tell the format of '{output}': use a {', '.join(SUFFIXES)} suffix")
    if scale is not None and suffix != ".png":
        raise ParameterError(f"--scale sizes .png pictures; '{output}' is a {suffix} file")
    check_scale(scale)
    return suffix


def _check_tiled(generator: Generator[Any], suffix: str) -> None:
    """Only tile maps are Tiled maps: say what the generator makes and what it can be written as."""
    if generator.content_type is TileMap:
        return
    kind = generator.content_type.__name__
    others = [f for f in formats_for(generator.content_type) if f not in ("png", "json", "npz")]
    export = f" (or procgen export --formats {','.join(others)})" if others else ""
    raise OutputError(f"{generator.name} makes a {kind}, not a tile map, so it cannot be a Tiled {suffix} map; "
                      f"Tiled maps come from tile-map generators (procgen generate level/overworld -o "
                      f"level{suffix}, or many seeds with procgen export level/overworld --formats tmx). "
                      f"Write a {kind} as .png, .json or .npz{export}")


def _write(content: Content, output: Path, suffix: str, scale: int | None) -> None:
    if suffix in MAP_WRITERS:
        write_map(content, output)  # type: ignore[arg-type]  # checked by _check_tiled
    elif suffix == ".png":
        data = preview_png(content, scale)  # rendered before the file is opened: a bad scale writes nothing
        atomic_write(output, lambda stream: stream.write(data))
    else:
        content.save(output)
