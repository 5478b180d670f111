"""Start-up time of the procgen command: what a user waits for on the light commands.

    python benchmarks/bench_startup.py [--repeats 5] [--with-torch]

Each command runs as ``python -m procgen ...`` in a fresh process; the figure is the best
of ``--repeats`` wall times (the least disturbed by other jobs on the machine), beside the
child's CPU time. The same-run reference is ``python -c pass``: the interpreter's own
start-up, which no program can go below; the ratio to it lets figures from different (or
busy) machines be compared. ``--with-torch`` adds ``python -c "import torch"``, what every
command paid before start-up became lazy (issue 12, item 5).

Target: each procgen command <= 0.5 s.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.5
PROCGEN = [sys.executable, "-m", "procgen"]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def best_of(argv: list[str], repeats: int, cwd: Path) -> tuple[float, float]:
    """Best wall seconds of ``argv`` over ``repeats`` runs, and the CPU seconds of that run."""
    runs = []
    for _ in range(repeats):
        cpu, start = _children_cpu_s(), time.perf_counter()
        result = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
        wall = time.perf_counter() - start
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {result.stderr.strip()}")
        runs.append((wall, _children_cpu_s() - cpu))
    return min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--with-torch", action="store_true", help="also time python -c 'import torch'")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        rows = [("python -c pass (reference)", [sys.executable, "-c", "pass"], False)]
        if args.with_torch:
            rows.append(("python -c 'import torch' (before)", [sys.executable, "-c", "import torch"], False))
        rows += [
            ("procgen --version", [*PROCGEN, "--version"], True),
            ("procgen list", [*PROCGEN, "list"], True),
            ("procgen info river/coinflip", [*PROCGEN, "info", "river/coinflip"], True),
            ("procgen generate river/coinflip --seed 1 -o x.png",
             [*PROCGEN, "generate", "river/coinflip", "--seed", "1", "-o", str(cwd / "x.png")], True),
        ]
        best_of(rows[0][1], 1, cwd)  # warm-up: page cache and .pyc files
        width = max(len(label) for label, _, _ in rows)
        print(f"{'COMMAND'.ljust(width)}  BEST s  CPU s  x REF  TARGET <= {TARGET_S:g} s")
        ref = None
        for label, argv, targeted in rows:
            wall, cpu = best_of(argv, args.repeats, cwd)
            ref = ref or wall
            verdict = ("met" if wall <= TARGET_S else "NOT met") if targeted else ""
            print(f"{label.ljust(width)}  {wall:6.3f}  {cpu:5.3f}  {wall / ref:5.1f}  {verdict}")


if __name__ == "__main__":
    main()
