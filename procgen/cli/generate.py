"""``procgen generate``: one seed through one generator into one file."""

from __future__ import annotations

import argparse
from pathlib import Path

from procgen.cli.options import add_generator_options, configured
from procgen.content import SAVE_SUFFIXES
from procgen.errors import OutputError
from procgen.fileio import check_output_path, remove_stale_parts
from procgen.seeding import normalize_seed


class GenerateCommand:
    name = "generate"
    help = "generate content for one seed and save it (.png preview, .json or .npz data)"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_generator_options(parser)
        parser.add_argument("--seed", required=True, help="an int in [0, 2**64) or text such as mossy-canyon")
        parser.add_argument("-o", "--output", required=True, metavar="FILE",
                            help=f"output file; its suffix picks the format ({', '.join(SAVE_SUFFIXES)})")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        output = Path(args.output)
        if output.suffix.lower() not in SAVE_SUFFIXES:
            raise OutputError(f"cannot tell the format of '{output}': use a {', '.join(SAVE_SUFFIXES)} suffix")
        check_output_path(output)
        remove_stale_parts(output)  # a killed earlier run's temporary file, before making a new one
        seed = normalize_seed(args.seed)
        generator = configured(args.name, args.params)
        content = generator.generate(seed)  # overflowing parameters: a ParameterError (numeric_guard)
        content.save(output)
        print(f"wrote {output} ({generator.name}, seed {seed})")
        return 0
