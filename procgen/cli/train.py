"""``procgen train``: fit a generator to data and write a model folder with its model card."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from procgen.cli.options import parse_sets
from procgen.errors import ParameterError
from procgen.evaluate.likelihood import has_density, heldout_nll
from procgen.fileio import atomic_write
from procgen.generators import Generator, generator_class
from procgen.generators.folder import check_model_target


def train(name: str, data_path: str, out: Path, params: dict[str, Any], *, resume: bool = False,
          progress: bool = True) -> tuple[Generator[Any], dict[str, Any]]:
    """Train ``name`` on the river data at ``data_path`` into ``out``; returns the model and its card facts."""
    from procgen.datasets import load_rivers

    cls = generator_class(name)
    check_model_target(out)
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
    help = "train a generator on river data and write a model folder usable wherever a name is"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("name", metavar="NAME", help="a registered generator with a fit method")
        parser.add_argument("--data", required=True, metavar="DIR",
                            help="river data: the shipped assets/data/rivers, or GeoJSON / CSV / npz paths")
        parser.add_argument("--out", required=True, metavar="DIR", help="model folder to write")
        parser.add_argument("--set", dest="params", action="append", default=[], metavar="KEY=VALUE",
                            help="set a parameter (repeatable), e.g. --set epochs=20")
        parser.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        out = Path(args.out)
        model, facts = train(args.name, args.data, out, parse_sets(generator_class(args.name), args.params),
                             resume=args.resume, progress=not args.quiet)
        summary = f"wrote {out} ({model.name}, {facts['seconds']:.1f} s"
        if "holdout" in facts:
            summary += f", held-out NLL {facts['holdout'].nats_per_step:.4f} nats/step"
        print(summary + ")")
        return 0
