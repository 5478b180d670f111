"""The base of learned river generators: a torch model of turning-angle sequences.

Sampling is split in two so batches are exact: ``draw_noise`` takes every random number
a river needs from that seed's own numpy Generator; ``decode`` turns a block of noise into
turning angles with no randomness, on the portable path of ``core.py`` (float64, one
thread). Blocks have a fixed number of rows (padded), so a river's bits never depend on
which batch it was in or how large the batch was; the angles are rounded to ``TURN_GRID``
so they do not depend on the CPU's float kernels either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Sequence

import numpy as np
import torch

from procgen.assets import model_folder
from procgen.content import RiverPath
from procgen.errors import ParameterError
from procgen.generators.config import param
from procgen.generators.handwritten.turns import observed_turns, walk
from procgen.generators.learned.core import TURN_GRID, LearnedConfig, TorchGenerator, one_thread, quantized
from procgen.seeding import make_rng


@dataclass(frozen=True, kw_only=True)
class LearnedRiverConfig(LearnedConfig):
    """Sampling options every learned river generator has (training settings: LearnedConfig)."""

    steps: int = param(256, "turns per generated river (the path has steps + 2 points)", ge=1, le=100_000)
    step_length: float = param(1.0, "length of one step in world units (km for the shipped rivers); set by fit",
                               gt=0.0)
    heading: float = param(90.0, "starting direction in degrees (0 = east, 90 = north)", ge=-360.0, le=360.0)


class LearnedRiver(TorchGenerator[RiverPath]):
    """A torch model of turning-angle sequences. Subclasses implement the hooks below."""

    content_type = RiverPath
    Config: ClassVar[type[LearnedRiverConfig]] = LearnedRiverConfig
    config: LearnedRiverConfig
    explicit: ClassVar[bool] = False  # True where log_prob is available
    # What log_prob is a density over: "turns" (nats per turning angle, comparable across
    # the turn models) or "points" (a density over points in the plane, e.g. river/rcurve).
    density_space: ClassVar[str] = "turns"
    block: ClassVar[int] = 64  # rows per sampling block; fixed per model so results are batch-invariant

    # ---- hooks -------------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Every random number one river needs, drawn from its own numpy generator; fixed shapes."""
        raise NotImplementedError

    def decode(self, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        """Turning angles (B, steps) in radians from a block of float64 noise (B, ...); no randomness.

        Runs inside :meth:`inference`, where ``self.module`` is the float64 network."""
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
        train_seq, val_seq = split_sequences(data, self.config.step_length)
        return self.training_data(train_seq), self.training_data(val_seq)

    def training_setup(self, data: Any, params: dict[str, Any]) -> tuple["LearnedRiver", torch.Tensor,
                                                                          torch.Tensor]:
        step_length = float(getattr(data, "step_length", None) or self.config.step_length)
        model = type(self)(self.config.replace(**{"step_length": step_length, **params}))
        train_x, val_x = model.training_examples(data)
        return model, train_x, val_x

    def log_prob_turns(self, turns: np.ndarray) -> float:
        """Total log-likelihood in nats of one turning-angle sequence (explicit models)."""
        raise NotImplementedError(f"{self.name} is an implicit model: it has no log_prob")

    # ---- Generator ---------------------------------------------------------------
    def _generate(self, stream: np.random.SeedSequence) -> RiverPath:
        return self._generate_batch([stream])[0]

    def _generate_batch(self, streams: list[np.random.SeedSequence]) -> list[RiverPath]:
        if not streams:
            return []
        noises = [self.draw_noise(make_rng(s)) for s in streams]
        turns = []
        with self.inference():
            for start in range(0, len(noises), self.block):
                block = noises[start:start + self.block]
                stacked = {k: _padded(np.stack([n[k] for n in block]), self.block) for k in block[0]}
                turns.append(self.decode(stacked)[:len(block)].numpy())
        angles = quantized(np.concatenate(turns), TURN_GRID)  # (B, steps): no kernel's last bits survive
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

    @classmethod
    def pretrained_folder(cls) -> Path | None:
        return model_folder(cls.name)


def _padded(noise: np.ndarray, rows: int) -> torch.Tensor:
    """(rows, ...) float64: ``noise`` (n <= rows, ...) and zero rows after it."""
    out = np.zeros((rows,) + noise.shape[1:], dtype=np.float64)
    out[:len(noise)] = noise
    return torch.from_numpy(out)


def turn_sequences(data: Any, step_length: float) -> list[np.ndarray]:
    """Turning-angle sequences (float64 radians) at ``step_length`` from RiverPaths or a RiverSet."""
    if hasattr(data, "sequences"):  # a procgen.datasets RiverSet: turns at its own step
        if float(data.step_length) != step_length:
            data = data.resampled(step_length)
        return [np.asarray(s, dtype=np.float64) for s in data.sequences()]
    if isinstance(data, RiverPath) or not isinstance(data, Sequence) or not data:
        raise ParameterError("training data must be a non-empty list of RiverPaths or a RiverSet")
    return [observed_turns(path, step_length) for path in data]


def split_sequences(data: Any, step_length: float) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Training and validation turning-angle sequences: the data's own split, else every 10th path."""
    if hasattr(data, "split") and hasattr(data, "sequences"):
        return turn_sequences(data.split("train"), step_length), turn_sequences(data.split("validation"), step_length)
    sequences = turn_sequences(data, step_length)
    if len(sequences) < 2:
        raise ParameterError("training needs at least 2 river paths (one is held out for validation)")
    return ([s for i, s in enumerate(sequences) if i % 10 != 9] or sequences[:1],
            [s for i, s in enumerate(sequences) if i % 10 == 9] or sequences[-1:])
