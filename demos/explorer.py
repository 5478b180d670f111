"""Explorer: walk generated overworld levels from spawn to goal; the goal loads the next seed.

    python demos/explorer.py [--seed S] [options]    # the same as: procgen demo explorer [options]

Keys and options: docs/DEMOS.md, or python demos/explorer.py --help.
"""

from __future__ import annotations

import sys

from procgen.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main(["demo", "explorer", *sys.argv[1:]]))
