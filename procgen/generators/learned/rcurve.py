"""river/rcurve: one river's points as a noisy curve, X = f(Z) + N(0, sigma^2 I), and variations of it.

The model (the seeds' "RCurve"): Z takes the m evenly spaced values z_j = (j - 1) / (m - 1)
with equal probability, f: [0, 1] -> R^2 is a small MLP, and a point of the river is
f(Z) plus isotropic Gaussian noise of standard deviation sigma (learned). One point's
log density is

    log p(x) = -log(2 pi sigma^2) + log((1/m) sum_j exp(-||x - f(z_j)||^2 / (2 sigma^2))),

evaluated with logsumexp (the plain sum underflows once sigma is small). Fitting maximises
it over the points of ONE path: a real river (``path_index`` picks it from the training
split; -1, the default, picks the most winding of the long ones: the largest length /
extent among rivers of at least 256 points) or a path a designer draws (``fit([path])``).
The path is resampled every ``step_length``, and every 10th point is held out for early
stopping on its mean negative log density. Points are centred and scaled to unit extent
before fitting (so sigma0 and the learning rate mean the same for any river), and the
centre and scale are saved with the weights so everything comes back in world units.

f's input is z plus sin / cos (pi k z) for k = 1..``frequencies`` (Fourier features): a
plain LeakyReLU MLP of z is piecewise linear with few kinks and fits a winding river
poorly; ``frequencies=0`` gives the seeds' plain-z network. Layers: inputs -> ``hidden``
-> ``hidden`` -> ``hidden`` -> 2 with LeakyReLU, as in the seeds (their first layer has 4
units; every layer is ``hidden`` wide here).

Generating "new variations of the river": the fitted curve f is evaluated on a fine z grid
(the same for every seed) and resampled to ``steps + 1`` points evenly spaced along it;
each point then moves by a smooth random 2-D displacement

    d(t) = variation * sigma * sum_{k=1..wiggles} w_k (a_k cos(pi k t) + b_k sin(pi k t)),

t in [0, 1] along the river, a_k, b_k ~ Normal(0, I_2) from the seed, w_k proportional to
k ** -``roughness`` with sum w_k^2 = 1. Each coordinate of d has standard deviation
``variation * sigma`` at every point; the low modes bend whole reaches, the high ones add
the small wiggles the smooth f leaves out (the scatter sigma measures), so each seed is a
recognisable variation of the fitted river;
``variation=0`` gives the fitted curve itself. (A 2-D field rather than a push along the
normal: normals flip at the fitted curve's sharp corners and would tie loops there.)
Output is in the fitted river's world coordinates and orientation (``heading`` is not used).

``log_prob(path)`` sums the point density above over the path's points resampled every
``step_length``, in world units (so it includes -2 log(scale) per point for the
normalisation). It is a density over points in the plane (``density_space = "points"``):
its nats are not comparable with the turning-angle models' nats per turn, and
``scored_steps`` counts the scored points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from procgen.content import RiverPath
from procgen.errors import ContentError, ParameterError
from procgen.generators.config import param
from procgen.generators.learned.base import LearnedRiver, LearnedRiverConfig
from procgen.generators.learned.core import POINT_GRID, init_parameters, one_thread, quantized
from procgen.generators.registry import register
from procgen.seeding import make_rng

__all__ = ["RCurveConfig", "RCurveNet", "RCurveRiver", "choose_path", "point_log_density"]

MIN_AUTO_POINTS = 256  # path_index=-1 picks among rivers at least this many points long
MIN_FIT_POINTS = 20
FINE = 16  # fine z grid points per output point before resampling along the curve


@dataclass(frozen=True, kw_only=True)
class RCurveConfig(LearnedRiverConfig):
    steps: int = param(512, "segments of a generated variation (it has steps + 1 points evenly spaced "
                            "along the fitted curve)", ge=1, le=100_000)
    m: int = param(100, "number of evenly spaced latent values z_j (curve points of the mixture)", ge=2, le=10_000)
    path_index: int = param(-1, "which training-split path to fit; -1 = the most winding one of at least "
                                f"{MIN_AUTO_POINTS} points (the weights record the index fitted)", ge=-1)
    step_length: float = param(2.0, "spacing in world units (km for the shipped rivers) at which paths are "
                                    "resampled for fitting and log_prob; set by fit", gt=0.0)
    hidden: int = param(32, "units in each of f's three hidden layers", ge=1, le=1024)
    frequencies: int = param(8, "Fourier features sin/cos(pi k z), k = 1..frequencies, fed to f with z "
                                "(0 = z only, as in the seeds)", ge=0, le=256)
    sigma0: float = param(0.1, "initial sigma as a fraction of the path's extent", gt=0.0, le=10.0)
    variation: float = param(2.0, "size of a variation's smooth displacement (each coordinate's std) in "
                                  "units of the fitted sigma (0 = the fitted curve)", ge=0.0, le=100.0)
    warm_steps: int = param(500, "least-squares steps fitting f(i / (N - 1)) to the path's i-th point before "
                                 "maximum likelihood (0 = none, as in the seeds)", ge=0, le=100_000)
    wiggles: int = param(32, "random sine/cosine modes of the displacement along the river (more = finer detail)",
                         ge=1, le=1000)
    roughness: float = param(0.75, "mode k's amplitude falls as k ** -roughness (0 = all equal; "
                                   "larger = smoother, broader changes)", ge=0.0, le=4.0)
    # A handful of points per step: small batches give many cheap Adam steps per epoch.
    batch_size: int = param(64, "points per optimisation step", ge=1, le=65_536)
    lr: float = param(2e-3, "Adam learning rate", gt=0.0, le=1.0)
    epochs: int = param(1000, "most passes over the path's training points", ge=1, le=10_000)
    patience: int = param(80, "stop after this many epochs without a better held-out log density", ge=1)
    max_minutes: float = param(4.5, "stop training after this many minutes", gt=0.0)


class RCurveNet(nn.Module):
    """f: z -> R^2 (normalized units), log sigma, and the path's normalization (buffers)."""

    def __init__(self, c: RCurveConfig) -> None:
        super().__init__()
        self.frequencies = c.frequencies
        width = 1 + 2 * c.frequencies
        self.f = nn.Sequential(
            nn.Linear(width, c.hidden), nn.LeakyReLU(),
            nn.Linear(c.hidden, c.hidden), nn.LeakyReLU(),
            nn.Linear(c.hidden, c.hidden), nn.LeakyReLU(),
            nn.Linear(c.hidden, 2))
        # Shape (1,), not (): model folders store arrays of at least one dimension.
        self.log_sigma = nn.Parameter(torch.zeros(1))
        self.register_buffer("centre", torch.zeros(2))  # world = centre + scale * normalized
        self.register_buffer("scale", torch.ones(1))
        # Index of the fitted path in the training paths (-1: not fitted); a record, not used.
        self.register_buffer("fitted_path", torch.full((1,), -1, dtype=torch.int64))

    def curve(self, z: torch.Tensor) -> torch.Tensor:
        """f(z): points (n, 2) in normalized units for z (n,) in [0, 1]."""
        k = torch.arange(1, self.frequencies + 1, dtype=z.dtype)  # (F,)
        angle = math.pi * z[:, None] * k[None, :]  # (n, F)
        return self.f(torch.cat([z[:, None], torch.sin(angle), torch.cos(angle)], dim=1))

    def log_density(self, x: torch.Tensor, m: int) -> torch.Tensor:
        """log p(x) (B,) in normalized units for points x (B, 2): the seeds' formula."""
        mu = self.curve(torch.linspace(0, 1, m))  # (m, 2)
        return point_log_density(x, mu, self.log_sigma)


def point_log_density(x: torch.Tensor, mu: torch.Tensor, log_sigma: torch.Tensor) -> torch.Tensor:
    """-log(2 pi sigma^2) + log mean_j exp(-||x - mu_j||^2 / (2 sigma^2)), for x (B, 2), mu (m, 2)."""
    d2 = ((x[:, None, :] - mu[None, :, :]) ** 2).sum(dim=2)  # (B, m)
    sigma2 = torch.exp(2 * log_sigma)
    mixture = torch.logsumexp(-d2 / (2 * sigma2), dim=1) - math.log(mu.shape[0])  # (B,)
    return mixture - torch.log(2 * math.pi * sigma2)


@register
class RCurveRiver(LearnedRiver):
    name = "river/rcurve"
    description = "one river fitted as a noisy curve X = f(Z) + N(0, sigma^2 I); makes smooth variations of it"
    Config = RCurveConfig
    config: RCurveConfig
    module: RCurveNet
    explicit = True
    density_space = "points"  # log_prob is a density over points in the plane, not over turns

    def build(self) -> nn.Module:
        return RCurveNet(self.config)

    def init_weights(self, generator: torch.Generator) -> None:
        init_parameters(self.module, generator)
        with torch.no_grad():
            # Random biases (PyTorch's default scale), not zeros: with zero biases a LeakyReLU
            # net of z >= 0 starts as a straight segment and grows its bends slowly.
            for layer in self.module.f:
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / math.sqrt(layer.in_features)
                    layer.bias.copy_(torch.rand(layer.bias.shape, generator=generator) * 2 * bound - bound)
            self.module.log_sigma.fill_(math.log(self.config.sigma0))

    @property
    def fitted_path(self) -> int:
        """Index in the training paths of the path this model was fitted to (-1: untrained)."""
        return int(self.module.fitted_path)

    @property
    def sigma(self) -> float:
        """The fitted noise level in world units."""
        return float(torch.exp(self.module.log_sigma.detach()) * self.module.scale)

    def world_curve(self, z: torch.Tensor) -> np.ndarray:
        """f(z) (n, 2) float64 in world units for z (n,) in [0, 1], on the portable path (float64)."""
        with self.inference():
            mu = self.module.curve(z.double())  # (n, 2)
            return (self.module.centre + self.module.scale * mu).numpy()

    # ---- training ----------------------------------------------------------------
    def training_examples(self, data: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """The chosen path's points, normalized: every 10th held out for validation."""
        paths = _paths_of(data)
        index = self.config.path_index
        if index < 0:  # a deterministic choice from the data, so the config can stay -1
            index = choose_path(paths, self.config.step_length)
        elif index >= len(paths):
            raise ParameterError(f"path_index {index} is out of range: the training data has {len(paths)} paths")
        self.module.fitted_path.fill_(index)  # saved with the weights: which path was fitted
        points = _resampled(paths[index], self.config.step_length)  # (N, 2)
        if len(points) < MIN_FIT_POINTS:
            raise ContentError(f"path {index} has {len(points)} points at step_length {self.config.step_length:g}; "
                               f"river/rcurve needs at least {MIN_FIT_POINTS}")
        lo, hi = points.min(axis=0), points.max(axis=0)
        self.module.centre.copy_(torch.from_numpy((lo + hi) / 2))
        self.module.scale.fill_(max(float((hi - lo).max()), 1e-12))
        x = torch.from_numpy((points - (lo + hi) / 2) / float(self.module.scale)).float()  # (N, 2) in [-0.5, 0.5]
        held = torch.arange(len(x)) % 10 == 9
        self.warm_start(x[~held], torch.linspace(0, 1, len(x))[~held])
        return x[~held], x[held]

    def warm_start(self, x: torch.Tensor, z: torch.Tensor) -> None:
        """Fit f(z_i) ~ x_i by least squares, z_i the point's place along the path (deterministic).

        The likelihood ignores the order of the points, and from a random start the curve
        tends to cover the river in several folded passes, a poor local optimum. Starting
        from a curve that already runs along the river in order avoids that; maximum
        likelihood then refines f and fits sigma.
        """
        if self.config.warm_steps == 0:
            return
        optimizer = torch.optim.Adam(self.module.f.parameters(), lr=1e-2)
        with torch.enable_grad():
            for _ in range(self.config.warm_steps):
                optimizer.zero_grad()
                loss = ((self.module.curve(z) - x) ** 2).sum(dim=1).mean()
                loss.backward()
                optimizer.step()

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        (opt,) = optimizers
        loss = -self.module.log_density(batch, self.config.m).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"nll": float(loss.detach()), "sigma": float(torch.exp(self.module.log_sigma.detach()))}

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        return float(-self.module.log_density(data, self.config.m).mean())

    # ---- likelihood --------------------------------------------------------------
    def log_prob(self, path: RiverPath) -> float:
        """Total log density (nats) of ``path``'s points resampled every ``step_length``, in world units."""
        points = _resampled(path, self.config.step_length)  # (N, 2)
        x = (torch.from_numpy(points) - self.module.centre.double()) / self.module.scale.double()
        with torch.no_grad(), one_thread():
            mu = self.module.curve(torch.linspace(0, 1, self.config.m)).double()  # (m, 2)
            normalized = point_log_density(x, mu, self.module.log_sigma.double())  # (N,)
        # Density in world units: each point's 2-D density divides by scale^2.
        return float(normalized.sum() - 2 * len(points) * torch.log(self.module.scale.double()))

    def scored_steps(self, path: RiverPath) -> int:
        """How many points ``log_prob(path)`` scores (a point density: not turns)."""
        return len(_resampled(path, self.config.step_length))

    def log_prob_turns(self, turns: np.ndarray) -> float:
        raise ParameterError(f"{self.name} is a density over a river's points, not its turning angles; "
                             "use log_prob(path)")

    # ---- generating --------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        # (x or y, cos or sin, mode): the coefficients of the smooth 2-D displacement
        return {"modes": rng.standard_normal((2, 2, self.config.wiggles))}

    def base_curve(self) -> np.ndarray:
        """The fitted curve as steps + 1 points (T, 2) in world units, evenly spaced along it."""
        count = self.config.steps + 1
        fine = self.world_curve(torch.linspace(0, 1, FINE * count, dtype=torch.float64))  # (G, 2)
        along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(fine, axis=0), axis=1))])  # (G,)
        s = np.linspace(0.0, along[-1], count)  # (T,)
        return np.stack([np.interp(s, along, fine[:, 0]), np.interp(s, along, fine[:, 1])], axis=1)

    def _generate_batch(self, streams: list[np.random.SeedSequence]) -> list[RiverPath]:
        if not streams:
            return []
        points = self.base_curve()  # one evaluation for the whole batch: identical for every seed
        t = np.linspace(0.0, 1.0, len(points))  # (T,)
        k = np.arange(1, self.config.wiggles + 1)  # (K,)
        basis = np.stack([np.cos(np.pi * k[:, None] * t), np.sin(np.pi * k[:, None] * t)])  # (2, K, T)
        weights = k ** -self.config.roughness
        weights = self.config.variation * self.sigma * weights / np.sqrt((weights ** 2).sum())  # (K,)
        paths = []
        for stream in streams:
            modes = self.draw_noise(make_rng(stream))["modes"]  # (2, 2, K)
            # Elementwise sums, never a batched matmul: a river's bits cannot depend on its batch.
            offset = ((weights[:, None] * modes[:, :, :, None]) * basis[None]).sum(axis=(1, 2))  # (2, T)
            # On the grid: the network placed these points, so a kernel's last bits must not show.
            paths.append(RiverPath(quantized(points + offset.T, POINT_GRID)))
        return paths


def _paths_of(data: Any) -> list[RiverPath]:
    """The training paths: a RiverSet's training split, a list of RiverPaths, or one RiverPath."""
    if isinstance(data, RiverPath):
        return [data]
    if hasattr(data, "split") and hasattr(data, "paths"):
        paths = data.split("train").paths()
    elif isinstance(data, Sequence) and data and all(isinstance(p, RiverPath) for p in data):
        paths = list(data)
    else:
        raise ParameterError("river/rcurve fits one path: give a RiverSet, a list of RiverPaths or a RiverPath")
    if not paths:
        raise ParameterError("river/rcurve: the training data holds no paths")
    return paths


def _resampled(path: RiverPath, step_length: float) -> np.ndarray:
    if not isinstance(path, RiverPath):
        raise ParameterError(f"expected a RiverPath, got {type(path).__name__}")
    return np.array(path.resample(step_length).points, dtype=np.float64)  # a writable copy for torch


def choose_path(paths: Sequence[RiverPath], step_length: float) -> int:
    """The most winding path (largest length / extent) of at least MIN_AUTO_POINTS points; else the longest."""
    best, best_score, longest, longest_n = -1, -1.0, 0, -1
    for i, path in enumerate(paths):
        try:
            points = _resampled(path, step_length)
        except ContentError:
            continue
        n = len(points)
        if n > longest_n:
            longest, longest_n = i, n
        extent = float((points.max(axis=0) - points.min(axis=0)).max())
        if n >= MIN_AUTO_POINTS and extent > 0 and path.length / extent > best_score:
            best, best_score = i, path.length / extent
    return best if best >= 0 else longest
