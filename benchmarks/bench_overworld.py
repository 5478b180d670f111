"""level/overworld generation time at 256x256 (target: median <= 50 ms) and 1024x1024.

    python benchmarks/bench_overworld.py [--repeats 15]

Times are printed with a same-run reference (one 256x256 float64 sort repeated 20
times, a fixed numpy workload) so figures from different machines can be compared.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import procgen

TARGET_256_MS = 50.0


def median_ms(fn, repeats: int) -> float:
    fn()  # warm caches and JIT compilation
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times)


def reference_ms(repeats: int) -> float:
    data = np.random.default_rng(0).random((256, 256))
    return median_ms(lambda: [np.sort(data, axis=None) for _ in range(20)], repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    ref = reference_ms(args.repeats)
    print(f"reference workload: {ref:.1f} ms")
    for size, repeats in ((256, args.repeats), (1024, max(3, args.repeats // 5))):
        generator = procgen.get("level/overworld", width=size, height=size)
        seeds = iter(range(10_000))
        ms = median_ms(lambda: generator.generate(next(seeds)), repeats)
        line = f"level/overworld {size}x{size}: median {ms:.1f} ms  ({ms / ref:.2f} x reference)"
        if size == 256:
            line += f"  target <= {TARGET_256_MS:.0f} ms: {'met' if ms <= TARGET_256_MS else 'NOT met'}"
        print(line)


if __name__ == "__main__":
    main()
