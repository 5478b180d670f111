"""Held-out negative log-likelihood (nats per step) of every river model with a density.

    python benchmarks/bench_rivers.py [--data assets/data/rivers]

The hand-written baselines river/coinflip and river/meander are fitted by maximum
likelihood on the training split in this run (the reference); learned models use their
shipped weights. Lower is better; the GRU must beat both baselines.
"""

from __future__ import annotations

import argparse
import time

import procgen
from procgen.datasets import load_rivers
from procgen.errors import CheckpointError
from procgen.evaluate.likelihood import has_density, heldout_nll


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="river data folder (default: the shipped dataset)")
    args = parser.parse_args()
    data = load_rivers(args.data)
    train, holdout = data.split("train").paths(), data.split("holdout").paths()
    rows = []
    for name in ("river/coinflip", "river/meander"):
        start = time.perf_counter()
        fitted = procgen.get(name).fit(train, step_length=data.step_length)
        rows.append((f"{name} (fitted)", heldout_nll(fitted, holdout), time.perf_counter() - start))
    for name in procgen.available("learned"):
        try:
            model = procgen.get(name)
        except CheckpointError:
            continue
        if has_density(model):
            rows.append((name, heldout_nll(model, holdout), float("nan")))
    best_baseline = min(r[1].nats_per_step for r in rows[:2])
    print(f"held-out split: {len(holdout)} rivers at {data.step_length:g} km per step")
    print(f"{'model':28s} {'NLL nats/step':>14s} {'stderr':>8s} {'steps':>8s} {'vs best baseline':>17s}")
    for label, result, _ in rows:
        print(f"{label:28s} {result.nats_per_step:14.4f} {result.stderr:8.4f} {result.steps:8d} "
              f"{result.nats_per_step - best_baseline:+17.4f}")


if __name__ == "__main__":
    main()
