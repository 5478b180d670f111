"""Gallery: thumbnails of any generator over consecutive seeds; click one to open it, E exports it.

    python demos/gallery.py [--seed S] [options]    # the same as: procgen demo gallery [options]

Keys and options: docs/DEMOS.md, or python demos/gallery.py --help.
"""

from __future__ import annotations

import sys

from procgen.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main(["demo", "gallery", *sys.argv[1:]]))
