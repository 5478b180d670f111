"""What the window models (river/vae, river/flow) share: fixed-length windows of turns.

Both model a window of ``window`` consecutive turning angles as one vector. A river of
``steps`` turns is ``ceil(steps / window)`` windows drawn independently, joined and cut
to length; so turns in different windows are independent (a seam every ``window`` turns).

Likelihoods score the ``floor(T / window)`` complete non-overlapping windows from the
first turn; the tail of ``T mod window`` turns is left out (``scored_steps`` says how many
turns were scored, so per-step figures divide by the right count).

The networks see ``u = asinh(turn / turn_scale)``, not radians: near-Gaussian for small
turns, logarithmic for the rare sharp bends, so a hairpin of pi is a few units rather
than tens of standard deviations (outside a spline flow's domain and ruinous for a
Gaussian decoder). The map is a fixed bijection; its log-Jacobian is added back, so
every log-likelihood here is a density over turning angles in radians.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from procgen.errors import ContentError
from procgen.generators.config import param
from procgen.generators.learned.base import LearnedRiver, LearnedRiverConfig


@dataclass(frozen=True, kw_only=True)
class WindowConfig(LearnedRiverConfig):
    """Options every window model has (the architecture ones must match saved weights)."""

    # Defaults are the shipped models' settings (2 km steps; the spread of the shipped turns).
    step_length: float = param(2.0, "length of one step in world units (km for the shipped rivers); set by fit",
                               gt=0.0)
    window: int = param(64, "turns per window: the model's unit of sampling and scoring", ge=2, le=1024)
    turn_scale: float = param(0.05927, "radians: turns are modelled as asinh(turn / turn_scale); set by fit "
                                   "from the training data's spread", gt=0.0, le=math.pi)
    mirror: bool = param(True, "train on mirror images too (every turn negated): rivers have no "
                               "preferred side")
    dequantize: float = param(2.0 ** -14, "radians: width of the uniform noise added to training turns, the "
                                          "shipped data's rounding step (0 = none)", ge=0.0, le=0.1)


def dequantized(x: torch.Tensor, width: float, generator: torch.Generator) -> torch.Tensor:
    """``x`` plus uniform noise on [-width/2, width/2] (the standard dequantization of rounded data).

    The shipped turns are rounded to a grid and 46% are exactly 0 (straight runs along one
    source segment); without noise a continuous density can pile unbounded mass on those
    points. With it, the density stays below about (fraction at a point) / width, and
    maximising it maximises a lower bound on the probability of the rounded data.
    """
    if width <= 0:
        return x
    return x + width * (torch.rand(x.shape, generator=generator) - 0.5)


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Start indices of training windows: every ``stride`` turns, plus one flush with the end."""
    if length < window:
        return []
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] != length - window:
        starts.append(length - window)  # so the last turns are trained on too
    return starts


def training_windows(sequences: list[np.ndarray], window: int, stride: int, mirror: bool) -> torch.Tensor:
    """(N, window) float32 radians: overlapping windows of every sequence, in order (deterministic)."""
    rows = [seq[s:s + window] for seq in sequences for s in window_starts(len(seq), window, stride)]
    if not rows:
        return torch.zeros((0, window))
    x = np.stack(rows)  # (N, window)
    if mirror:
        x = np.concatenate([x, -x])  # (2N, window)
    return torch.from_numpy(x.astype(np.float32))


def scoring_windows(turns: np.ndarray, window: int) -> torch.Tensor:
    """(floor(T / window), window) float32: the complete non-overlapping windows; the tail is left out."""
    count = len(turns) // window
    if count == 0:
        raise ContentError(f"a window model scores whole windows of {window} turns; this river has only "
                           f"{len(turns)} at this step_length (scored_steps gives 0)")
    return torch.from_numpy(np.asarray(turns[:count * window], dtype=np.float32).reshape(count, window))


def to_latent(x: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """u = asinh(x / scale) (..., W) and log|du/dx| summed over the last axis (...,)."""
    r = x / scale
    log_det = -(math.log(scale) + 0.5 * torch.log1p(r * r)).sum(-1)  # du/dx = 1 / (scale sqrt(1 + r^2))
    return torch.asinh(r), log_det


def from_latent(u: torch.Tensor, scale: float) -> torch.Tensor:
    """Turns in radians (..., W) from model space: the inverse of :func:`to_latent`."""
    return scale * torch.sinh(u)


def robust_scale(sequences: list[np.ndarray]) -> float:
    """The spread of typical turns (1.4826 * median absolute turn), 4 significant digits.

    A median, not a standard deviation, so a few hairpins do not set the scale; the
    rounding keeps the value readable in model.json.
    """
    turns = np.abs(np.concatenate([np.asarray(s, dtype=np.float64) for s in sequences]))
    spread = 1.4826 * float(np.median(turns)) if turns.size else 0.0
    if not math.isfinite(spread) or spread <= 0:
        spread = float(np.sqrt(np.mean(turns ** 2))) if turns.size else 0.0
    return float(f"{min(max(spread, 1e-4), math.pi):.4g}")


class WindowRiver(LearnedRiver):
    """The parts of a window model that do not depend on the network."""

    config: WindowConfig

    @property
    def windows_per_river(self) -> int:
        return -(-self.config.steps // self.config.window)  # ceil

    def training_data(self, sequences: list[np.ndarray]) -> torch.Tensor:
        # Half-overlapping windows: twice the examples of a tiling, and every turn is seen at
        # two positions within a window.
        return training_windows(sequences, self.config.window, max(1, self.config.window // 2), self.config.mirror)

    def scored_steps(self, path: Any) -> int:
        """Turns in the complete windows ``log_prob`` scores (the tail of T mod window is left out)."""
        turns = super().scored_steps(path)
        return (turns // self.config.window) * self.config.window

    def fit(self, data: Any, *, out: Any = None, resume: bool = False, progress: bool = False,
            **params: Any) -> LearnedRiver:
        """As :meth:`LearnedRiver.fit`; ``turn_scale`` is set from the training turns unless given."""
        from procgen.generators.learned.base import split_sequences

        step_length = float(params.get("step_length") or getattr(data, "step_length", None)
                            or self.config.step_length)
        if "turn_scale" not in params:
            params["turn_scale"] = robust_scale(split_sequences(data, step_length)[0])
        return super().fit(data, out=out, resume=resume, progress=progress, **params)

    def latent(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Model-space windows (N, W) and the log-Jacobian (N,) of radians -> model space."""
        return to_latent(x, self.config.turn_scale)

    def joined(self, windows: torch.Tensor) -> torch.Tensor:
        """Turns (B, steps) in radians from model-space windows (B, n_windows, W)."""
        turns = from_latent(windows, self.config.turn_scale)  # (B, n, W)
        return turns.reshape(turns.shape[0], -1)[:, :self.config.steps]
