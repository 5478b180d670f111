"""Batched sampling time of every learned river generator: 1000 rivers of 256 steps.

    python benchmarks/bench_sampling.py [--rivers 1000] [--steps 256] [--repeats 3]

Target: generate_batch of 1000 x 256 in <= 1 s on the CPU. Generators whose pretrained
weights are missing are skipped. A same-run reference, river/coinflip's generate_batch of
the same size, lets figures from different (or busy) machines be compared.
"""

from __future__ import annotations

import argparse
import statistics
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rivers", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
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
