"""``procgen train``: fit a generator to data and write a model folder with its model card."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Iterator

from procgen.cli.options import add_force_option, add_quiet_option, parse_sets
from procgen.errors import OutputError, ParameterError
from procgen.evaluate.likelihood import has_density, heldout_nll
from procgen.fileio import STAGING_EXTRA, atomic_write, check_name, created_folder, staging_folder, swap_folder
from procgen.content import TileMap
from procgen.generators import Generator, generator_class
from procgen.generators.folder import TRAINING_DIR, check_model_target


def train(name: str, data_path: str, out: Path, params: dict[str, Any], *, resume: bool = False,
          progress: bool = True, data_format: str | None = None, view: str | None = None,
          eval_levels: int = 100) -> tuple[Generator[Any], dict[str, Any]]:
    """Train ``name`` on the data at ``data_path`` into ``out``; returns the model and its card facts.

    Tile-level generators read a level corpus (``data_format`` vglc, tiled or procgen; None
    detects it); river generators read river data.
    """
    from procgen.datasets import load_rivers

    cls = generator_class(name)
    check_model_target(out)
    if cls.content_type is TileMap:
        return train_levels(cls, data_path, out, params, resume=resume, progress=progress, data_format=data_format,
                            view=view, eval_levels=eval_levels)
    if data_format is not None or view is not None:
        raise ParameterError(f"--format and --view apply to level corpora; {name} trains on river data")
    data = load_rivers(data_path)
    untrained = cls(**params)
    began = time.monotonic()
    if getattr(cls, "kind", "") == "learned":
        model = untrained.fit(data, out=out, resume=resume, progress=progress)
    elif callable(getattr(untrained, "fit", None)):
        model = untrained.fit(data.split("train").paths(), step_length=data.step_length)
        model.save(out)
    else:
        raise ParameterError(f"{name} cannot be trained: it has no fit method")
    facts = {"seconds": time.monotonic() - began, "data": data_path, "step_length": data.step_length,
             "counts": {s: len(data.split(s)) for s in ("train", "validation", "holdout")}}
    if has_density(model):
        facts["holdout"] = heldout_nll(model, data.split("holdout").paths())
    write_model_card(model, out, facts)
    return model, facts


def train_levels(cls: type[Generator[Any]], data_path: str, out: Path, params: dict[str, Any], *,
                 resume: bool, progress: bool, data_format: str | None, view: str | None = None,
                 eval_levels: int = 100) -> tuple[Generator[Any], dict[str, Any]]:
    from procgen.datasets.levels import load_corpus
    from procgen.evaluate.level_models import evaluate_level_model
    from procgen.generators.learned.levels.data import split_corpus

    if not callable(getattr(cls, "fit", None)):
        raise ParameterError(f"{cls.name} cannot be trained: it has no fit method")
    if eval_levels < 2:
        raise ParameterError(f"--eval-levels must be at least 2, got {eval_levels}")
    corpus = load_corpus(data_path, format=data_format, view=view)
    if progress:
        print(f"corpus {data_path}: {len(corpus)} levels, {corpus.view} ({corpus.view_source})")
    began = time.monotonic()
    model = cls().fit(corpus, out=out, resume=resume, progress=progress, **params)
    seconds = time.monotonic() - began
    result = evaluate_level_model(model, corpus, count=eval_levels, progress=progress,
                                  label=f"evaluating {cls.name} on {eval_levels} levels")
    facts = {"seconds": seconds, "data": data_path, "levels": result,
             "counts": {s: len(v) for s, v in split_corpus(corpus).items()}}
    write_level_card(model, out, facts)
    return model, facts


def write_level_card(model: Generator[Any], out: Path, facts: dict[str, Any]) -> Path:
    """MODEL_CARD.md for a level model: data, training, and its measured figures."""
    r, counts = facts["levels"], facts["counts"]
    report = getattr(model, "training_report", None)
    lines = [f"# Model card: {model.name}", "",
             f"- Kind: {model.kind}; makes TileMap levels ({r.shape[0]}x{r.shape[1]} by default, any size by "
             "`--set height=H --set width=W`).",
             f"- Data: `{facts['data']}`: {counts['train']} training, {counts['validation']} validation, "
             f"{counts['holdout']} held-out levels ({model.config.view}).",
             f"- Training: {facts['seconds']:.1f} s on this machine's CPU (one thread); "
             f"{getattr(report, 'stopped', '') or 'finished'}.",
             "", f"## Measured on {r.levels} seeds against the held-out levels", "",
             "| figure | value |", "|---|---|",
             f"| playability of the model's first draw (endpoints placed, no repair) | "
             f"{r.first_draw_playability:.0%} (held-out levels, same rule: {r.corpus_raw_playability:.0%}) |",
             f"| raw playability: no edits, first playable of {model.config.draws} draws | {r.raw_playability:.0%} |",
             f"| repaired playability (what `generate` returns) | {r.repaired_playability:.0%} "
             f"({r.repaired_share:.0%} of levels needed an edit) |",
             f"| tile-pattern KL, mean of 2x2/3x3/4x4 (nats) | {r.kl.mean:.3f} |",
             f"| same, independent-tiles baseline | {r.baseline_kl.mean:.3f} (ratio {r.kl.mean / r.baseline_kl.mean:.2f}) |",
             f"| same, training levels (the data's own floor) | {r.corpus_kl.mean:.3f} |",
             f"| diversity (mean pairwise Hamming) | {r.diversity:.3f} |",
             f"| {r.window}x{r.window} windows copied from training | {r.copies_text()} |",
             f"| median nearest distance to a training window | {r.nearest:.3f} |",
             "", "## Configuration", "", "| parameter | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in model.config.to_dict().items()]
    path = out / "MODEL_CARD.md"
    atomic_write(path, lambda f: f.write(("\n".join(lines) + "\n").encode()))
    return path


def write_model_card(model: Generator[Any], out: Path, facts: dict[str, Any]) -> Path:
    counts = facts["counts"]
    lines = [f"# Model card: {model.name}", "",
             f"- Kind: {model.kind}; makes {model.content_type.__name__}.",
             f"- Data: `{facts['data']}` at {facts['step_length']:g} km per step: "
             f"{counts['train']} training, {counts['validation']} validation, {counts['holdout']} held-out rivers.",
             f"- Training time: {facts['seconds']:.1f} s on this machine's CPU.",
             f"- Stopped: {getattr(getattr(model, 'training_report', None), 'stopped', 'closed-form / EM fit')}."]
    if "holdout" in facts:
        h = facts["holdout"]
        lines.append(f"- Held-out negative log-likelihood: **{h.nats_per_step:.4f} ± {h.stderr:.4f} nats per step** "
                     f"({h.paths} rivers, {h.steps} scored turns).")
    else:
        lines.append("- Held-out likelihood: none (an implicit model, or a density over points rather than turns).")
    lines += ["", "## Configuration", "", "| parameter | value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in model.config.to_dict().items()]
    path = out / "MODEL_CARD.md"
    atomic_write(path, lambda f: f.write(("\n".join(lines) + "\n").encode()))
    return path


class TrainCommand:
    name = "train"
    help = "train a generator on river data or a level corpus and write a model folder usable wherever a name is"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", metavar="NAME", help="a registered generator with a fit method")
        parser.add_argument("--data", required=True, metavar="DIR",
                            help="river data (assets/data/rivers, GeoJSON / CSV / npz paths) or, for level/... "
                                 "models, a folder of levels (assets/levels/vglc-rooms)")
        parser.add_argument("--format", dest="data_format", choices=("vglc", "tiled", "procgen"),
                            help="level corpus format (default: detected from the files)")
        parser.add_argument("--view", choices=("top-down", "side-view"),
                            help="level corpora whose legend has no view: top-down or side-view (default: "
                                 "inferred from the levels, and reported)")
        parser.add_argument("--out", required=True, metavar="DIR",
                            help="model folder to write (created with its parents if missing)")
        parser.add_argument("--set", dest="params", action="append", default=[], metavar="KEY=VALUE",
                            help="set a parameter (repeatable), e.g. --set epochs=20")
        parser.add_argument("--eval-levels", type=int, default=100, metavar="N",
                            help="level models: levels generated to measure the trained model (default 100)")
        parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
        add_force_option(parser, "model")
        add_quiet_option(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        out = Path(args.out)
        check_name(out, extra=STAGING_EXTRA)  # before the file system is asked about it
        if args.force and args.resume:
            raise ParameterError("--force replaces the model in --out and --resume continues it: give one")
        with created_folder(out.parent):
            check_model_target(out)
            if args.resume or not _holds_something(out):
                with removed_on_failure(out):
                    model, facts = _train(args, out)
            elif not args.force:
                raise OutputError(f"'{out}' already holds a model; pass --force to replace it (the new one is "
                                  "written beside it and swapped in when complete), or --resume to continue it")
            else:
                model, facts = _train_beside(args, out)
        summary = f"wrote {out} ({model.name}, {facts['seconds']:.1f} s"
        if "levels" in facts:
            r = facts["levels"]
            summary += (f", raw playability {r.raw_playability:.0%} (first draw {r.first_draw_playability:.0%}), pattern KL {r.kl.mean:.3f} against "
                        f"{r.baseline_kl.mean:.3f} for independent tiles")
        if "holdout" in facts:
            summary += f", held-out NLL {facts['holdout'].nats_per_step:.4f} nats/step"
        print(summary + ")")
        return 0


def _train(args: argparse.Namespace, out: Path) -> tuple[Generator[Any], dict[str, Any]]:
    return train(args.name, args.data, out, parse_sets(generator_class(args.name), args.params),
                 resume=args.resume, progress=not args.quiet, data_format=args.data_format,
                 view=args.view, eval_levels=args.eval_levels)


def _train_beside(args: argparse.Namespace, out: Path) -> tuple[Generator[Any], dict[str, Any]]:
    """Train into a hidden folder beside ``out`` and swap it in whole only when complete: until
    then ``out`` keeps the old model, and a failed or interrupted run leaves nothing else."""
    staging = staging_folder(out)
    try:
        model, facts = _train(args, staging)
        swap_folder(staging, out)
    except OSError as exc:
        raise OutputError(f"cannot write model folder '{out}': {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return model, facts


def _holds_something(path: Path) -> bool:
    return path.is_dir() and not _is_empty_folder(path)


@contextlib.contextmanager
def removed_on_failure(out: Path) -> Iterator[None]:
    """Undo what a failed run wrote into ``out``, so no usable-looking model folder is left.

    Only what this command made goes: a folder that did not exist (or was empty) before is
    removed (emptied). A folder that held anything, such as a run being resumed, is kept.
    Ctrl-C keeps the ``training/`` checkpoint, which ``--resume`` continues from.
    """
    fresh = not os.path.lexists(out)
    if not fresh and not _is_empty_folder(out):
        yield
        return
    try:
        yield
    except KeyboardInterrupt:
        _clear(out, remove_folder=fresh, keep=(TRAINING_DIR,))
        if (out / TRAINING_DIR).is_dir():
            print(f"procgen: training stopped; its checkpoint is in {out / TRAINING_DIR}: run the same command "
                  "with --resume to continue", file=sys.stderr)
        raise
    except BaseException:
        _clear(out, remove_folder=fresh)
        raise


def _is_empty_folder(path: Path) -> bool:
    try:
        return path.is_dir() and not any(path.iterdir())
    except OSError:
        return False


def _clear(out: Path, *, remove_folder: bool, keep: tuple[str, ...] = ()) -> None:
    try:
        entries = list(out.iterdir())
    except OSError:  # never made, or not a folder
        return
    for entry in entries:
        if entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if remove_folder and not any(out.iterdir()):
        out.rmdir()
