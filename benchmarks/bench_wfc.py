"""level/wfc on the shipped corpora: failures and time per level, by corpus and size.

    python benchmarks/bench_wfc.py [--seeds 100] [--sizes 64,256] [--corpora vglc-rooms,overworld-64,platformer-14]

A size S is an S x S level on a top-down corpus; on a side-view one (platformer-14, whose
levels are 14 rows high) it is S columns at the corpus's height, since a 256-row platformer
level means nothing. Levels larger than a block (``block``, 64) are solved in blocks.

A failure is a seed that gives no level (the generator raises when its backtracks and
restarts run out). Levels are also checked with ``procgen.levels.playability.is_playable``
under the corpus's view: on top-down corpora level/wfc guarantees it, so ``unplayable``
must be 0 there; on side-view ones it is not guaranteed and only counted. Reported per
corpus and size: failures, unplayable, median and mean seconds per level, backtracks and
restarts over all seeds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import procgen
from procgen.errors import ProcgenError
from procgen.levels.playability import is_playable


def sized(corpus: str, size: int) -> procgen.Generator:
    """level/wfc on ``corpus`` at ``size`` (see the module docstring for side-view corpora)."""
    generator = procgen.get("level/wfc", corpus=corpus, width=size, height=size)
    if generator.corpus.view == "side-view":
        height = max(level.tiles.shape[0] for level in generator.corpus.levels)
        generator = generator.with_params(height=height)
    return generator


def run(corpus: str, size: int, seeds: int) -> dict[str, float | str]:
    generator = sized(corpus, size)
    sized(corpus, 16).solve("warm-up")  # compiled kernels load once per process; a small level is enough
    times, failures, unplayable, backtracks, restarts = [], 0, 0, 0, 0
    for seed in range(seeds):
        start, cpu, outcome = time.perf_counter(), time.process_time(), "failed"
        try:
            result = generator.solve(seed)
            outcome = f"ok, {result.backtracks} backtracks, {result.restarts} restarts"  # a stopped run still tells them
        except ProcgenError:
            failures += 1
            continue
        finally:
            times.append(time.perf_counter() - start)
            print(f"{corpus} {size} seed {seed}: {times[-1]:.2f} s wall, {time.process_time() - cpu:.2f} s CPU, {outcome}",
                  file=sys.stderr, flush=True)
        backtracks += result.backtracks
        restarts += result.restarts
        unplayable += not is_playable(result.level, view=generator.corpus.view)
    shape = f"{generator.config.height}x{generator.config.width}"
    return {"shape": shape, "failures": failures, "unplayable": unplayable, "median_s": statistics.median(times), "mean_s": statistics.fmean(times),
            "backtracks": backtracks, "restarts": restarts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--sizes", default="64,256")
    parser.add_argument("--corpora", default="vglc-rooms,overworld-64")
    args = parser.parse_args()
    # The table's times are wall time; each seed's line on stderr gives CPU time beside it,
    # the figure to trust on a machine busy with other work.
    print("| corpus | size | failures | unplayable | median s/level | mean s/level | backtracks | restarts |")
    print("|---|---|---|---|---|---|---|---|")
    for corpus in args.corpora.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            r = run(corpus, size, args.seeds)
            print(f"| {corpus} | {r['shape']} | {r['failures']}/{args.seeds} | {r['unplayable']} | {r['median_s']:.3f} | "
                  f"{r['mean_s']:.3f} | {r['backtracks']} | {r['restarts']} |", flush=True)


if __name__ == "__main__":
    main()
