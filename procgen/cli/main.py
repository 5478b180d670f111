"""The ``procgen`` command: argument parsing, the one-line error contract, and Ctrl-C.

Start-up stays short because the parser names every command from the table below but
imports only the chosen command's module (the others may load torch, numba or scipy):
``procgen --version`` imports no command at all, ``procgen list`` no generator module.
"""

from __future__ import annotations

# Only modules the interpreter has already loaded at start-up are imported here (argparse
# and typing load inside the functions): whatever this module imports runs before main()
# can catch a Ctrl-C, and would end in a traceback.
import importlib
import os
import sys

from procgen._version import __version__
from procgen.errors import ProcgenError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing; type checkers read it the same
if TYPE_CHECKING:
    import argparse
    from typing import Any, NoReturn, Sequence


class Command:
    """One sub-command: its name and help for the parser, and where its class lives."""

    __slots__ = ("name", "module", "attr", "help")

    def __init__(self, name: str, module: str, attr: str, help: str) -> None:
        self.name, self.module, self.attr, self.help = name, module, attr, help

    def load(self) -> Any:
        """The command class (``add_arguments``, ``run``); imports its module."""
        return getattr(importlib.import_module(self.module), self.attr)


# The help texts repeat each class's ``help`` so that ``procgen --help`` imports no command;
# tests/test_startup.py checks they agree.
COMMANDS = (
    Command("list", "procgen.cli.catalog", "ListCommand", "list the registered generators"),
    Command("info", "procgen.cli.catalog", "InfoCommand",
            "show a generator's description and parameters with their defaults"),
    Command("generate", "procgen.cli.generate", "GenerateCommand",
            "generate content for one seed and save it (.png preview, .json or .npz data, .tmx or .tmj Tiled map)"),
    Command("train", "procgen.cli.train", "TrainCommand",
            "train a generator on river data or a level corpus and write a model folder usable wherever a name is"),
    Command("compare", "procgen.cli.compare", "CompareCommand",
            "compare generators with held-out data: rivers (likelihood, discriminator, statistics, novelty) "
            "or levels (playability, tile-pattern KL, diversity, novelty)"),
    Command("data", "procgen.cli.data", "DataCommand",
            "build or inspect a training dataset (build-rivers, export-overworld, info)"),
    Command("demo", "procgen.cli.demo", "DemoCommand",
            "play generated worlds: explorer (a top-down game), rivers (river lab), gallery (browse seeds)"),
    Command("export", "procgen.cli.export", "ExportCommand",
            "export many seeds to files (png, tmx, tmj, json, npz, png16, r16, geojson, svg), resumably"),
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the command named in ``argv`` gets its arguments (None: every command)."""
    import argparse

    class Parser(argparse.ArgumentParser):
        """argparse, but a usage error is one line on stderr and exit status 2."""

        def error(self, message: str) -> NoReturn:
            self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    chosen = _chosen_command(argv)
    parser = Parser(prog="procgen", description="Procedural content for games, from seeds.")
    parser.add_argument("--version", action="version", version=f"procgen {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = commands.add_parser(command.name, help=command.help, description=command.help)
        if argv is None or command.name == chosen:
            cls = command.load()
            cls.add_arguments(sub)
            sub.set_defaults(run=cls.run)
    return parser


def _chosen_command(argv: Sequence[str] | None) -> str | None:
    # The top-level options (--help, --version) take no value, so the first word that is
    # not an option names the command.
    return next((arg for arg in argv if not arg.startswith("-")), None) if argv is not None else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Bad input is one line on stderr and exit 2; Ctrl-C, even while
    the command's modules are still importing, is ``procgen: interrupted`` and exit 130."""
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        if argv is None:  # the process entry point, about to exit (not a caller's own loop)
            _ignore_further_interrupts()
        return _interrupted()


def _interrupted() -> int:
    """Report Ctrl-C as one line; 130 is the status a shell gives a process stopped by SIGINT."""
    print("procgen: interrupted", file=sys.stderr)
    return 130


def _ignore_further_interrupts() -> None:
    # A second Ctrl-C while the message is printed or the interpreter shuts down would
    # otherwise end in a traceback. Only the main thread may set signal handlers.
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _main(argv: list[str]) -> int:
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ProcgenError as exc:
        print(f"procgen: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not bad input: still one line, traceback on request
        if os.environ.get("PROCGEN_DEBUG"):
            raise
        print(f"procgen: internal error: {type(exc).__name__}: {exc} "
              "(set PROCGEN_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return 1
