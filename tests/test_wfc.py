"""level/wfc: patterns, designer constraints, backtracking and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import procgen
from procgen.errors import ParameterError
from procgen.generators.handwritten._wfc_patterns import extract, terrain
from procgen.levels.endpoints import marker_ids, strip_markers
from procgen.levels.playability import is_playable


def windows(grid: np.ndarray, n: int) -> set[bytes]:
    return {w.tobytes() for w in sliding_window_view(grid.astype(np.int32), (n, n)).reshape(-1, n, n)}


def corpus_windows(generator) -> set[bytes]:
    return {p.tobytes() for p in generator.patterns.tiles}


def stripped(generator, level) -> np.ndarray:
    corpus = generator.corpus
    floor = int(terrain(corpus)[0][corpus.levels[0].spawn]) if corpus.levels[0].spawn else 0
    return strip_markers(level.tiles, corpus.tileset, corpus.legend, floor)


@pytest.fixture(scope="module")
def rooms():
    return procgen.get("level/wfc")


def test_every_window_is_a_corpus_pattern_and_the_level_is_playable(rooms) -> None:
    known = corpus_windows(rooms)
    for seed in range(3):
        level = rooms.generate(seed)
        assert level.shape == (24, 40) and level.tileset == rooms.corpus.tileset
        assert is_playable(level, view="top-down")
        assert level.spawn == (11, 0) and level.goal == (11, 39)  # procgen.levels.endpoints' rule
        assert windows(stripped(rooms, level), 3) <= known


def test_patterns_and_adjacency_tables() -> None:
    grid = np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]])
    patterns = extract([grid], 2, 2)
    assert len(patterns) == 2 and patterns.weights.tolist() == [3.0, 3.0]  # checkerboard: two 2x2 windows
    right = patterns.compatible(1)
    assert right.dtype == bool and right.shape == (2, 2)
    assert not right[0, 0] and right[0, 1]  # a checkerboard window is followed by the other one
    mirrored = extract([np.array([[0, 0, 1], [0, 0, 1]])], 2, 2, "mirror")
    assert len(mirrored) > len(extract([np.array([[0, 0, 1], [0, 0, 1]])], 2, 2))


def test_fixed_tiles_are_honoured(rooms) -> None:
    fixed = rooms.with_params(fixed="0,0,#; 5,7,~; -1,-1,#; 12,20,$")
    level = fixed.generate("designer")
    chars = np.array([t.char for t in level.tileset])[level.tiles]
    assert chars[0, 0] == "#" and chars[5, 7] == "~" and chars[-1, -1] == "#" and chars[12, 20] == "$"
    assert is_playable(level)


def test_fixed_tiles_that_cut_the_path_or_fit_no_pattern_are_refused(rooms) -> None:
    wall = "; ".join(f"{r},20,#" for r in range(24))
    with pytest.raises(ParameterError, match="cut spawn"):
        rooms.with_params(fixed=wall).generate(1)
    with pytest.raises(ParameterError, match="not in the corpus"):
        rooms.with_params(fixed="3,3,Q")
    with pytest.raises(ParameterError, match="marker"):
        rooms.with_params(fixed="3,3,S")
    with pytest.raises(ParameterError, match="fixed"):
        procgen.get("level/wfc", fixed="3;4")
    with pytest.raises(ParameterError, match="fixed"):
        procgen.get("level/wfc", fixed="99,0,#")


def test_backtracking_recovers_where_greedy_collapse_fails(rooms) -> None:
    # Seeds 3 and 38 of a 16x12 level run into a contradiction: without backtracking (and
    # without restarts) they fail; with it the same first attempt succeeds.
    small = rooms.with_params(width=16, height=12, restarts=0)
    known = corpus_windows(rooms)
    for seed in (3, 38):
        with pytest.raises(ParameterError, match="backtracks"):
            small.with_params(backtracks=0).generate(seed)
        result = small.solve(seed)
        assert result.backtracks > 0 and result.restarts == 0
        assert is_playable(result.level) and windows(stripped(rooms, result.level), 3) <= known


def test_a_large_level(rooms) -> None:
    result = rooms.with_params(width=64, height=64).solve(2)
    assert is_playable(result.level)
    assert windows(stripped(rooms, result.level), 3) <= corpus_windows(rooms)


def test_no_solution_is_a_clear_error(tmp_path) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "legend.json").write_text(json.dumps({"tiles": {"#": ["solid"], ".": ["passable"]}}))
    (folder / "a.txt").write_text("#.#.\n.#.#\n#.#.\n.#.#\n")
    generator = procgen.get("level/wfc", corpus=str(folder), width=6, height=6, n=2, path=False,
                            fixed="0,0,#; 0,1,#")
    with pytest.raises(ParameterError, match="fixed"):
        generator.generate(0)


def test_side_view_corpora_get_spawn_and_goal_and_never_turn(tmp_path) -> None:
    folder = tmp_path / "smb"
    folder.mkdir()
    (folder / "smb.json").write_text(json.dumps({"tiles": {"-": ["passable", "empty"], "X": ["solid", "ground"],
                                                           "?": ["solid", "question"]}}))
    sky, blocks, ground = "-" * 40, "----??-----?-------???------?-----??----", "X" * 40
    (folder / "1.txt").write_text("\n".join([sky] * 4 + [blocks] + [sky] * 3 + [ground, ground]) + "\n")
    with pytest.raises(ParameterError, match="side-view"):
        procgen.get("level/wfc", corpus=str(folder), symmetry="all")
    generator = procgen.get("level/wfc", corpus=str(folder), symmetry="mirror", width=30, height=10)
    assert generator.corpus.view == "side-view"
    level = generator.generate(4)
    assert level.spawn is not None and level.goal is not None
    assert windows(level.tiles, 3) <= corpus_windows(generator)  # mirrored, never turned: "?" floats over sky


def test_periodic_levels_wrap_around(rooms) -> None:
    level = rooms.with_params(periodic=True, width=30, height=20).generate(5)
    wrapped = np.pad(stripped(rooms, level), ((0, 2), (0, 2)), mode="wrap")
    assert windows(wrapped, 3) <= corpus_windows(rooms)


def test_another_corpus_and_bad_corpora() -> None:
    overworld = procgen.get("level/wfc", corpus="overworld-64", width=24, height=16)
    level = overworld.generate(3)
    assert is_playable(level) and level.tileset == overworld.corpus.tileset
    assert marker_ids(level.tileset, overworld.corpus.legend) == {"spawn": None, "goal": None}
    with pytest.raises(ParameterError, match="corpus"):
        procgen.get("level/wfc", corpus="no-such-corpus")
    with pytest.raises(ParameterError, match="n=4"):
        procgen.get("level/wfc", n=4, width=3)


def test_block_solved_levels_have_seamless_blocks_fixed_tiles_and_a_path(rooms) -> None:
    # block=16 cuts a 40x40 level's 38x38 pattern grid into 3 x 3 blocks: every seam between
    # blocks must still be made of corpus patterns, and the designer's tiles and path survive.
    fixed = "0,0,#; 17,17,~; 20,30,$; -1,-1,#"
    blocked = rooms.with_params(width=40, height=40, block=16, fixed=fixed)
    known = corpus_windows(rooms)
    for seed in (0, 1):
        result = blocked.solve(seed)
        level = result.level
        chars = np.array([t.char for t in level.tileset])[level.tiles]
        assert chars[0, 0] == "#" and chars[17, 17] == "~" and chars[20, 30] == "$" and chars[-1, -1] == "#"
        assert is_playable(level, view="top-down") and level.spawn == (19, 0) and level.goal == (19, 39)
        assert windows(stripped(rooms, level), 3) <= known
        assert blocked.generate(seed) == level  # the same seed, the same blocks
    assert blocked.generate(0) != rooms.with_params(width=40, height=40, block=0, fixed=fixed).generate(0)


def test_blocks_that_fail_are_solved_again_with_more_opened_up(rooms, monkeypatch) -> None:
    # A block whose first run is reported stuck is run again from another child stream;
    # the level still comes out whole and seamless.
    from procgen.generators.handwritten import _wfc_blocks as blocks
    real, calls = blocks.run, []

    def flaky(grid, window, pinned, stream):
        calls.append(window)
        if len(calls) == 2:
            return blocks.kernels.STUCK, 7, 0, None
        return real(grid, window, pinned, stream)

    monkeypatch.setattr(blocks, "run", flaky)
    result = rooms.with_params(width=34, height=18, block=16).solve(3)
    assert calls[1] == calls[2] and result.backtracks >= 7 and result.restarts == 0
    assert windows(stripped(rooms, result.level), 3) <= corpus_windows(rooms)
    with pytest.raises(ParameterError, match="block"):
        procgen.get("level/wfc", block=5)


def test_a_stuck_block_is_run_again_propagating_farther_then_with_more_opened_up(rooms, monkeypatch) -> None:
    # The retry ladder: the same window with decisions propagating 2 then 4 cells farther
    # (what rescues stuck overworld-64 blocks), then a margin opened around the block.
    from procgen.generators.handwritten import _wfc_blocks as blocks
    real, calls = blocks.run, []

    def stuck_thrice(grid, window, pinned, stream):
        calls.append((window, grid.reach))
        if 2 <= len(calls) <= 4:  # the second block's first three runs
            return blocks.kernels.STUCK, 1, 0, None
        return real(grid, window, pinned, stream)

    monkeypatch.setattr(blocks, "run", stuck_thrice)
    generator = rooms.with_params(width=50, height=18, block=16)
    result = generator.solve(3)
    reach = generator._problem.reach
    (first, r0), (again, r1), (third, r2), (opened, r3) = calls[1:5]
    assert (r0, r1, r2, r3) == (reach, reach + 2, reach + 4, reach + 4)
    assert again == first == third and opened[2] < first[2] and opened[3] > first[3]
    assert calls[0][1] == calls[5][1] == reach  # other blocks keep the cheap reach
    assert result.backtracks >= 3 and windows(stripped(rooms, result.level), 3) <= corpus_windows(rooms)


@pytest.mark.parametrize(("width", "whole"), [(34, True), (82, False)])
def test_only_a_small_grid_is_solved_whole_when_a_block_fails_every_try(rooms, monkeypatch, width, whole) -> None:
    # A whole 254 x 254 overworld grid never came through where a restart did: past
    # _WHOLE_BLOCKS blocks a block that fails every try fails the attempt instead.
    from procgen.generators.handwritten import _wfc_blocks as blocks
    real, calls = blocks.run, []

    def second_block_stuck(grid, window, pinned, stream):
        calls.append(window)
        if window[2] > 0 and window[0] == 0 and window != (0, grid.shape[0], 0, grid.shape[1]):
            return blocks.kernels.STUCK, 1, 0, None
        return real(grid, window, pinned, stream)

    monkeypatch.setattr(blocks, "run", second_block_stuck)
    generator = rooms.with_params(width=width, height=18, block=16, restarts=0)
    grid = generator._problem.shape
    if whole:
        assert generator.solve(1).restarts == 0
    else:
        with pytest.raises(ParameterError, match="backtracks"):
            generator.solve(1)
    assert ((0, grid[0], 0, grid[1]) in calls) == whole
    assert len(calls) == 1 + len(blocks._TRIES) - (not whole)


def test_undo_restores_every_domain_a_decision_changed() -> None:
    # The trail logs only the words a change alters; undoing a decision and what it
    # propagated must give back the exact domains, counts and weight sums.
    from procgen.generators.handwritten import _wfc_blocks as blocks
    from procgen.generators.handwritten import _wfc_kernels as kernels
    from procgen.generators.handwritten._wfc_state import undo

    grid = procgen.get("level/wfc", corpus="overworld-64", width=24, height=16)._problem
    rows, cols = grid.shape
    dom = np.tile(grid.full, (rows * cols, 1))
    tables = (*grid.tables, blocks._neighbours((rows, cols), False), grid.full,
              np.array([rows, cols, 0, grid.reach], np.int64))
    noise = np.zeros(rows * cols)
    state, trail, heap, scratch = kernels._start(dom, tables, noise)
    for cell, pattern in ((5 * cols + 7, 0), (9 * cols + 15, 1)):
        before = [a.copy() for a in state]
        mark = trail[7][0]
        pattern = int(np.flatnonzero(np.unpackbits(dom[cell].view(np.uint8), bitorder="little"))[pattern])
        ok, trail, heap = kernels._fix(state, tables, trail, heap, scratch, noise, cell, pattern, False)
        assert ok and trail[7][0] > mark + 1 and not np.array_equal(state[0], before[0])
        heap = undo(state, trail, heap, noise, mark)
        assert all(np.array_equal(a, b) for a, b in zip(state, before)) and trail[7][0] == mark
