"""Learned level models against their corpora: the issue-6 targets, per model and corpus.

    python benchmarks/bench_levels.py [--levels 100] [--repeats 5] [--images docs/images/levels]

Every shipped level model folder (``assets/models/level-*``) is matched to the shipped
corpus whose tileset it was trained on and measured with
``procgen.evaluate.level_models.evaluate_level_model`` on seeds 0..levels-1. Targets:
raw playability >= 90% (repaired 100%), tile-pattern KL to the held-out levels <= 0.5 x the
independent-tiles baseline, training layouts copied no more often than the held-out levels
copy them (the target once asked for no copy at all; see
``LevelModelResult.copies_no_more_than_real`` for why one-tile windows and the real levels'
own rate count), a 64x64 level in <= 100 ms, training <= 15 minutes (from each folder's
``training/training.json``).
Sampling time is also given as a ratio to a same-run reference: ``level/overworld`` at 64x64.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any, Callable

import procgen
from procgen.assets import assets_dir
from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.evaluate.level_metrics import expressive_range, expressive_range_png
from procgen.evaluate.level_models import evaluate_level_model
from procgen.evaluate.level_report import samples_png
from procgen.generators.learned.levels.data import split_corpus, terrain
from procgen.levels.endpoints import place_endpoints

CORPORA = {"vglc-rooms": "levels/vglc-rooms", "overworld-64": "levels/overworld-64"}
TARGET_MS = 100.0


def median_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm-up: lazy imports, first-call allocations
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def shipped_models(corpora: dict[str, LevelCorpus]) -> list[tuple[str, Any, str]]:
    """(folder name, generator, corpus name) for every shipped level model folder of a top-down
    corpus. A model whose tileset (names and colours included) is no shipped corpus's is an
    error, not a silent gap in the table: its stored legend has drifted from the corpus."""
    found = []
    for folder in sorted((assets_dir() / "models").glob("level-*")):
        generator = procgen.get(str(folder))
        if generator.config.view != "top-down":
            continue  # platformers: benchmarks/bench_smb.py
        corpus = next((name for name, c in corpora.items() if c.tileset == generator.tileset), None)
        if corpus is None:
            raise SystemExit(f"{folder.name}: its tileset is no shipped corpus's ({', '.join(corpora)})")
        found.append((folder.name, generator, corpus))
    return found


def training_minutes(folder: str) -> float:
    path = assets_dir() / "models" / folder / "training" / "training.json"
    return json.loads(path.read_text())["seconds"] / 60 if path.exists() else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--images", type=Path, default=None, help="write expressive-range plots and samples here")
    parser.add_argument("--json", type=Path, default=None, help="write every figure as JSON here")
    args = parser.parse_args()
    corpora = {name: load_corpus(assets_dir() / path) for name, path in CORPORA.items()}
    reference = procgen.get("level/overworld", width=64, height=64)
    ref_ms = median_ms(lambda: reference.generate(1), args.repeats)
    print(f"reference level/overworld 64x64: {ref_ms:.1f} ms per level")
    header = ("| model | corpus | first draw playable | raw playable | repaired | KL (baseline, data) | KL ratio | copies (layout; held-out, layout) | diversity "
              "| ms per 64x64 draw (x ref); per generate | training min |")
    print(header + "\n" + "|---" * 11 + "|")
    results: dict[str, Any] = {"reference_ms": ref_ms, "models": []}
    by_corpus: dict[str, list[tuple[str, Any]]] = {}
    for folder, generator, corpus_name in shipped_models(corpora):
        r = evaluate_level_model(generator, corpora[corpus_name], count=args.levels)
        sized = generator.with_params(width=64, height=64)
        one_draw = sized.with_params(draws=1, repair=False)
        ms = median_ms(lambda: one_draw.generate(7), args.repeats)  # sampling one 64x64 level
        start = time.perf_counter()
        sized.generate_batch(range(20))  # what generate costs with its draws and repair
        ms_generate = 1000 * (time.perf_counter() - start) / 20
        minutes = training_minutes(folder)
        ratio = r.kl.mean / r.baseline_kl.mean
        print(f"| {folder} | {corpus_name} | {r.first_draw_playability:.0%} | {r.raw_playability:.0%} | {r.repaired_playability:.0%} | "
              f"{r.kl.mean:.2f} ({r.baseline_kl.mean:.2f}, {r.corpus_kl.mean:.2f}) | {ratio:.2f} | {r.copies_text()} | "
              f"{r.diversity:.2f} | {ms:.0f} ({ms / ref_ms:.1f}x); {ms_generate:.0f} | {minutes:.1f} |")
        verdicts = {"raw playability >= 90%": r.raw_playability >= 0.9, "repaired 100%": r.repaired_playability == 1,
                    "KL <= half baseline": ratio <= 0.5, "layout copies <= held-out": r.copies_no_more_than_real(),
                    f"<= {TARGET_MS:g} ms": ms <= TARGET_MS, "training <= 15 min": minutes <= 15}
        missed = [k for k, ok in verdicts.items() if not ok]
        print(f"|   | targets | {'all met' if not missed else 'NOT met: ' + ', '.join(missed)} ||||||||||")
        results["models"].append({"folder": folder, "corpus": corpus_name, **r.as_dict(), "ms_64": ms, "ms_64_generate": ms_generate,
                                  "training_minutes": minutes, "missed": missed})
        by_corpus.setdefault(corpus_name, []).append((folder, generator))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.images:
        args.images.mkdir(parents=True, exist_ok=True)
        for corpus_name, generators in by_corpus.items():
            corpus = corpora[corpus_name]
            parts = split_corpus(corpus)
            held = [place_endpoints(t, corpus.tileset, corpus.legend, corpus.view)
                    for t in terrain(parts["train"] + parts["holdout"], corpus)]
            points = {"corpus": expressive_range(held, corpus.view)}
            points.update({f: expressive_range(g.generate_batch(range(args.levels)), corpus.view) for f, g in generators})
            expressive_range_png(points, str(args.images / f"expressive-range-{corpus_name}.png"))
            samples_png(generators, range(4)).save(args.images / f"samples-{corpus_name}.png")
        print(f"wrote images to {args.images}")


if __name__ == "__main__":
    main()
