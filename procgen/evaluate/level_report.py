"""Write a level-model comparison as report.md, report.json and pictures, whole or not at all."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from PIL import Image

from procgen.content import TileMap
from procgen.datasets.levels import LevelCorpus
from procgen.evaluate.level_metrics import expressive_range, expressive_range_png
from procgen.evaluate.level_models import LevelModelResult, evaluate_level_model
from procgen.evaluate.report import write_report_folder
from procgen.generators.base import Generator
from procgen.generators.learned.levels.data import split_corpus, terrain
from procgen.levels.endpoints import place_endpoints


def compare_levels(generators: Sequence[tuple[str, Generator[Any]]], corpus: LevelCorpus, *,
                   count: int = 100, seed: int = 0) -> list[tuple[str, LevelModelResult]]:
    """Each labelled generator measured against ``corpus`` on seeds ``seed .. seed + count - 1``."""
    return [(label, evaluate_level_model(g, corpus, count=count, seed=seed)) for label, g in generators]


def table(results: Sequence[tuple[str, LevelModelResult]]) -> list[str]:
    """The headline table as Markdown rows."""
    rows = ["| generator | first draw playable | raw playable (no edits) | repaired | pattern KL (independent tiles; data) | KL ratio | copies (layout; held-out, layout) "
            "| diversity |", "|---|---|---|---|---|---|---|---|"]
    for label, r in results:
        rows.append(f"| `{label}` | {r.first_draw_playability:.0%} | {r.raw_playability:.0%} | {r.repaired_playability:.0%} | {r.kl.mean:.2f} "
                    f"({r.baseline_kl.mean:.2f}; {r.corpus_kl.mean:.2f}) | {r.kl.mean / r.baseline_kl.mean:.2f} "
                    f"| {r.copies_text()} | {r.diversity:.2f} |")
    return rows


SAMPLES_PER_ROW = 4
SAMPLES_WIDTH = 2400  # pixels a row of samples may take before tiles shrink below 8 px


def sample_tile_px(rows: Sequence[Sequence[TileMap]]) -> int:
    """Pixels per tile for the samples picture: 8 (like a preview) unless a row would be wider
    than SAMPLES_WIDTH (long platformer levels), then less, but never under 3."""
    widest_row = max(sum(level.shape[1] for level in row) for row in rows)
    return max(3, min(8, SAMPLES_WIDTH // max(1, widest_row)))


def samples_png(generators: Sequence[tuple[str, Generator[Any]]], seeds: range) -> Image.Image:
    """One row of levels per generator, side by side at one scale, spawn rings and goal flags drawn."""
    levels = [[g.generate(s) for s in seeds] for _, g in generators]
    px = sample_tile_px(levels)
    rows = [[np.asarray(level.to_image(px)) for level in row] for row in levels]
    gap = 6
    height = max(img.shape[0] for row in rows for img in row)
    width = max(sum(img.shape[1] + gap for img in row) for row in rows)
    canvas = np.full(((height + gap) * len(rows), width, 3), 255, dtype=np.uint8)
    for r, row in enumerate(rows):
        x = 0
        for img in row:
            canvas[r * (height + gap):r * (height + gap) + img.shape[0], x:x + img.shape[1]] = img
            x += img.shape[1] + gap
    return Image.fromarray(canvas)


def write_level_report(results: Sequence[tuple[str, LevelModelResult]], generators: Sequence[tuple[str, Generator[Any]]],
                       corpus: LevelCorpus, out: str | os.PathLike[str], *, corpus_label: str = "corpus") -> Path:
    """report.md, report.json, samples.png (one row per generator) and expressive-range.png in ``out``."""
    parts = split_corpus(corpus)

    def fill(staging: Path) -> None:
        document = {"corpus": corpus_label, "results": [{"label": label, **r.as_dict()} for label, r in results]}
        (staging / "report.json").write_text(json.dumps(document, indent=2) + "\n")
        samples_png(generators, range(SAMPLES_PER_ROW)).save(staging / "samples.png")
        levels = terrain(parts["holdout"] + parts["train"], corpus)
        points = {"corpus": expressive_range([place_endpoints(t, corpus.tileset, corpus.legend, corpus.view)
                                              for t in levels], corpus.view)}
        points.update({label: r.expressive for label, r in results})
        expressive_range_png(points, str(staging / "expressive-range.png"))
        lines = [f"# Level generators against `{corpus_label}`", "",
                 f"{results[0][1].levels} levels per generator (seeds from 0), measured against the corpus's "
                 "held-out levels; see procgen.evaluate.level_models for each figure.", "", *table(results), "",
                 "![samples, one row per generator](samples.png)", "",
                 "![expressive range: density against linearity](expressive-range.png)", ""]
        (staging / "report.md").write_text("\n".join(lines))

    return write_report_folder(out, fill)
