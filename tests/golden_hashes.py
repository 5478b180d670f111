"""Golden content hashes: what each registered generator makes for three seeds.

A change to these is a change to what players' shared seeds produce: make it on purpose,
note it in the changelog, and regenerate with

    python tests/golden_hashes.py --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

GOLDEN_FILE = Path(__file__).with_name("golden_hashes.json")
GOLDEN_SEEDS = (0, 42, "mossy-canyon")


def compute(name: str) -> dict[str, str]:
    import procgen

    generator = procgen.get(name)
    return {str(seed): generator.generate(seed).digest() for seed in GOLDEN_SEEDS}


def load() -> dict[str, dict[str, str]]:
    return json.loads(GOLDEN_FILE.read_text()) if GOLDEN_FILE.exists() else {}


if __name__ == "__main__":
    import procgen

    if "--update" not in sys.argv:
        print(json.dumps({name: compute(name) for name in procgen.available()}, indent=2))
    else:
        GOLDEN_FILE.write_text(json.dumps({n: compute(n) for n in procgen.available()}, indent=2) + "\n")
        print(f"wrote {GOLDEN_FILE}")
