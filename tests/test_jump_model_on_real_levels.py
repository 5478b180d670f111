"""The side-view jump model checked against real Super Mario Bros levels and an agent no one here wrote.

The real levels come from mario-gpt's wheel (a development dependency; without it these
tests skip). ``tests/data/smb_agent_results.json`` holds what the Mario AI Framework's A*
agent did on each of them (``python benchmarks/bench_jump_model.py --record ...``): names
and statuses only. The agent itself is run here too, on a few levels, where Java is present.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from procgen.evaluate import mario_agent
from procgen.evaluate.mario_agent import MarioAgentError
from procgen.evaluate.smb import as_tilemap, real_level_cuts
from procgen.levels.playability import is_playable, reachable

RECORD = Path(__file__).with_name("data") / "smb_agent_results.json"


@pytest.fixture(scope="module")
def real() -> dict[str, list[str]]:
    try:
        return real_level_cuts()
    except MarioAgentError as error:
        pytest.skip(f"the real SMB levels are not installed: {error}")


def test_every_real_level_the_agent_finished_is_playable(real: dict[str, list[str]]) -> None:
    record = json.loads(RECORD.read_text())
    assert set(record) == set(real)
    won = [name for name, result in record.items() if result["won"]]
    assert len(won) >= 15
    refused = [name for name in won if not is_playable(as_tilemap(real[name]), view="side-view")]
    assert refused == []
    # Enemies walk and fall, so a generator judges its levels with them as air: the real
    # levels the agent finished never needed an enemy to stand on.
    air = np.array([t.walkable or t.char == "E" for t in as_tilemap(real[won[0]]).tileset])
    refused = [name for name in won if not is_playable(as_tilemap(real[name]), view="side-view", air=air)]
    assert refused == []


def test_a_smaller_jump_refuses_real_levels_the_agent_plays(real: dict[str, list[str]]) -> None:
    # A jump a row lower and two columns shorter (the old rule's reach) refuses more of them.
    wider = sum(is_playable(as_tilemap(rows), view="side-view") for rows in real.values())
    narrower = sum(is_playable(as_tilemap(rows), view="side-view", jump_height=4, jump_across=8) for rows in real.values())
    assert wider > narrower


def test_spawn_and_goal_stand_on_the_ground_at_the_ends(real: dict[str, list[str]]) -> None:
    for rows in real.values():
        level = as_tilemap(rows)
        h, w = level.shape
        # On the agent's 3 columns of padding ground at each end (or the level's first/last ground).
        for cell, end in ((level.spawn, 0), (level.goal, w - 1)):
            assert abs(cell[1] - end) <= 3 and cell[0] < h - 1
            assert not level.tileset[level.tiles[cell[0] + 1, cell[1]]].walkable  # standing on something


def test_a_pit_wider_than_the_jump_stops_the_player(real: dict[str, list[str]]) -> None:
    rows = real["full:smb-1-1"]
    cut = [row[:60] + "-" * 10 + row[60:] for row in rows]  # a 10-column pit: one more than the jump clears
    level = as_tilemap(cut)
    assert not is_playable(level, view="side-view")
    assert not reachable(level, view="side-view")[:, 75:].any()


@pytest.mark.slow
def test_the_agent_and_the_model_agree_on_levels_played_now(real: dict[str, list[str]]) -> None:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (the Mario agent is a Java program)")
    try:
        mario_agent.locate_agent()
    except MarioAgentError as error:
        pytest.skip(f"Mario agent not available: {error}")
    names = ["full:smb-1-1", "first200:smb-4-1"]
    results = mario_agent.play_many([real[n] for n in names], workers=2)
    for name, result in zip(names, results):
        if result.won:
            assert is_playable(as_tilemap(real[name]), view="side-view"), name
    assert any(r.won for r in results)
    assert np.isfinite([r.completion for r in results]).all()
