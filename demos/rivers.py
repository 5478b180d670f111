"""River lab: one seed through a hand-written and a learned river generator, side by side.

    python demos/rivers.py [--seed S] [options]    # the same as: procgen demo rivers [options]

Keys and options: docs/DEMOS.md, or python demos/rivers.py --help.
"""

from __future__ import annotations

import sys

from procgen.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main(["demo", "rivers", *sys.argv[1:]]))
