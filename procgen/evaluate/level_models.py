"""A learned (or any) level generator measured against a corpus's held-out levels.

One function, :func:`evaluate_level_model`, gives every figure the issue's targets name:
raw and repaired playability, tile-pattern KL to the held-out levels beside the
independent-tiles baseline, diversity, novelty (exact copies of a training window, those with a
layout in them beside the held-out levels' own share, and the nearest distance), and the
expressive range. ``procgen train`` writes them into the model card and
``benchmarks/bench_levels.py`` tabulates them per model and corpus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from procgen.content import TileMap
from procgen.datasets.levels import LevelCorpus
from procgen.errors import ParameterError
from procgen.evaluate.level_metrics import (ExpressiveRange, PatternKL, diversity, expressive_range,
                                            independent_tiles, pattern_kl, playability_rate)
from procgen.evaluate.level_metrics import novelty as nearest_window
from procgen.generators.base import Generator
from procgen.generators.learned.levels.data import floor_id, split_corpus, terrain
from procgen.levels.endpoints import marker_ids, place_endpoints
from procgen.progress import bar


@dataclass(frozen=True)
class LevelModelResult:
    """Figures for ``count`` levels (seeds ``seed .. seed + count - 1``) against one corpus."""

    generator: str
    levels: int
    shape: tuple[int, int]
    first_draw_playability: float  # the model's first draw per seed, endpoints placed, no repair
    raw_playability: float  # no edits: the first playable of the generator's draws, else its first draw
    repaired_playability: float  # what generate returns
    repaired_share: float  # share of levels the repair had to change
    kl: PatternKL  # to the held-out levels
    baseline_kl: PatternKL  # independent tiles at corpus frequencies, same shape and count
    corpus_kl: PatternKL  # the training levels themselves to the held-out ones: the data's own floor
    diversity: float
    copies: float  # share of generated k x k windows identical to a training window
    uniform_copies: float  # the share of them that are one tile throughout (all wall, all sea): no layout copied
    corpus_copies: float  # the same share for the held-out levels: how often real levels repeat a window
    corpus_uniform_copies: float  # the held-out levels' one-tile copies
    nearest: float  # median normalised Hamming distance of each level's first window to the training windows
    window: int
    expressive: ExpressiveRange
    corpus_raw_playability: float  # the held-out levels with endpoints by the same rule

    def as_dict(self) -> dict[str, Any]:
        return {"generator": self.generator, "levels": self.levels, "shape": list(self.shape),
                "first_draw_playability": self.first_draw_playability,
                "raw_playability": self.raw_playability, "repaired_playability": self.repaired_playability,
                "repaired_share": self.repaired_share, "kl": self.kl.mean, "kl_per_size": self.kl.per_size,
                "baseline_kl": self.baseline_kl.mean, "corpus_kl": self.corpus_kl.mean,
                "kl_ratio": self.kl.mean / self.baseline_kl.mean if self.baseline_kl.mean else float("nan"),
                "diversity": self.diversity, "copies": self.copies, "uniform_copies": self.uniform_copies,
                "layout_copies": self.layout_copies, "corpus_copies": self.corpus_copies,
                "corpus_layout_copies": self.corpus_layout_copies, "nearest": self.nearest,
                "window": self.window, "corpus_raw_playability": self.corpus_raw_playability}

    @property
    def layout_copies(self) -> float:
        """Share of generated windows that copy a training window with two or more tiles in it."""
        return self.copies - self.uniform_copies

    @property
    def corpus_layout_copies(self) -> float:
        """The same share for the held-out levels: how often unseen real levels repeat a layout."""
        return self.corpus_copies - self.corpus_uniform_copies

    def copies_no_more_than_real(self) -> bool:
        """The novelty target: the model copies training layouts no more often than unseen real
        levels of the corpus do. A one-tile window (all rock, all sea) holds no layout to copy,
        and real levels of a corpus repeat some layouts of one another (overworld-64's held-out
        levels: 1.0% of windows), so "no copy at all" would call the corpus itself a copier."""
        return self.layout_copies <= self.corpus_layout_copies + 1e-12  # shares of whole counts

    def copies_text(self) -> str:
        """The copy figures in one phrase, as the tables print them:
        ``"5.0% (layout 0.0%; held-out 0.0%, layout 0.0%)"``."""
        return (f"{self.copies:.1%} (layout {self.layout_copies:.1%}; "
                f"held-out {self.corpus_copies:.1%}, layout {self.corpus_layout_copies:.1%})")


def _training_windows(train: list[np.ndarray], k: int) -> set[bytes]:
    """Every k x k window of the training levels (any position), as bytes of int32 ids."""
    return {w.tobytes() for t in train if min(t.shape) >= k
            for w in sliding_window_view(t.astype(np.int32), (k, k)).reshape(-1, k, k)}


def _copy_share(grids: list[np.ndarray], seen: set[bytes], k: int) -> tuple[float, float]:
    """Share of the non-overlapping k x k windows of ``grids`` equal to a training window in
    ``seen`` (:func:`_training_windows`), and the share that are such copies of one tile
    throughout. A model faithful to a corpus with a solid-rock level draws solid rock too; a
    uniform copy shows that, a mixed one memorisation."""
    cut = [g[r:r + k, c:c + k].astype(np.int32) for g in grids
           for r in range(0, g.shape[0] - k + 1, k) for c in range(0, g.shape[1] - k + 1, k)]
    if not cut:
        raise ParameterError(f"levels smaller than the {k}x{k} novelty window")
    copied = np.array([w.tobytes() in seen for w in cut])
    uniform = np.array([(w == w.flat[0]).all() for w in cut])
    return float(copied.mean()), float((copied & uniform).mean())


def evaluate_level_model(generator: Generator[Any], corpus: LevelCorpus, *, count: int = 100, seed: int = 0,
                         window: int = 16, progress: bool = False, label: str | None = None) -> LevelModelResult:
    """Measure ``generator`` (a TileMap generator over ``corpus``'s tileset) against ``corpus``.

    ``progress``: a bar on stderr counting the levels generated (the slow part), named ``label``.
    """
    if generator.content_type is not TileMap:
        raise ParameterError(f"{generator.name} makes {generator.content_type.__name__}, not tile levels")
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise ParameterError(f"count must be an int >= 2, got {count!r}")
    parts = split_corpus(corpus)
    seeds = list(range(seed, seed + count))
    options = generator.config.to_dict()
    raw_gen = generator.with_params(repair=False) if "repair" in options else generator
    probe = raw_gen.generate_batch(seeds[:1])
    # Checked on one level, before the bar: a wrong model is one error line, at once.
    if probe[0].tileset != corpus.tileset:
        raise ParameterError(f"{generator.name} was trained on another tileset than this corpus")
    passes = [generator] + ([raw_gen.with_params(draws=1)] if "draws" in options else [])
    with bar(count * (1 + len(passes)), label or f"evaluating {generator.name}", unit="level",
             enabled=progress) as shown:
        shown.update(1)
        raw = probe + _generated(raw_gen, seeds[1:], shown)
        repaired, *rest = [_generated(g, seeds, shown) for g in passes]
        shown.set_postfix_str("measuring", refresh=False)
        return _measured(generator, corpus, parts, raw, rest[0] if rest else raw, repaired, seed, window)


def _generated(generator: Generator[Any], seeds: list[int], shown: Any, chunk: int = 8) -> list[TileMap]:
    """``generator.generate_batch(seeds)`` a few seeds at a time, counted on ``shown``
    (equal to one batch: ``generate_batch(seeds)[i] == generate(seeds[i])``)."""
    levels: list[TileMap] = []
    for start in range(0, len(seeds), chunk):
        levels += generator.generate_batch(seeds[start:start + chunk])
        shown.update(len(seeds[start:start + chunk]))
    return levels


def _measured(generator: Generator[Any], corpus: LevelCorpus, parts: dict[str, list[Any]], raw: list[TileMap],
              first: list[TileMap], repaired: list[TileMap], seed: int, window: int) -> LevelModelResult:
    count = len(raw)
    floor = floor_id(corpus)
    held, train = terrain(parts["holdout"], corpus), terrain(parts["train"], corpus)
    # Pattern statistics of the model itself: its first draws, not the ones chosen for playability.
    generated = [np.where(np.isin(level.tiles, _marker_list(corpus)), floor, level.tiles) for level in first]
    shape = raw[0].shape
    baseline = independent_tiles(train, shape, np.random.default_rng(seed), count)
    k = min(window, *shape)
    seen = _training_windows(train, k)  # built once: the generated and the held-out levels both look it up
    copies, uniform_copies = _copy_share(generated, seen, k)
    corpus_copies, corpus_uniform_copies = _copy_share(held, seen, k)
    held_levels = [place_endpoints(t, corpus.tileset, corpus.legend, corpus.view) for t in held]
    return LevelModelResult(
        generator=generator.name, levels=count, shape=shape,
        first_draw_playability=playability_rate(first, corpus.view),
        raw_playability=playability_rate(raw, corpus.view),
        repaired_playability=playability_rate(repaired, corpus.view),
        repaired_share=float(np.mean([not np.array_equal(a.tiles, b.tiles) for a, b in zip(raw, repaired)])),
        kl=pattern_kl(generated, held), baseline_kl=pattern_kl(baseline, held), corpus_kl=pattern_kl(train, held),
        diversity=diversity(generated), copies=copies, uniform_copies=uniform_copies,
        corpus_copies=corpus_copies, corpus_uniform_copies=corpus_uniform_copies,
        nearest=float(np.median(nearest_window([g[:k, :k] for g in generated], train).nearest)),
        window=k, expressive=expressive_range(repaired, corpus.view),
        corpus_raw_playability=playability_rate(held_levels, corpus.view),
    )


def _marker_list(corpus: LevelCorpus) -> list[int]:
    return [m for m in marker_ids(corpus.tileset, corpus.legend).values() if m is not None]
