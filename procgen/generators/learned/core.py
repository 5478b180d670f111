"""The one base of every learned generator: a torch module behind the Generator interface.

``TorchGenerator`` holds what river and level models share: building the network with
weights drawn from the training seed's named streams, the training hooks the one loop in
``train.py`` calls, weights as named arrays (plus plain-data ``extras``), and the
**portable generate path**.

The portable path (docs/ARCHITECTURE.md, "Seeds on every CPU")
-----------------------------------------------------------------
Torch picks float kernels by CPU (AVX-512, AVX2, none, ARM) and thread count, and they
differ in the last bits. A shared seed must give the same content everywhere, so
generation never lets those bits reach the content:

1. Every random number comes from numpy's PCG64 on the seed's stream (``draw_noise``):
   integer arithmetic, the same bits on every machine (torch's ``randn`` itself has an
   AVX2 kernel).
2. The network runs in float64 (a float64 copy of the float32 weights, exact), so a
   kernel's error is ~1e-16 relative instead of ~1e-7.
3. Every value fed back into the model (a sampled turn) and every output is rounded to a
   documented grid (``TURN_GRID``, ``POINT_GRID``); categorical draws compare a uniform
   with float64 cumulative probabilities; tile ids are integers.

A last-bit difference can then change the content only when a value lands within a
kernel's error (~1e-15) of a grid boundary or a cumulative probability: about one chance
in 1e9 per value.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
import threading
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, TypeVar

import numpy as np
import torch
from torch import nn

from procgen.content import Content
from procgen.errors import CheckpointError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.seeding import child, seed_sequence, torch_generator

C = TypeVar("C", bound=Content)

TURN_GRID = 2.0 ** -20  # radians (about 1e-6): learned turning angles are multiples of this
POINT_GRID = 2.0 ** -20  # world units: learned river points that a network places directly
EXTRA_PREFIX = "extra."  # weights-file keys of plain arrays that are no module weights

# Generation sets torch's process-wide default dtype and thread count for its duration;
# the lock keeps two threads (the demo's worker and its main loop) from interleaving that.
_INFERENCE = threading.RLock()


@dataclass(frozen=True)
class TrainingSettings:
    """What the one training loop needs of a learned generator's config."""

    seed: int
    epochs: int
    batch_size: int
    lr: float
    patience: int
    max_minutes: float


@dataclass(frozen=True, kw_only=True)
class LearnedConfig(GeneratorConfig):
    """The training settings every learned generator has (subclasses may change defaults)."""

    seed: int = param(0, "training seed: weight initialisation, batch order, training noise", ge=0,
                      lt=2 ** 64)
    epochs: int = param(40, "most passes over the training data", ge=1, le=10_000)
    batch_size: int = param(128, "examples per optimisation step", ge=1, le=65_536)
    lr: float = param(2e-3, "Adam learning rate", gt=0.0, le=1.0)
    patience: int = param(6, "stop after this many epochs without a better validation loss", ge=1)
    max_minutes: float = param(9.0, "stop training after this many minutes", gt=0.0)

    @property
    def training(self) -> TrainingSettings:
        return TrainingSettings(self.seed, self.epochs, self.batch_size, self.lr, self.patience, self.max_minutes)


def training_stream(seed: int, part: str) -> np.random.SeedSequence:
    """The named child ``part`` of training seed ``seed``'s stream (init, batches, validation...)."""
    return child(seed_sequence(seed, "procgen.training"), part)


def quantized(values: np.ndarray, grid: float) -> np.ndarray:
    """float64 ``values`` rounded to multiples of ``grid`` (a power of two: exact)."""
    return np.round(np.asarray(values, dtype=np.float64) / grid) * grid


def quantized_tensor(values: torch.Tensor, grid: float) -> torch.Tensor:
    """:func:`quantized` for a float64 tensor (used inside autoregressive loops)."""
    return torch.round(values / grid) * grid


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch ops on one thread (restored after): results independent of the core count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def init_parameters(module: nn.Module, generator: torch.Generator) -> None:
    """Deterministic initialisation from ``generator``; never the global torch RNG.

    Matrices get U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's default scale), biases 0,
    and 1-D scales (norm weights) 1.
    """
    with torch.no_grad():
        for name, tensor in module.named_parameters():
            if tensor.ndim >= 2:
                bound = 1.0 / math.sqrt(max(1, int(np.prod(tensor.shape[1:]))))
                tensor.copy_(torch.rand(tensor.shape, generator=generator) * 2 * bound - bound)
            elif name.endswith("bias"):
                tensor.zero_()
            else:
                tensor.fill_(1.0)


def load_module_weights(module: nn.Module, weights: dict[str, np.ndarray], name: str) -> None:
    """Load named arrays into ``module``; a CheckpointError names any missing, extra or misshapen one."""
    expected = module.state_dict()
    missing, extra = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    if missing or extra:
        raise CheckpointError(f"weights do not match {name}'s network (missing {missing or 'none'}, "
                              f"unexpected {extra or 'none'}); was it saved with other architecture settings?")
    for key, value in expected.items():
        if tuple(weights[key].shape) != tuple(value.shape):
            raise CheckpointError(f"weight {key} has shape {tuple(weights[key].shape)}, the network "
                                  f"needs {tuple(value.shape)}; architecture settings differ")
    module.load_state_dict({k: torch.from_numpy(np.array(v)).to(expected[k].dtype) for k, v in weights.items()})


class TorchGenerator(Generator[C]):
    """A torch model behind the Generator interface. Subclasses implement the hooks below."""

    kind = "learned"
    Config: ClassVar[type[LearnedConfig]] = LearnedConfig
    config: LearnedConfig

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        self.extras: dict[str, np.ndarray] = {}  # plain arrays saved beside the weights (e.g. data tables)
        self._float64: tuple[tuple[tuple[int, int], ...], nn.Module] | None = None
        # Building draws default weights from the global RNG; fork it so the caller's global
        # state is untouched, then overwrite every weight from the training seed's init stream.
        with torch.random.fork_rng(devices=[]):
            self.module = self.build()
        self.init_weights(self.training_generator("init"))
        self.module.eval()

    # ---- hooks -------------------------------------------------------------------
    def build(self) -> nn.Module:
        """The network for ``self.config``."""
        raise NotImplementedError

    def init_weights(self, generator: torch.Generator) -> None:
        init_parameters(self.module, generator)

    def training_setup(self, data: Any, params: dict[str, Any]) -> tuple["TorchGenerator[C]", torch.Tensor,
                                                                          torch.Tensor]:
        """A new untrained model for ``data`` with ``params``, and its training and validation examples."""
        raise NotImplementedError

    def prepare(self, train_x: torch.Tensor) -> None:
        """Called once before training with the training examples: fit data statistics kept in
        ``self.extras`` or buffers. Default: nothing."""

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        """One optimisation step on ``batch``; returns named losses for the progress bar."""
        raise NotImplementedError

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        """A number to minimise on held-out examples (early stopping keeps the best)."""
        raise NotImplementedError

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.module.parameters(), lr=self.config.lr)]

    # ---- randomness and the portable path ------------------------------------------
    def training_generator(self, part: str) -> torch.Generator:
        """A torch generator on the named child ``part`` of the training seed's stream."""
        return torch_generator(training_stream(self.config.seed, part))

    @contextlib.contextmanager
    def inference(self) -> Iterator[None]:
        """Inside, ``self.module`` is a float64 copy of the network, new tensors default to
        float64, and torch runs on one thread without gradients: the portable path."""
        with _INFERENCE, one_thread(), torch.no_grad():
            module, dtype = self.module, torch.get_default_dtype()
            self.module = self._float64_module()
            torch.set_default_dtype(torch.float64)
            try:
                yield
            finally:
                self.module = module
                torch.set_default_dtype(dtype)

    def _float64_module(self) -> nn.Module:
        # Cached until a weight changes: torch bumps a tensor's _version on every in-place write.
        key = tuple((id(t), t._version) for t in self.module.state_dict(keep_vars=True).values())
        if self._float64 is None or self._float64[0] != key:
            self._float64 = (key, copy.deepcopy(self.module).double().eval())
        return self._float64[1]

    # ---- training and weights ----------------------------------------------------
    def fit(self, data: Any, *, out: str | os.PathLike[str] | None = None, resume: bool = False,
            progress: bool = False, **params: Any) -> "TorchGenerator[C]":
        """A new generator of this kind trained on ``data``; its folder is written to ``out`` when given."""
        from procgen.generators.learned.train import fit_model

        return fit_model(self, data, out=out, resume=resume, progress=progress, **params)

    def _weights(self) -> dict[str, np.ndarray]:
        weights = {k: v.detach().cpu().numpy().copy() for k, v in self.module.state_dict().items()}
        weights.update({EXTRA_PREFIX + k: np.ascontiguousarray(v) for k, v in self.extras.items()})
        return weights

    def _set_weights(self, weights: dict[str, np.ndarray]) -> None:
        weights = dict(weights)
        self.extras = {k[len(EXTRA_PREFIX):]: np.array(weights.pop(k)) for k in list(weights)
                       if k.startswith(EXTRA_PREFIX)}
        load_module_weights(self.module, weights, self.name)
        self.module.eval()
