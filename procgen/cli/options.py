"""Options shared by the commands that take a generator: NAME and --set key=value."""

from __future__ import annotations

import argparse
from typing import Any

from procgen.errors import ParameterError
from procgen.generators import Generator, get


def add_generator_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="registered generator name or trained-model folder")
    parser.add_argument("--set", dest="params", action="append", default=[], metavar="KEY=VALUE",
                        help="set a generator parameter (repeatable); see procgen info NAME")


def parse_sets(cls: type[Generator[Any]], assignments: list[str]) -> dict[str, Any]:
    """``--set key=value`` items parsed by ``cls``'s parameter types."""
    changes = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ParameterError(f"--set expects KEY=VALUE, got {item!r}")
        changes[key] = cls.Config.spec(key).parse(value)
    return changes


def configured(name: str, assignments: list[str]) -> Generator[Any]:
    """The generator ``name`` (or model folder) with ``--set`` assignments applied."""
    generator = get(name)
    return generator.with_params(**parse_sets(type(generator), assignments))


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    """``--quiet``: no progress bars. Every command spells it the same; ``--no-progress`` (what
    ``procgen export`` took first) and ``-q`` still work."""
    parser.add_argument("-q", "--quiet", "--no-progress", dest="quiet", action="store_true",
                        help="no progress bars (they go to stderr; stdout has only the result lines)")


def add_force_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--force``: replace an existing ``what`` folder (the new one is written beside it and
    swapped in only when complete, so a failed run leaves the old one as it was)."""
    parser.add_argument("--force", action="store_true",
                        help=f"replace an existing {what} in --out (written beside it, swapped in when complete)")
