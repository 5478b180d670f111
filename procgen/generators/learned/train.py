"""One short training loop for every learned generator.

Shuffled mini-batches from the training seed, validation after each epoch, early stopping
on the validation loss (the best weights are kept), a time limit, and a checkpoint after
each epoch in ``OUT/training/`` so ``resume=True`` continues where a run stopped with the
same result as an uninterrupted run. Checkpoints hold only tensors and plain data and are
read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from procgen.errors import CheckpointError, ParameterError
from procgen.fileio import atomic_write, parse_json
from procgen.generators.folder import TRAINING_DIR, check_model_target
from procgen.generators.learned.core import one_thread

if TYPE_CHECKING:
    from procgen.generators.learned.core import TorchGenerator

CHECKPOINT = "checkpoint.pt"
REPORT = "training.json"


@dataclass
class TrainReport:
    """What a training run did; saved as ``training/training.json`` beside the weights."""

    epochs: int = 0
    best_epoch: int = 0
    best_validation: float = float("inf")
    seconds: float = 0.0
    stopped: str = ""
    train_examples: int = 0
    validation_examples: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


def fit_model(base: "TorchGenerator[Any]", data: Any, *, out: str | os.PathLike[str] | None = None,
              resume: bool = False, progress: bool = False, **params: Any) -> "TorchGenerator[Any]":
    """A new ``type(base)`` trained on ``data`` with ``params``; its folder is written to ``out`` when given.

    The one typed entry for training every learned generator: the model's
    ``training_setup`` turns the data into examples, then :func:`run` trains.
    """
    folder = None if out is None else Path(out)
    if folder is not None:
        check_model_target(folder)
    # One thread: these small networks gain little from more, a busy machine's thread pool
    # spin-waits (5-10x slower per step measured on 2 shared cores), and the trained
    # weights then do not depend on the core count.
    with one_thread():
        model, train_x, val_x = base.training_setup(data, dict(params))
        if len(train_x) == 0 or len(val_x) == 0:
            raise ParameterError(f"{model.name}: the data gives no training or validation examples; "
                                 "give more or longer examples")
        model.prepare(train_x)
        report = run(model, train_x, val_x, folder=folder, resume=resume, progress=progress)
    save_trained(model, folder, report)
    return model


def save_trained(model: Any, folder: Path | None, report: TrainReport) -> None:
    """Keep ``report`` on the model and, with a folder, write the model and ``training/training.json``."""
    model.training_report = report
    if folder is not None:
        model.save(folder)
        (folder / TRAINING_DIR).mkdir(exist_ok=True)
        atomic_write(folder / TRAINING_DIR / REPORT, lambda f: f.write(json.dumps(asdict(report), indent=2).encode()))


def run(model: "TorchGenerator[Any]", train_x: torch.Tensor, val_x: torch.Tensor, *, folder: Path | None,
        resume: bool, progress: bool) -> TrainReport:
    """Train ``model`` in place on examples ``train_x`` (N, ...), keeping the best by ``val_x``."""
    c = model.config.training
    generator = model.training_generator("batches")  # batch order and training noise
    optimizers = model.make_optimizers()
    report = TrainReport(train_examples=len(train_x), validation_examples=len(val_x))
    best_state = {k: v.clone() for k, v in model.module.state_dict().items()}
    start_epoch, bad_epochs = 0, 0
    checkpoint = None if folder is None else folder / TRAINING_DIR / CHECKPOINT
    if resume and checkpoint is not None and checkpoint.exists():
        start_epoch, bad_epochs, best_state = _restore(checkpoint, model, optimizers, generator, report)
    began = time.monotonic() - report.seconds
    bar = _progress(progress, c.epochs, start_epoch, model.name)
    for epoch in range(start_epoch, c.epochs):
        model.module.train()
        losses = [model.training_step(train_x[idx], optimizers, generator)
                  for idx in torch.randperm(len(train_x), generator=generator).split(c.batch_size)]
        model.module.eval()
        with torch.no_grad():
            validation = float(model.validation_loss(val_x, generator))
        summary = {k: float(np.mean([l[k] for l in losses])) for k in losses[0]} if losses else {}
        report.history.append({"epoch": epoch + 1, **summary, "validation": validation})
        report.epochs, report.seconds = epoch + 1, time.monotonic() - began
        if validation < report.best_validation:
            report.best_validation, report.best_epoch, bad_epochs = validation, epoch + 1, 0
            best_state = {k: v.clone() for k, v in model.module.state_dict().items()}
        else:
            bad_epochs += 1
        if bar is not None:
            bar.set_postfix(validation=f"{validation:.4f}", best=f"{report.best_validation:.4f}")
            bar.update(1)
        if checkpoint is not None:
            _save(checkpoint, model, optimizers, generator, report, bad_epochs, best_state)
        if bad_epochs >= c.patience:
            report.stopped = f"early stop: no better validation loss for {c.patience} epochs"
            break
        if report.seconds > 60.0 * c.max_minutes:
            report.stopped = f"time limit of {c.max_minutes} minutes"
            break
    else:
        report.stopped = report.stopped or f"all {c.epochs} epochs"
    if bar is not None:
        bar.close()
    model.module.load_state_dict(best_state)
    model.module.eval()
    return report


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    # Budgets may change on resume (train longer, or past a time limit); nothing else may.
    return {k: v for k, v in config.items() if k not in ("epochs", "patience", "max_minutes")}


def _progress(enabled: bool, total: int, done: int, name: str):  # type: ignore[no-untyped-def]
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc=f"training {name}", unit="epoch")


def _save(path: Path, model: "TorchGenerator[Any]", optimizers: list[torch.optim.Optimizer], generator: torch.Generator,
          report: TrainReport, bad_epochs: int, best_state: dict[str, torch.Tensor]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"config": json.dumps(model.config.to_dict()), "module": model.module.state_dict(),
             "optimizers": [o.state_dict() for o in optimizers], "generator": generator.get_state(),
             "report": json.dumps(asdict(report)), "bad_epochs": bad_epochs, "best": best_state}
    atomic_write(path, lambda f: torch.save(state, f))


def _restore(path: Path, model: "TorchGenerator[Any]", optimizers: list[torch.optim.Optimizer], generator: torch.Generator,
             report: TrainReport) -> tuple[int, int, dict[str, torch.Tensor]]:
    state = _load_checkpoint(path)
    if _settings(_json(state["config"], path, "config")) != _settings(model.config.to_dict()):
        raise CheckpointError(f"checkpoint {path} was made with other settings; train into a new folder "
                              "or drop --resume")
    saved_report = _json(state["report"], path, "report")
    try:
        restored = TrainReport(**saved_report)
        history_ok = all(isinstance(h, dict) for h in restored.history)
        model.module.load_state_dict(state["module"])
        model.module.load_state_dict(state["best"])  # checks the best weights fit too, before training
        model.module.load_state_dict(state["module"])
        for optimizer, saved in zip(optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(saved)
        generator.set_state(state["generator"])
    except (TypeError, ValueError, KeyError, RuntimeError) as exc:
        raise CheckpointError(f"cannot resume from {path}: its saved state does not fit this model "
                              f"({_first_line(exc)})") from None
    numbers = (restored.epochs, restored.best_epoch, state["bad_epochs"])
    if (not history_ok or not all(type(n) is int and n >= 0 for n in numbers)
            or not all(isinstance(x, (int, float)) and not isinstance(x, bool)
                       for x in (restored.best_validation, restored.seconds))):
        raise CheckpointError(f"cannot resume from {path}: its training report has fields of the wrong type")
    for key, value in asdict(restored).items():
        setattr(report, key, value)
    return report.epochs, state["bad_epochs"], state["best"]


_CHECKPOINT_FIELDS = {"config": str, "module": dict, "optimizers": list, "generator": torch.Tensor,
                      "report": str, "bad_epochs": int, "best": dict}


def _load_checkpoint(path: Path) -> dict[str, Any]:
    """The checkpoint's fields, each of its expected type; a CheckpointError of one line otherwise."""
    try:
        state = torch.load(path, weights_only=True)  # plain tensors and data only: never runs code
    except Exception as exc:  # noqa: BLE001  truncated, foreign or pickled-object files fail in many ways
        why = ("it holds Python objects, not only tensors and plain data (refused unread)"
               if "weights_only" in str(exc) or "Unsupported global" in str(exc) else _first_line(exc))
        raise CheckpointError(f"cannot resume from {path}: {why}") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"cannot resume from {path}: not a procgen training checkpoint")
    for key, kind in _CHECKPOINT_FIELDS.items():
        value = state.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise CheckpointError(f"cannot resume from {path}: field {key!r} is missing or not a {kind.__name__}")
    return state


def _json(text: str, path: Path, field_name: str) -> dict[str, Any]:
    try:
        value = parse_json(text)
    except ValueError as exc:
        raise CheckpointError(f"cannot resume from {path}: field {field_name!r} is not JSON ({_first_line(exc)})") from None
    if not isinstance(value, dict):
        raise CheckpointError(f"cannot resume from {path}: field {field_name!r} is not a JSON object")
    return value


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:300]
