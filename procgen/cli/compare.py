"""``procgen compare rivers``: hand-written and learned rivers measured side by side."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from procgen.assets import assets_dir
from procgen.cli.options import add_force_option, add_quiet_option
from procgen.errors import CheckpointError, ParameterError
from procgen.fileio import STAGING_EXTRA, check_name, created_folder
from procgen.generators import Generator, available, get
from procgen.progress import bar

if TYPE_CHECKING:
    from procgen.evaluate.compare import Comparison
    from procgen.evaluate.level_models import LevelModelResult

FITTED_BASELINES = ("river-coinflip-fitted", "river-meander-fitted")


def default_generators() -> list[str]:
    """The fitted hand-written baselines and every learned river model that ships weights."""
    names = [str(assets_dir() / "models" / f) for f in FITTED_BASELINES if (assets_dir() / "models" / f).is_dir()]
    for name in available("learned"):
        try:
            if get(name).content_type.__name__ == "RiverPath":
                names.append(name)
        except CheckpointError:
            continue
    return names


def labelled(spec: str) -> tuple[str, Generator[Any]]:
    """(label, generator): a registered name labels itself; a folder adds its own name."""
    generator = get(spec)
    if spec == generator.name:
        return spec, generator
    folder = Path(spec).name
    suffix = folder.removeprefix(generator.name.replace("/", "-")).strip("-_") or folder
    return f"{generator.name} ({suffix})", generator


class CompareCommand:
    name = "compare"
    help = ("compare generators with held-out data: rivers (likelihood, discriminator, statistics, novelty) "
            "or levels (playability, tile-pattern KL, diversity, novelty)")

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("what", choices=("rivers", "levels"), help="what to compare: rivers or levels")
        parser.add_argument("--corpus", metavar="DIR", help="levels: the level corpus (its held-out split is "
                                                            "the reference; needs --generators)")
        parser.add_argument("--generators", metavar="A,B,...",
                            help="comma-separated names or model folders (default: fitted baselines and "
                                 "every shipped learned river model)")
        parser.add_argument("--holdout", metavar="PATH",
                            help="held-out real rivers: your GeoJSON / CSV / npz paths (default: the shipped "
                                 "holdout split)")
        parser.add_argument("--train", metavar="PATH", help="training rivers for the novelty test "
                                                            "(default: the shipped training split)")
        parser.add_argument("--samples", type=int, default=None,
                            help="rivers or levels per generator (default 1000 rivers, 100 levels)")
        parser.add_argument("--seed", default="0", help="comparison seed (int or text; default 0)")
        parser.add_argument("--window", type=int, default=64, help="turns per compared window (default 64)")
        parser.add_argument("--out", required=True, metavar="DIR",
                            help="report folder to write (created with its parents if missing)")
        add_force_option(parser, "report")
        add_quiet_option(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from procgen.evaluate.report import check_report_target
        from procgen.seeding import normalize_seed

        check_name(args.out, extra=STAGING_EXTRA)  # before the file system is asked about it
        with created_folder(Path(args.out).parent):
            check_report_target(args.out, force=args.force)
            seed = normalize_seed(args.seed)
            if args.what == "levels":
                return compare_levels_command(args, seed)
            return compare_rivers_command(args, seed)


def compare_rivers_command(args: argparse.Namespace, seed: int) -> int:
    from procgen.datasets import load_rivers
    from procgen.datasets.rivers import load_paths
    from procgen.evaluate.report import write_report

    if args.corpus:
        raise ParameterError("--corpus applies to procgen compare levels")
    args.samples = 1000 if args.samples is None else args.samples
    if args.window < 8:
        raise ParameterError(f"--window must be at least 8 turns, got {args.window}")
    specs = args.generators.split(",") if args.generators else default_generators()
    generators = [labelled(s.strip()) for s in specs if s.strip()]
    shipped = load_rivers()
    # A user's rivers stay at their own resolution: each model resamples them to its own
    # step for its likelihood, and the windows are cut at the shipped step once.
    holdout = load_paths(args.holdout) if args.holdout else shipped.split("holdout").paths()
    train = load_paths(args.train) if args.train else shipped.split("train").paths()
    report = compare_rivers_shown(generators, holdout, train, args, seed, shipped.step_length)
    out = write_report(report, args.out, force=args.force)
    print(f"wrote {out}/report.md ({len(generators)} generators, {args.samples} rivers each, seed {seed})")
    return 0


def compare_rivers_shown(generators: Sequence[tuple[str, Generator[Any]]], holdout: list, train: list,
                         args: argparse.Namespace, seed: int, step_length: float) -> Comparison:
    """compare_rivers one generator at a time under a progress bar, merged into one Comparison.

    Each generator's figures depend only on its own samples and the comparison seed, so the
    merged report equals one call over all of them (the real rivers' windows are recut per
    call: about a second each, against many seconds per generator).
    """
    from procgen.evaluate.compare import compare_rivers

    report = None
    with bar(len(generators), "compare rivers", unit="generator", enabled=not args.quiet) as shown:
        for label, generator in generators:
            shown.set_postfix_str(label, refresh=False)  # a forced redraw would ignore the bar's delay
            part = compare_rivers([(label, generator)], holdout, train=train, samples=args.samples, seed=seed,
                                  window=args.window, step_length=step_length)
            report = part if report is None else _merged(report, part)
            shown.update()
    if report is None:  # no generator: compare_rivers words the error
        return compare_rivers([], holdout, train=train, samples=args.samples, seed=seed)
    return report


def _merged(report: Comparison, part: Comparison) -> Comparison:
    report.results += part.results
    report.statistics.update(part.statistics)
    report.examples.update(part.examples)
    return report


def compare_levels_command(args: argparse.Namespace, seed: int) -> int:
    from procgen.datasets.levels import load_corpus
    from procgen.evaluate.level_report import write_level_report

    if not args.corpus or not args.generators:
        raise ParameterError("procgen compare levels needs --corpus DIR and --generators A,B,... "
                             "(names or trained-model folders made on that corpus)")
    count = 100 if args.samples is None else args.samples
    if count < 2:
        raise ParameterError(f"--samples must be at least 2 levels, got {count}")
    corpus = load_corpus(args.corpus)
    generators = [labelled(s.strip()) for s in args.generators.split(",") if s.strip()]
    # A generator that reads a corpus itself (level/wfc) is pointed at the compared one.
    generators = [(label, g.with_params(corpus=str(args.corpus)) if "corpus" in g.config.to_dict() else g)
                  for label, g in generators]
    results = compare_levels_shown(generators, corpus, count, seed, quiet=args.quiet)
    out = write_level_report(results, generators, corpus, args.out, corpus_label=str(args.corpus))
    print(f"wrote {out}/report.md ({len(generators)} generators, {count} levels each, seed {seed})")
    return 0


def compare_levels_shown(generators: Sequence[tuple[str, Generator[Any]]], corpus: Any, count: int, seed: int, *,
                         quiet: bool) -> list[tuple[str, LevelModelResult]]:
    """level_report.compare_levels, with one progress bar per generator (levels generated)."""
    from procgen.evaluate.level_models import evaluate_level_model

    return [(label, evaluate_level_model(g, corpus, count=count, seed=seed, progress=not quiet,
                                         label=f"compare levels: {label}"))
            for label, g in generators]
