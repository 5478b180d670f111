"""level/wfc on the shipped corpora: failures and time per level, by corpus and size.

    python benchmarks/bench_wfc.py [--seeds 100] [--sizes 64,256] [--corpora vglc-rooms,overworld-64]

Every seed must give a level (the generator raises when its backtracks and restarts run
out) that is playable under ``procgen.levels.playability.is_playable`` with the corpus's
view. Reported per corpus and size: failures, median and mean seconds per level,
backtracks and restarts over all seeds.
"""

from __future__ import annotations

import argparse
import statistics
import time

import procgen
from procgen.errors import ProcgenError
from procgen.levels.playability import is_playable


def run(corpus: str, size: int, seeds: int) -> dict[str, float]:
    generator = procgen.get("level/wfc", corpus=corpus, width=size, height=size)
    generator.solve("warm-up")  # compiled kernels load once per process
    times, failures, backtracks, restarts = [], 0, 0, 0
    for seed in range(seeds):
        start = time.perf_counter()
        try:
            result = generator.solve(seed)
        except ProcgenError:
            failures += 1
            continue
        finally:
            times.append(time.perf_counter() - start)
        backtracks += result.backtracks
        restarts += result.restarts
        failures += not is_playable(result.level, view=generator.corpus.view)
    return {"failures": failures, "median_s": statistics.median(times), "mean_s": statistics.fmean(times),
            "backtracks": backtracks, "restarts": restarts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--sizes", default="64,256")
    parser.add_argument("--corpora", default="vglc-rooms,overworld-64")
    args = parser.parse_args()
    print("| corpus | size | failures | median s/level | mean s/level | backtracks | restarts |")
    print("|---|---|---|---|---|---|---|")
    for corpus in args.corpora.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            r = run(corpus, size, args.seeds)
            print(f"| {corpus} | {size}x{size} | {r['failures']}/{args.seeds} | {r['median_s']:.3f} | "
                  f"{r['mean_s']:.3f} | {r['backtracks']} | {r['restarts']} |", flush=True)


if __name__ == "__main__":
    main()
