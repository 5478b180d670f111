"""Batched sampling time of every learned river generator: 1000 rivers of 256 steps.

    python benchmarks/bench_sampling.py [--rivers 1000] [--steps 256] [--repeats 3]
    python benchmarks/bench_sampling.py --baseline DIR   # also an older checkout, same run

Target: generate_batch of 1000 x 256 in <= 1 s on the CPU. Generators whose pretrained
weights are missing are skipped. A same-run reference, river/coinflip's generate_batch of
the same size, lets figures from different (or busy) machines be compared. With
``--baseline DIR`` (a checkout of an earlier commit, e.g. from ``git worktree add``) both
trees are timed in alternating subprocesses, so "no slower than before" is measured on the
same machine at the same time; each figure is the best CPU time over the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import procgen
from procgen.errors import CheckpointError

TARGET_S = 1.0


def median_s(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn()``; CPU time is the fairer figure on a busy machine."""
    fn()  # warm-up: first-call allocations and lazy imports
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def report(label: str, seconds: tuple[float, float], ref: float) -> None:
    wall, cpu = seconds
    verdict = "met" if wall <= TARGET_S else "NOT met"
    print(f"{label}: {wall:.3f} s (CPU {cpu:.3f} s; {wall / ref:.1f} x reference; target <= {TARGET_S:g} s: {verdict})")


def cpu_seconds(rivers: int, steps: int) -> dict[str, float]:
    """Best-of-2 CPU seconds of each learned river model's generate_batch (one round)."""
    seeds, out = list(range(rivers)), {}
    for name in ["river/coinflip"] + procgen.available("learned"):
        if procgen.info(name).content != "RiverPath":
            continue
        try:
            generator = procgen.get(name, steps=steps)
        except CheckpointError:
            continue
        out[name] = median_s(lambda: generator.generate_batch(seeds), 2)[1]
    return out


def against_baseline(baseline: Path, args: argparse.Namespace) -> None:
    """Alternate rounds of this tree and ``baseline`` in subprocesses; print both figures per model."""
    trees = {"before": baseline.resolve(), "after": Path(__file__).resolve().parent.parent}
    best: dict[str, dict[str, float]] = {label: {} for label in trees}
    for _ in range(args.repeats):
        for label, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            code = (f"import json, sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import bench_sampling; "
                    f"print(json.dumps(bench_sampling.cpu_seconds({args.rivers}, {args.steps})))")
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                 cwd=tree, check=True)
            for name, seconds in json.loads(run.stdout.strip().splitlines()[-1]).items():
                best[label][name] = min(seconds, best[label].get(name, float("inf")))
    print(f"CPU seconds for {args.rivers} x {args.steps}, best of {args.repeats} alternating rounds:")
    print("| model | before | after | after / before |\n|---|---|---|---|")
    for name in best["after"]:
        before, after = best["before"].get(name), best["after"][name]
        ratio = f"{after / before:.2f}" if before else "-"
        print(f"| {name} | {before if before is None else f'{before:.3f}'} | {after:.3f} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rivers", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an older checkout to time in the same run")
    args = parser.parse_args()
    if args.baseline is not None:
        against_baseline(args.baseline, args)
        return
    seeds = list(range(args.rivers))
    coinflip = procgen.get("river/coinflip", steps=args.steps)
    ref, ref_cpu = median_s(lambda: coinflip.generate_batch(seeds), args.repeats)
    print(f"reference river/coinflip generate_batch {args.rivers} x {args.steps}: {ref:.3f} s (CPU {ref_cpu:.3f} s)")
    size = f"{args.rivers} x {args.steps}"
    for name in procgen.available("learned"):
        if procgen.info(name).content != "RiverPath":
            continue  # level models: benchmarks/bench_levels.py
        try:
            generator = procgen.get(name, steps=args.steps)
        except CheckpointError:
            print(f"{name}: skipped (no pretrained weights)")
            continue
        report(f"{name} generate_batch {size}", median_s(lambda: generator.generate_batch(seeds), args.repeats), ref)
        if "sinuosity" in generator.config.to_dict():  # conditional generators: a requested value too
            wanted = generator.with_params(sinuosity=1.4)
            report(f"{name} sinuosity=1.4 generate_batch {size}",
                   median_s(lambda: wanted.generate_batch(seeds), args.repeats), ref)


if __name__ == "__main__":
    main()
