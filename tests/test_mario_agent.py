"""The Mario A* agent harness (procgen.evaluate.mario_agent). The agent (Java and
mario-gpt's PlayAstar.jar) is not a procgen dependency: without it these tests skip."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from procgen.errors import ProcgenError
from procgen.evaluate import mario_agent
from procgen.evaluate.mario_agent import AgentResult, MarioAgentError, padded, pieces, play, play_many, summary

FLAT = ["-" * 40] * 12 + ["X" * 40] * 2
PIT = ["-" * 60] * 12 + ["X" * 5 + "-" * 55] * 2  # ground for 5 columns, then a bottomless pit


def _agent_or_skip() -> Path:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime on PATH (the Mario agent is a Java program)")
    try:
        return mario_agent.locate_agent()
    except MarioAgentError as error:
        pytest.skip(f"Mario agent not available: {error}")


@pytest.fixture
def agent() -> Path:
    return _agent_or_skip()


# Harness logic, no Java needed.

def test_padding_adds_flat_ground_matching_the_level():
    rows = padded(["----", "----", "-XX-", "XXXX"], pad=2)
    assert rows == ["--" + "----" + "--", "--" + "----" + "--", "--" + "-XX-" + "--", "XX" + "XXXX" + "XX"]
    deep = padded(["--", "XX", "XX"], pad=1)
    assert [row[0] for row in deep] == ["-", "X", "X"]


def test_path_marks_read_as_air_and_unknown_tiles_are_refused():
    assert padded(["xx", "XX"], pad=0) == ["--", "XX"]
    with pytest.raises(ProcgenError, match="not in the agent's tile set"):
        padded(["-Z", "XX"])
    with pytest.raises(ProcgenError, match="one non-zero length"):
        padded(["---", "XX"])
    with pytest.raises(ProcgenError, match="pad"):
        padded(["--", "XX"], pad=-1)


def test_status_line_parse():
    out = "Running Astar agent\n****\nGame Status: WIN Percentage Completion: 1.0\nLives: 1\n"
    assert mario_agent._parse(out, 2.0) == AgentResult(True, 1.0, 2.0, "WIN")
    lose = mario_agent._parse("Game Status: LOSE Percentage Completion: 0.43420836", 1.0)
    assert lose.status == "LOSE" and not lose.won and lose.completion == pytest.approx(0.434208)
    with pytest.raises(MarioAgentError, match="no 'Game Status' line"):
        mario_agent._parse("Exception in thread main", 1.0)


def test_pieces_and_summary():
    assert [p[0] for p in pieces(["abcdefg"], 3)] == ["abc", "def"]
    s = summary([AgentResult(True, 1.0, 1, "WIN"), AgentResult(False, 0.5, 1, "LOSE"),
                 AgentResult(False, float("nan"), 9, "KILLED")])
    assert (s.levels, s.wins, s.killed) == (3, 1, 1)
    assert s.win_rate == pytest.approx(1 / 3) and s.mean_completion == pytest.approx(0.75)


def test_missing_jar_is_a_clear_procgen_error(monkeypatch, tmp_path):
    monkeypatch.setenv(mario_agent.JAR_ENV, str(tmp_path / "nope.jar"))
    with pytest.raises(ProcgenError, match="pip install --no-deps mario-gpt==0.1.3"):
        mario_agent.locate_agent()


# With the agent.

def test_agent_wins_flat_ground(agent):
    result = play(FLAT)
    assert result.won and result.status == "WIN" and result.completion == pytest.approx(1.0)


def test_agent_loses_a_bottomless_pit(agent):
    result = play(PIT)
    assert not result.won and result.status == "LOSE" and result.completion < 0.5


def test_same_level_same_status(agent):
    # The agent's search has a wall-clock budget, so only easy levels are reproducible.
    results = play_many([FLAT, PIT, FLAT, PIT], workers=2)
    assert [(r.status, r.completion) for r in results[:2]] == [(r.status, r.completion) for r in results[2:]]


def test_play_leaves_no_files_behind(agent, monkeypatch, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.chdir(tmp_path)
    play(FLAT)
    assert sorted(os.listdir(tmp_path)) == ["tmp"] and os.listdir(scratch) == []


def test_real_levels_parse_to_14_equal_rows(agent):
    try:
        levels = mario_agent.real_smb_levels()
    except MarioAgentError as error:
        pytest.skip(f"mario_gpt/level.py not available: {error}")
    assert len(levels) == 37 and "smb-1-1" in levels and "smb-lost-1-1" in levels
    for name, rows in levels.items():
        assert len(rows) == 14 and len({len(row) for row in rows}) == 1, name
        padded(rows)  # every tile is one the agent knows
    assert len(pieces(mario_agent.real_smb_corpus(), 200)) == 36
