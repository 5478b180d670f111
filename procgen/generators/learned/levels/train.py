"""Fitting a learned level model to a corpus, with the one training loop of ``learned/train.py``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from procgen.datasets.levels import LevelCorpus
from procgen.errors import ParameterError
from procgen.generators.folder import check_model_target
from procgen.generators.learned.base import one_thread
from procgen.generators.learned.levels.data import split_corpus, terrain, windows
from procgen.generators.learned.train import run, save_trained

if TYPE_CHECKING:
    from procgen.generators.learned.levels.base import LearnedLevel


def fit_level_model(base: "LearnedLevel", corpus: LevelCorpus, *, out: Any = None, resume: bool = False,
                    progress: bool = False, **params: Any) -> "LearnedLevel":
    """A new ``type(base)`` trained on ``corpus``'s training split; written to ``out`` when given.

    The tile count and view come from the corpus; the output size defaults to the corpus's
    largest level unless ``width`` / ``height`` are given.
    """
    if not isinstance(corpus, LevelCorpus) or len(corpus) == 0:
        raise ParameterError("training data must be a non-empty LevelCorpus (see procgen.datasets.levels)")
    if len(corpus) < 3:
        raise ParameterError(f"a level corpus needs at least 3 levels (training, validation, held out); "
                             f"got {len(corpus)}")
    size = {"height": max(level.shape[0] for level in corpus.levels),
            "width": max(level.shape[1] for level in corpus.levels)}
    settings = {**size, **params, "tiles": len(corpus.tileset), "view": corpus.view}
    model = type(base)(base.config.replace(**settings))
    model.set_legend(corpus.legend)
    folder = None if out is None else Path(out)
    if folder is not None:
        check_model_target(folder)
    c = model.config
    parts = split_corpus(corpus)
    train_x = windows(terrain(parts["train"], corpus), c.window, c.stride, view=c.view, augment=c.augment)
    if len(train_x) > c.max_windows:  # a seeded subsample: large corpora train in bounded time
        keep = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(c.seed + 2))[:c.max_windows]
        train_x = train_x[keep.sort().values]
    val_x = windows(terrain(parts["validation"], corpus), c.window, max(c.stride, c.window // 4), view=c.view)
    # One thread: small networks gain little from more, a busy machine's thread pool
    # spin-waits, and the trained weights then do not depend on the core count.
    with one_thread():
        model.prepare(train_x)
        report = run(model, train_x, val_x, folder=folder, resume=resume, progress=progress)  # type: ignore[arg-type]
    save_trained(model, folder, report)
    return model
