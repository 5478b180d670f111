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
