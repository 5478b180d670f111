"""The side-view jump model against an agent no one here wrote, on real Super Mario Bros levels.

    python benchmarks/bench_jump_model.py [--record tests/data/smb_agent_results.json]

The Mario AI Framework's A* agent plays each of mario-gpt's 37 real levels whole and its
first 200 columns (padded with 3 columns of ground at each end, as the agent needs); the
jump model (``procgen.levels.jumps``, default 4 rows high, 10 columns across) judges the
same padded levels. The target: every level the agent finishes is playable under the
model. Levels the agent loses may be either (it loses to enemies and lifts the tiles do
not show, and on a busy machine to its 40 ms per frame budget). ``--record`` writes the
agent's results, names and statuses only (no level data), for
``tests/test_jump_model_on_real_levels.py``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from procgen.evaluate.mario_agent import play_many
from procgen.evaluate.smb import as_tilemap, real_level_cuts
from procgen.levels.playability import is_playable


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, help="write the agent's results (JSON) here")
    parser.add_argument("--results", type=Path, help="reuse recorded agent results instead of playing")
    args = parser.parse_args()
    levels = real_level_cuts()
    if args.results:
        agent = json.loads(args.results.read_text())
    else:
        results = play_many(list(levels.values()), workers=2)
        agent = {name: {"won": r.won, "completion": r.completion, "status": r.status}
                 for name, r in zip(levels, results)}
    if args.record:
        args.record.write_text(json.dumps(agent, indent=1, sort_keys=True) + "\n")
    table = {(True, True): 0, (True, False): 0, (False, True): 0, (False, False): 0}
    for name, rows in levels.items():
        table[(agent[name]["won"], is_playable(as_tilemap(rows), view="side-view"))] += 1
    print("| agent | playable under the jump model | not playable |\n|---|---|---|")
    print(f"| wins | {table[True, True]} | {table[True, False]} (target 0) |")
    print(f"| loses | {table[False, True]} | {table[False, False]} |")


if __name__ == "__main__":
    main()
