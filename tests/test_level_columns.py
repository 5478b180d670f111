"""level/columns: platformers drawn as whole columns of the training levels, pipes kept whole."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import procgen
from procgen.assets import assets_dir
from procgen.datasets.levels import load_corpus
from procgen.errors import ParameterError
from procgen.generators.learned.levels.columns import ColumnLevel, pipe_rules, vocabulary
from procgen.levels.jumps import COMFORT
from procgen.levels.pipes import broken_pipes, pipe_roles
from procgen.levels.playability import is_playable

PLATFORMER = assets_dir() / "levels" / "platformer-14"


@pytest.fixture(scope="module")
def trained() -> ColumnLevel:
    return ColumnLevel().fit(PLATFORMER, epochs=3)


def test_every_column_is_a_whole_column_of_the_training_data(trained: ColumnLevel) -> None:
    vocab = trained.module.vocab.numpy()
    known = {tuple(column) for column in vocab}
    for seed in range(5):
        level = trained.with_params(repair=False, draws=1).generate(seed)
        assert level.shape == (14, trained.config.width)
        assert all(tuple(column) in known for column in level.tiles.T)


def test_no_draw_breaks_a_pipe(trained: ColumnLevel) -> None:
    raw = trained.with_params(repair=False, draws=1, temperature=2.0)  # hot: rare columns come up too
    air = np.array([t.walkable for t in trained.tileset])
    roles = pipe_roles(trained.tileset)
    assert roles is not None
    levels = [raw.generate(seed) for seed in range(30)]
    assert sum((np.isin(lv.tiles, roles.ids)).sum() for lv in levels) > 0  # pipes were drawn
    assert all(broken_pipes(lv.tiles, roles, air=air) == 0 for lv in levels)


def test_pipe_rules_pair_the_halves() -> None:
    corpus = load_corpus(PLATFORMER)
    vocab, _ = vocabulary([level.tiles for level in corpus.levels])
    follows, first, last = pipe_rules(vocab, corpus.tileset)
    roles = pipe_roles(corpus.tileset)
    lefts = np.flatnonzero((vocab == roles.top_left).any(axis=1))
    rights = np.flatnonzero((vocab == roles.top_right).any(axis=1))
    assert lefts.size and rights.size
    assert not first[rights].any() and not last[lefts].any()
    # After a pipe's left column only right columns with the top at the same row may follow.
    for a in lefts:
        top_row = int(np.flatnonzero(vocab[a] == roles.top_left)[0])
        assert (vocab[follows[a]][:, top_row] == roles.top_right).all()


def test_the_sampling_fast_path_is_the_forward_pass(trained: ColumnLevel) -> None:
    with trained.inference():
        net = trained.module
        table = net.embeddings()
        sampler = net.sampler()
        border = net.vocab.shape[0]
        rng = np.random.default_rng(0)
        for _ in range(5):
            context = [int(i) for i in rng.integers(0, border + 1, trained.config.context)]
            full = net.logits(torch.tensor([context]), table)[0]
            assert torch.allclose(full, sampler.logits(context), atol=1e-12)


def test_generated_levels_are_playable_and_stand_on_the_ground_at_both_ends(trained: ColumnLevel) -> None:
    for seed in range(5):
        level = trained.generate(seed)
        # Within the comfortable jump generate-and-test asks for, so within the player's reach too.
        assert is_playable(level, view="side-view", jump_height=COMFORT.height, jump_across=COMFORT.across)
        assert is_playable(level, view="side-view")
        assert level.spawn[1] <= 3 and level.goal[1] >= level.shape[1] - 4
        below = level.tiles[level.spawn[0] + 1, level.spawn[1]]
        assert not level.tileset[below].walkable


def test_a_top_down_corpus_is_refused_by_name() -> None:
    with pytest.raises(ParameterError, match="top-down"):
        ColumnLevel().fit(assets_dir() / "levels" / "vglc-rooms", epochs=1)


def test_a_smaller_asked_jump_makes_every_level_pass_it(trained: ColumnLevel) -> None:
    small = trained.with_params(jump_height=2, jump_across=5)
    for seed in range(3):
        assert is_playable(small.generate(seed), view="side-view", jump_height=2, jump_across=5)


def test_no_gap_is_wider_than_max_gap(trained: ColumnLevel) -> None:
    air = trained.side_air()
    for max_gap in (1, 3):
        raw = trained.with_params(max_gap=max_gap, draws=1, repair=False)
        widest = 0
        for seed in range(4):
            pit = air[raw.generate(seed).tiles[-1]].astype(np.int8)  # (W,) no ground under the column
            runs = np.diff(np.flatnonzero(np.diff(np.concatenate([[0], pit, [0]]))))[::2]  # lengths of pit runs
            widest = max([widest, *runs])
        assert 1 <= widest <= max_gap


def test_levels_start_and_end_on_ground(trained: ColumnLevel) -> None:
    air = trained.side_air()
    for runway, seeds in ((6, range(4)), (0, range(12))):
        ends = [air[trained.with_params(runway=runway, draws=1, repair=False).generate(s).tiles[-1]] for s in seeds]
        over_a_pit = sum(bool(pit[:6].any() or pit[-6:].any()) for pit in ends)  # (W,) per level
        assert (over_a_pit == 0) if runway else (over_a_pit > 0)


def test_enemies_become_air_and_nothing_else_changes(trained: ColumnLevel) -> None:
    enemy = [i for i, t in enumerate(trained.tileset) if t.char == "E"][0]
    raw = trained.with_params(draws=1, repair=False)
    wild = [raw.with_params(enemies=1.0).generate(s).tiles for s in range(4)]
    kept = {share: [raw.with_params(enemies=share).generate(s).tiles for s in range(4)] for share in (0.0, 0.5)}
    for share, levels in kept.items():
        for full, calm in zip(wild, levels):
            changed = calm != full
            assert (full[changed] == enemy).all()  # the same columns: only enemies went
            assert all(trained.tileset[t].walkable for t in np.unique(calm[changed]))
    count = {share: sum(int((g == enemy).sum()) for g in levels) for share, levels in kept.items()}
    assert count[0.0] == 0 < count[0.5] < sum(int((g == enemy).sum()) for g in wild)


def test_a_jump_shorter_than_its_rise_and_fall_is_refused() -> None:
    with pytest.raises(ParameterError, match="jump_across must be at least 2 \\* jump_height = 8"):
        procgen.get("level/columns", jump_height=4, jump_across=7)


def test_the_height_is_the_corpus_column_height() -> None:
    with pytest.raises(ParameterError, match="14 rows"):
        procgen.get("level/columns", height=20).generate(0)


def test_the_shipped_model_is_side_view_on_the_platformer_corpus() -> None:
    generator = procgen.get("level/columns")
    assert generator.config.view == "side-view" and generator.config.height == 14
    assert is_playable(generator.generate("mossy-canyon"), view="side-view")
