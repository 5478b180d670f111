"""The base of learned river generators: a torch module behind the Generator interface.

Sampling is split in two so batches are exact: ``draw_noise`` takes every random number
a river needs from that seed's own ``torch.Generator``; ``decode`` turns a block of noise
into turning angles with no randomness. Blocks have a fixed number of rows (padded) and
run on one thread, so a river's bits never depend on which batch it was in, how large the
batch was, or how many cores the machine has.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from procgen.assets import model_folder
from procgen.content import RiverPath

from procgen.errors import CheckpointError, ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, param
from procgen.generators.handwritten.turns import observed_turns, walk
from procgen.seeding import torch_generator



@dataclass(frozen=True, kw_only=True)
class LearnedRiverConfig(GeneratorConfig):
    """Sampling and training options every learned river generator has."""

    steps: int = param(256, "turns per generated river (the path has steps + 2 points)", ge=1, le=100_000)
    step_length: float = param(1.0, "length of one step in world units (km for the shipped rivers); set by fit",
                               gt=0.0)
    heading: float = param(90.0, "starting direction in degrees (0 = east, 90 = north)", ge=-360.0, le=360.0)
    seed: int = param(0, "training seed: weight initialisation, batch order, training noise", ge=0)
    epochs: int = param(40, "most passes over the training data", ge=1, le=10_000)
    batch_size: int = param(128, "examples per optimisation step", ge=1, le=65_536)
    lr: float = param(2e-3, "Adam learning rate", gt=0.0, le=1.0)
    patience: int = param(6, "stop after this many epochs without a better validation loss", ge=1)
    max_minutes: float = param(9.0, "stop training after this many minutes", gt=0.0)


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


class LearnedRiver(Generator[RiverPath]):
    """A torch model of turning-angle sequences. Subclasses implement the hooks below."""

    kind = "learned"
    content_type = RiverPath
    Config: ClassVar[type[LearnedRiverConfig]] = LearnedRiverConfig
    config: LearnedRiverConfig
    explicit: ClassVar[bool] = False  # True where log_prob is available
    # What log_prob is a density over: "turns" (nats per turning angle, comparable across
    # the turn models) or "points" (a density over points in the plane, e.g. river/rcurve).
    density_space: ClassVar[str] = "turns"
    block: ClassVar[int] = 64  # rows per sampling block; fixed per model so results are batch-invariant

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        # Building draws default weights from the global RNG; fork it so the caller's
        # global state is untouched, then overwrite every weight from the training seed.
        with torch.random.fork_rng(devices=[]):
            self.module = self.build()
        self.init_weights(torch.Generator().manual_seed(self.config.seed))
        self.module.eval()

    # ---- hooks -------------------------------------------------------------------
    def build(self) -> nn.Module:
        """The network for ``self.config``."""
        raise NotImplementedError

    def init_weights(self, generator: torch.Generator) -> None:
        init_parameters(self.module, generator)

    def draw_noise(self, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Every random number one river needs, drawn from its own generator; fixed shapes."""
        raise NotImplementedError

    def decode(self, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        """Turning angles (B, steps) in radians from a block of noise (B, ...); no randomness."""
        raise NotImplementedError

    def training_data(self, sequences: list[np.ndarray]) -> torch.Tensor:
        """Examples (N, ...) for training from turning-angle sequences at ``step_length``."""
        raise NotImplementedError

    def training_examples(self, data: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Training and validation examples from ``data`` (a RiverSet or RiverPaths).

        The default reads turning-angle sequences (the data's own split, else every 10th
        path held out) and passes each side through :meth:`training_data`; a model that
        needs the paths themselves, or statistics of the training side, overrides this.
        """
        from procgen.generators.learned.train import split_sequences

        train_seq, val_seq = split_sequences(data, self.config.step_length)
        return self.training_data(train_seq), self.training_data(val_seq)

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        """One optimisation step on ``batch``; returns named losses for the progress bar."""
        raise NotImplementedError

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        """A number to minimise on held-out examples (early stopping picks the best)."""
        raise NotImplementedError

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        return [torch.optim.Adam(self.module.parameters(), lr=self.config.lr)]

    def log_prob_turns(self, turns: np.ndarray) -> float:
        """Total log-likelihood in nats of one turning-angle sequence (explicit models)."""
        raise NotImplementedError(f"{self.name} is an implicit model: it has no log_prob")

    # ---- Generator ---------------------------------------------------------------
    def _generate(self, stream: np.random.SeedSequence) -> RiverPath:
        return self._generate_batch([stream])[0]

    def _generate_batch(self, streams: list[np.random.SeedSequence]) -> list[RiverPath]:
        noises = [self.draw_noise(torch_generator(s)) for s in streams]
        turns = []
        with torch.no_grad(), one_thread():
            for start in range(0, len(noises), self.block):
                block = noises[start:start + self.block]
                stacked = {k: _padded(torch.stack([n[k] for n in block]), self.block) for k in block[0]}
                turns.append(self.decode(stacked)[:len(block)].double().numpy())
        if not turns:
            return []
        angles = np.concatenate(turns)  # (B, steps)
        points = walk(angles, step_length=self.config.step_length, heading=self.config.heading)
        return [RiverPath(p) for p in points]

    def log_prob(self, path: RiverPath) -> float:
        """Total log-likelihood (nats) of ``path``'s turns after resampling to ``step_length``."""
        if not self.explicit:
            raise ParameterError(f"{self.name} is an implicit model: it has no log_prob")
        with torch.no_grad(), one_thread():
            return float(self.log_prob_turns(observed_turns(path, self.config.step_length)))

    def scored_steps(self, path: RiverPath) -> int:
        """How many turns ``log_prob(path)`` scores (window models may leave a tail out)."""
        return len(observed_turns(path, self.config.step_length))

    # ---- training and weights ----------------------------------------------------
    def fit(self, data: Any, *, out: Any = None, resume: bool = False, progress: bool = False,
            **params: Any) -> "LearnedRiver":
        """A new generator of this kind trained on ``data`` (a RiverSet or a list of RiverPaths)."""
        from procgen.generators.learned.train import fit_generator

        return fit_generator(self, data, out=out, resume=resume, progress=progress, **params)

    def _weights(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().numpy().copy() for k, v in self.module.state_dict().items()}

    def _set_weights(self, weights: dict[str, np.ndarray]) -> None:
        load_module_weights(self.module, weights, self.name)

    @classmethod
    def pretrained_folder(cls):  # type: ignore[no-untyped-def]
        return model_folder(cls.name)


def _padded(tensor: torch.Tensor, rows: int) -> torch.Tensor:
    if tensor.shape[0] == rows:
        return tensor
    pad = torch.zeros((rows - tensor.shape[0],) + tuple(tensor.shape[1:]), dtype=tensor.dtype)
    return torch.cat([tensor, pad])


def turn_sequences(data: Any, step_length: float) -> list[np.ndarray]:
    """Turning-angle sequences (float64 radians) at ``step_length`` from RiverPaths or a RiverSet."""
    if hasattr(data, "sequences"):  # a procgen.datasets RiverSet: turns at its own step
        if float(data.step_length) != step_length:
            data = data.resampled(step_length)
        return [np.asarray(s, dtype=np.float64) for s in data.sequences()]
    if isinstance(data, RiverPath) or not isinstance(data, Sequence) or not data:
        raise ParameterError("training data must be a non-empty list of RiverPaths or a RiverSet")
    return [observed_turns(path, step_length) for path in data]
