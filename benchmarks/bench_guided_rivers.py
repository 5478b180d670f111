"""Terrain-guided rivers in level/overworld: downhill always, and still the model's own shape.

    python benchmarks/bench_guided_rivers.py [--seeds 500] [--generators A,B,...] [--size 256]

For each river generator, ``--seeds`` overworld levels: the moves from one river cell to the
next that climb the depression-filled terrain (target 0), the levels whose spawn-to-goal
route holds (target all), the share of steps that had to follow the drainage links instead
of a model turn, and, for models with a turning-angle density, the log-likelihood per step
of the guided rivers under their own model beside unguided rivers of the same model, each
cut to the length of its guided partner (target: within 0.3 nats). The reference for speed is
level/overworld with river/downhill, which lays its rivers without a model.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import procgen
from procgen.content import RiverPath
from procgen.evaluate.likelihood import has_density, scored_steps
from procgen.generators.guided import long_enough, uphill_steps
from procgen.levels.playability import is_playable

DEFAULT = "river/coinflip,river/meander,river/downhill,river/gru"
TARGET_GAP = 0.3


def per_step(generator, paths) -> float:
    """Mean log-likelihood per scored step over ``paths`` (rivers too short to score are skipped)."""
    totals, steps = 0.0, 0
    for path in paths:
        try:
            n = scored_steps(generator, path)
        except procgen.ContentError:
            continue
        if n > 0:
            totals += float(generator.log_prob(path))
            steps += n
    return totals / steps if steps else float("nan")


def measure(name: str, seeds: int, size: int) -> dict[str, float]:
    overworld = procgen.get("level/overworld", river=name, width=size, height=size)
    river = overworld.river_generator
    uphill = playable = model_steps = drainage_steps = 0
    guided, times = [], []
    for seed in range(seeds):
        start = time.perf_counter()
        layout = overworld.river_layout(seed)
        times.append(time.perf_counter() - start)
        filled = layout.filled()
        uphill += sum(uphill_steps(cells, filled) for cells in layout.rivers)
        playable += is_playable(layout.level)
        model_steps += sum(w.model_steps for w in layout.walks)
        drainage_steps += sum(w.drainage_steps for w in layout.walks)
        guided += [w.path(river.config.step_length) for w in layout.walks if len(w.points) > 2]
    row = {"seeds": seeds, "uphill": uphill, "playable": playable, "ms": 1000 * statistics.median(times),
           "drainage_share": drainage_steps / max(1, model_steps + drainage_steps)}
    if has_density(river) and guided:
        # Each guided river beside an unguided one cut to the same number of steps: a river's
        # first turns score differently from later ones, and guided rivers are often short.
        free = long_enough(river, max(len(p.points) for p in guided)).generate_batch(
            [f"unguided-{i}" for i in range(len(guided))])
        unguided = [RiverPath(f.points[:len(g.points)]) for f, g in zip(free, guided)]
        row["guided"], row["unguided"] = per_step(river, guided), per_step(river, unguided)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--generators", default=DEFAULT)
    args = parser.parse_args()
    print(f"level/overworld {args.size}x{args.size}, {args.seeds} seeds per river generator\n")
    print("| river | uphill moves | route holds | drainage steps | log-lik/step guided | unguided | gap "
          "(target <= 0.3) | ms per level |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.generators.split(","):
        r = measure(name.strip(), args.seeds, args.size)
        if "guided" in r:
            gap = r["unguided"] - r["guided"]
            lik = (f"{r['guided']:.3f} | {r['unguided']:.3f} | {gap:.3f} "
                   f"({'met' if gap <= TARGET_GAP else 'NOT met'})")
        else:
            lik = "| | (no turn density or no guided walk)"
        print(f"| {name} | {r['uphill']} | {r['playable']}/{r['seeds']} | {100 * r['drainage_share']:.2f}% | "
              f"{lik} | {r['ms']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
