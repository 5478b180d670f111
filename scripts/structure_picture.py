"""A picture that shows whether learned levels keep a corpus's structure: corpus levels on
the top row, then one row of raw first draws (``draws=1, repair=False``) per model folder.

    python scripts/structure_picture.py CORPUS MODEL [MODEL ...] -o PICTURE.png [--levels 6]

The corpus row is its held-out levels, then its training levels (the split of
``procgen.generators.learned.levels.data.split_corpus``), spawn and goal placed by the
shared rule; a model row is seeds 0 .. levels-1. The README's structure pictures come from
this script.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import procgen
from procgen.content import TileMap
from procgen.datasets.levels import load_corpus
from procgen.evaluate.level_report import samples_png
from procgen.generators.learned.levels.data import split_corpus, terrain
from procgen.levels.endpoints import place_endpoints


class CorpusRow:
    """Stands in for a generator in ``samples_png``: seed i gives the corpus's i-th level."""

    def __init__(self, folder: str) -> None:
        corpus = load_corpus(folder)
        parts = split_corpus(corpus)
        self.levels = [place_endpoints(grid, corpus.tileset, corpus.legend, corpus.view)
                       for grid in terrain(parts["holdout"] + parts["train"], corpus)]

    def generate(self, seed: int) -> TileMap:
        return self.levels[seed % len(self.levels)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", help="a level corpus folder, e.g. assets/levels/vglc-rooms")
    parser.add_argument("models", nargs="+", help="model folders or registered level generator names")
    parser.add_argument("-o", "--out", type=Path, required=True)
    parser.add_argument("--levels", type=int, default=6)
    args = parser.parse_args()
    rows: list[tuple[str, Any]] = [("corpus", CorpusRow(args.corpus))]
    rows += [(m, procgen.get(m).with_params(draws=1, repair=False)) for m in args.models]
    samples_png(rows, range(args.levels)).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
