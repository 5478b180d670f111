"""Learned platformers on the field's standard corpus: Super Mario Bros as VGLC ships it.

    python benchmarks/bench_smb.py [--models columns,transformer] [--levels 40] [--out runs/bench-smb]
                                   [--params '{"enemies": 1.0}'] [--held-out-plays 5]

The 36 real 14 x 200 pieces of mario-gpt's SMB string go into two VGLC folders (legend
``smb.json``, no view): 28 to train on, 8 held out (``procgen.evaluate.smb``). Each model
trains through the command a user runs, ``procgen train level/<model> --data TRAIN --out
RUN``, with no flags. Then ``--levels`` levels from seeds 0.. (``generate``, as a user gets
them, or with the sampling options ``--params`` sets) are measured beside the 8 held-out
real levels:

- the Mario AI Framework's A* agent (``procgen.evaluate.mario_agent``): wins and mean
  completion, generated and real levels interleaved in one batch so both see the same load.
  The agent plans against the wall clock (40 ms a frame), so one play of a level is a noisy
  draw: over four runs the 8 held-out levels gave 6/8 or 7/8 wins and 93.9-98.0% mean
  completion. Each held-out level is therefore played ``--held-out-plays`` times (default 5)
  and the reference is the mean over all its plays; the 40 generated levels are 40 draws
  already and are played once;
- tile-pattern KL (2x2, 3x3, 4x4 mean) to the held-out levels, against the floor
  KL(held-out || training levels);
- broken pipes (``procgen.levels.pipes``), copied 14-column windows (share found verbatim
  in the training levels) beside the held-out levels' share, and ms per level.

Targets (issue 14): completion and wins >= the real held-out levels', KL <= 1.5 x floor,
0 broken pipes, copies <= the held-out share, <= 100 ms (CPU) per level. Results go to
``OUT/results.json`` and ``docs/report/smb/README.md`` with a picture of generated levels
(the real levels stay out of the repository: they are Nintendo's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import procgen
from procgen.datasets.levels import load_corpus
from procgen.evaluate.level_metrics import copied_share, pattern_kl
from procgen.evaluate.level_report import samples_png
from procgen.evaluate.mario_agent import play_many, summary
from procgen.evaluate.smb import smb_pieces, write_vglc
from procgen.levels.pipes import broken_pipes, pipe_roles

REPORT = Path(__file__).resolve().parents[1] / "docs" / "report" / "smb"


def train(model: str, data: Path, out: Path) -> float:
    """Seconds of training ``procgen train level/<model>`` recorded (start-up excluded, so a
    reused run folder reports the same figure as a fresh one)."""
    if not (out / "model.json").exists():
        subprocess.run([sys.executable, "-m", "procgen", "train", f"level/{model}", "--data", str(data),
                        "--out", str(out), "--quiet"], check=True)
    return json.loads((out / "training" / "training.json").read_text())["seconds"]


def rows_of(level: Any) -> list[str]:
    return ["".join(level.tileset[i].char for i in row) for row in level.tiles]


def measure(name: str, run: Path, levels: int, params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    generator = procgen.get(str(run)).with_params(**params)
    generator.generate(0)  # warm-up: the float64 copy of the network, lazy imports
    start = time.process_time()  # CPU time: the agents playing beside this do not inflate it
    made = [generator.generate(seed) for seed in range(levels)]
    ms = 1000 * (time.process_time() - start) / levels
    raw = generator.with_params(repair=False, draws=1)
    first = [raw.generate(seed) for seed in range(levels)]
    air = np.array([t.walkable for t in generator.tileset])
    roles = pipe_roles(generator.tileset)
    return made, {"model": name, "ms_per_level": ms,
                  "broken_pipes": sum(broken_pipes(lv.tiles, roles, air=air) for lv in made),
                  "broken_pipes_raw": sum(broken_pipes(lv.tiles, roles, air=air) for lv in first)}


def agent(levels_by_set: dict[str, list[list[str]]], plays: dict[str, int]) -> dict[str, Any]:
    """Agent summaries per set, every level played ``plays[set]`` times (default once), all
    plays in one batch with the sets interleaved so each sees the same load."""
    queue = {name: [i for _ in range(plays.get(name, 1)) for i in range(len(levels))]
             for name, levels in levels_by_set.items()}
    order = [(name, queue[name][j]) for j in range(max(map(len, queue.values())))
             for name in queue if j < len(queue[name])]
    results = play_many([levels_by_set[name][i] for name, i in order], workers=2)
    out = {}
    for name in levels_by_set:
        mine = [(i, r) for (n, i), r in zip(order, results) if n == name]
        s = summary([r for _, r in mine])
        out[name] = {"wins": s.wins, "plays": s.levels, "levels": len(levels_by_set[name]), "win_rate": s.win_rate,
                     "mean_completion": s.mean_completion, "killed": s.killed,
                     "plays_of": [[(r.status, r.completion) for j, r in mine if j == i]
                                  for i in range(len(levels_by_set[name]))]}
    return out


def report(results: dict[str, Any], models: list[str]) -> list[str]:
    real = results["agent"]["held-out"]
    lines = ["| set | agent wins | mean completion | pattern KL (x floor) | broken pipes (raw draws) | "
             "copied 14-col windows | ms / level | training s |", "|---|---|---|---|---|---|---|---|",
             f"| real held-out ({real['levels']} levels x {real['plays'] // real['levels']} plays) | "
             f"{real['wins']}/{real['plays']} ({real['win_rate']:.0%}) | {real['mean_completion']:.1%} | "
             f"floor {results['kl_floor']:.3f} | {results['held_out_broken_pipes']} | "
             f"{results['held_out_copied']:.1%} | | |"]
    for m in models:
        r, a = results[m], results["agent"][m]
        lines.append(f"| level/{m} | {a['wins']}/{a['plays']} ({a['win_rate']:.0%}) | {a['mean_completion']:.1%} | "
                     f"{r['kl']:.3f} ({r['kl'] / results['kl_floor']:.2f}x) | {r['broken_pipes']} "
                     f"({r['broken_pipes_raw']}) | {r['copied']:.1%} | {r['ms_per_level']:.0f} | "
                     f"{r['training_s']:.0f} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="columns", help="comma-separated level models to train and measure")
    parser.add_argument("--levels", type=int, default=40, help="generated levels per model")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-smb"))
    parser.add_argument("--params", type=json.loads, default={},
                        help="sampling options as a JSON object, e.g. '{\"enemies\": 1.0}' (default: none)")
    parser.add_argument("--held-out-plays", type=int, default=5,
                        help="plays of each held-out level; the agent is noisy and there are only 8 (default 5)")
    parser.add_argument("--no-report", action="store_true", help="do not write docs/report/smb")
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    train_set, held_out_set = smb_pieces()
    train_dir = write_vglc(args.out / "train", train_set)
    held_dir = write_vglc(args.out / "held-out", held_out_set)
    training, held_out = load_corpus(train_dir), load_corpus(held_dir)
    air = np.array([t.walkable for t in training.tileset])
    results: dict[str, Any] = {
        "params": args.params, "kl_floor": pattern_kl(training.levels, held_out.levels).mean,
        "held_out_copied": copied_share(held_out.levels, training.levels, 14),
        "held_out_broken_pipes": sum(broken_pipes(lv.tiles, pipe_roles(training.tileset), air=air)
                                     for lv in held_out.levels)}
    to_play: dict[str, list[list[str]]] = {"held-out": list(held_out_set.values())}
    made_by_model = {}
    for m in models:
        run = args.out / f"run-{m}"
        seconds = train(m, train_dir, run)
        made, figures = measure(m, run, args.levels, args.params)
        figures.update(training_s=seconds, kl=pattern_kl(made, held_out.levels).mean,
                       copied=copied_share(made, training.levels, 14))
        results[m] = figures
        made_by_model[m] = made
        to_play[m] = [rows_of(level) for level in made]
        print(json.dumps(figures), flush=True)
    if args.held_out_plays < 1:
        parser.error(f"--held-out-plays must be at least 1, got {args.held_out_plays}")
    results["agent"] = agent(to_play, {"held-out": args.held_out_plays})
    (args.out / "results.json").write_text(json.dumps(results, indent=1))
    lines = report(results, models)
    print("\n".join(lines))
    if not args.no_report:
        REPORT.mkdir(parents=True, exist_ok=True)
        gens = [(f"level/{m}", procgen.get(str(args.out / f"run-{m}")).with_params(**args.params)) for m in models]
        samples_png(gens, range(3)).save(REPORT / "samples.png")
        (REPORT / "README.md").write_text("\n".join(
            ["# Learned platformers on real Super Mario Bros levels", "",
             f"`python benchmarks/bench_smb.py --models {','.join(models)} --levels {args.levels}"
             + (f" --params '{json.dumps(args.params)}'" if args.params else "")
             + f" --held-out-plays {args.held_out_plays}`; "
             "28 real 14 x 200 pieces to train on, 8 held out, the Mario AI Framework's A* agent.", "",
             *lines, "", "Generated levels (seeds 0-2) of each model: `samples.png`. The real levels are "
             "not pictured: they are Nintendo's and stay out of the repository.", ""]))


if __name__ == "__main__":
    main()
