"""``procgen list`` and ``procgen info``: what generators exist and what they take."""

from __future__ import annotations

import argparse

from procgen.generators.registry import available, info, summary


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1] for row in rows)


class ListCommand:
    name = "list"
    help = "list the registered generators"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--kind", choices=("hand-written", "learned"), help="only generators of this kind")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        rows = [("NAME", "KIND", "CONTENT", "DESCRIPTION")]
        # summary, not info: info imports each generator's module (torch for the learned ones).
        rows += [(s.name, s.kind, s.content, s.description) for s in map(summary, available(args.kind))]
        print(_table(rows))
        return 0


class InfoCommand:
    name = "info"
    help = "show a generator's description and parameters with their defaults"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", metavar="NAME", help="a registered generator name (see procgen list)")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        entry = info(args.name)
        print(f"{entry.name} ({entry.kind}, makes {entry.content}): {entry.description}\n")
        rows = [("PARAMETER", "TYPE", "DEFAULT", "MEANING")]
        for spec in entry.parameters.values():
            bounds = spec.describe_bounds()
            rows.append((spec.name, spec.type.__name__, repr(spec.default), spec.help + (f" [{bounds}]" if bounds else "")))
        print(_table(rows))
        return 0
