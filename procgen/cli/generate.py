"""``procgen generate``: one seed through one generator into one file."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from procgen.content import SAVE_SUFFIXES
from procgen.errors import OutputError, ParameterError
from procgen.fileio import check_output_path
from procgen.generators import Generator, get
from procgen.seeding import normalize_seed


def add_generator_options(parser: argparse.ArgumentParser) -> None:
    """NAME and --set, shared by every command that takes a generator."""
    parser.add_argument("name", metavar="NAME", help="registered generator name or trained-model folder")
    parser.add_argument("--set", dest="params", action="append", default=[], metavar="KEY=VALUE",
                        help="set a generator parameter (repeatable); see procgen info NAME")


def configured(name: str, assignments: list[str]) -> Generator[Any]:
    """The generator ``name`` with ``--set key=value`` assignments parsed by its parameter types."""
    generator = get(name)
    changes = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"--set expects KEY=VALUE, got {item!r}")
        changes[key] = generator.Config.spec(key).parse(value)
    return generator.with_params(**changes)


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
        seed = normalize_seed(args.seed)
        generator = configured(args.name, args.params)
        generator.generate(seed).save(output)
        print(f"wrote {output} ({generator.name}, seed {seed})")
        return 0
