"""The ``procgen`` command: argument parsing and the one-line error contract."""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Sequence

from procgen._version import __version__
from procgen.cli import catalog, compare, data, demo, export, generate, train
from procgen.errors import ProcgenError

COMMANDS = (catalog.ListCommand, catalog.InfoCommand, generate.GenerateCommand, train.TrainCommand, compare.CompareCommand,
            data.DataCommand, demo.DemoCommand, export.ExportCommand)


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> Parser:
    parser = Parser(prog="procgen", description="Procedural content for games, from seeds.")
    parser.add_argument("--version", action="version", version=f"procgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ProcgenError as exc:
        print(f"procgen: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("procgen: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line, traceback on request
        if os.environ.get("PROCGEN_DEBUG"):
            raise
        print(f"procgen: internal error: {type(exc).__name__}: {exc} "
              "(set PROCGEN_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return 1
