"""One short training loop for every learned generator.

Shuffled mini-batches from the training seed, validation after each epoch, early stopping
on the validation loss (the best weights are kept), a time limit, and a checkpoint after
each epoch in ``OUT/training/`` so ``resume=True`` continues where a run stopped with the
same result as an uninterrupted run. Checkpoints hold only tensors and plain data and are
read with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from procgen.errors import CheckpointError, ParameterError
from procgen.fileio import atomic_write
from procgen.generators.folder import TRAINING_DIR, check_model_target
from procgen.generators.learned.base import one_thread

if TYPE_CHECKING:
    from procgen.generators.learned.base import LearnedRiver

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


def split_sequences(data: Any, step_length: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Training and validation turning-angle sequences: the data's own split, else every 10th path."""
    from procgen.generators.learned.base import turn_sequences

    if hasattr(data, "split") and hasattr(data, "sequences"):
        return turn_sequences(data.split("train"), step_length), turn_sequences(data.split("validation"), step_length)
    sequences = turn_sequences(data, step_length)
    if len(sequences) < 2:
        raise ParameterError("training needs at least 2 river paths (one is held out for validation)")
    return ([s for i, s in enumerate(sequences) if i % 10 != 9] or sequences[:1],
            [s for i, s in enumerate(sequences) if i % 10 == 9] or sequences[-1:])


def fit_generator(base: "LearnedRiver", data: Any, *, out: Any = None, resume: bool = False,
                  progress: bool = False, **params: Any) -> "LearnedRiver":
    """A new ``type(base)`` trained on ``data``; its folder is written to ``out`` when given."""
    # One thread: these small networks gain little from more, a busy machine's thread pool
    # spin-waits (5-10x slower per step measured on 2 shared cores), and the trained
    # weights then do not depend on the core count.
    with one_thread():
        return _fit(base, data, out=out, resume=resume, progress=progress, **params)


def _fit(base: "LearnedRiver", data: Any, *, out: Any, resume: bool, progress: bool,
         **params: Any) -> "LearnedRiver":
    step_length = float(getattr(data, "step_length", None) or base.config.step_length)
    model = type(base)(base.config.replace(**{"step_length": step_length, **params}))
    train_x, val_x = model.training_examples(data)
    if len(train_x) == 0 or len(val_x) == 0:
        raise ParameterError(f"{model.name}: the data gives no training or validation examples; "
                             "give more or longer rivers")
    folder = None if out is None else Path(out)
    if folder is not None:
        check_model_target(folder)
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


def run(model: "LearnedRiver", train_x: torch.Tensor, val_x: torch.Tensor, *, folder: Path | None,
        resume: bool, progress: bool) -> TrainReport:
    c = model.config
    generator = torch.Generator().manual_seed(c.seed + 1)  # +1: not the init stream
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


def _save(path: Path, model: "LearnedRiver", optimizers: list[torch.optim.Optimizer], generator: torch.Generator,
          report: TrainReport, bad_epochs: int, best_state: dict[str, torch.Tensor]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"config": json.dumps(model.config.to_dict()), "module": model.module.state_dict(),
             "optimizers": [o.state_dict() for o in optimizers], "generator": generator.get_state(),
             "report": json.dumps(asdict(report)), "bad_epochs": bad_epochs, "best": best_state}
    atomic_write(path, lambda f: torch.save(state, f))


def _restore(path: Path, model: "LearnedRiver", optimizers: list[torch.optim.Optimizer], generator: torch.Generator,
             report: TrainReport) -> tuple[int, int, dict[str, torch.Tensor]]:
    try:
        state = torch.load(path, weights_only=True)  # plain tensors and data only: never runs code
        if _settings(json.loads(state["config"])) != _settings(model.config.to_dict()):
            raise CheckpointError(f"checkpoint {path} was made with other settings; train into a new folder "
                                  "or drop --resume")
        model.module.load_state_dict(state["module"])
        for optimizer, saved in zip(optimizers, state["optimizers"]):
            optimizer.load_state_dict(saved)
        generator.set_state(state["generator"])
        saved_report = json.loads(state["report"])
    except CheckpointError:
        raise
    except Exception as exc:  # truncated or foreign files fail in many ways inside torch.load
        raise CheckpointError(f"cannot resume from {path}: {type(exc).__name__}: {exc}") from exc
    for key, value in saved_report.items():
        setattr(report, key, value)
    return report.epochs, int(state["bad_epochs"]), state["best"]
