"""river/gan: an implicit generator of turning-angle windows trained against a critic (WGAN-GP).

A river is ``ceil(steps / window)`` windows of ``window`` turning angles, each decoded from
its own noise vector z ~ Normal(0, I) by an MLP and concatenated (the tail past ``steps`` is
cut off). Windows are independent, so structure longer than a window, and the joins
between windows, are not modelled.

Training is the Wasserstein GAN with gradient penalty (Gulrajani et al. 2017): a critic D
(an MLP by default; ``critic=conv`` gives a strided 1-D convolutional one, better suited to
local patterns but about 3x slower per step on a CPU) scores windows; each training batch
is split into ``n_critic`` parts, one critic step per part minimising

    D(fake) - D(real) + gp_weight * (||grad D(x_hat)|| - 1)^2,   x_hat = e real + (1 - e) fake,

with e ~ U[0, 1] per window, then one generator step minimising -D(fake). Every z and every
e comes from the training loop's torch.Generator, and training runs on one thread (the
same weights on any machine, and faster on a busy two-core one). Turns are divided by ``scale`` (the
training turns' standard deviation, a saved buffer) before the critic sees them, so the
penalty's unit gradient norm means the same thing for any river data. The generator's
output u is mapped to angles by a soft threshold then a squashing,
``pi * tanh(scale * shrink(u) / pi)`` with ``shrink(u) = sign(u) max(|u| - 0.5, 0)``: about
``scale * u`` for ordinary turns, never beyond +-pi, and exactly 0 for |u| <= 0.5. The
dead zone lets the generator make the spike of exactly straight steps real data has
(46% of the shipped rivers' turns: a 2 km step often runs along one source segment);
without it the generated histogram misses that spike (total variation 0.40 against 0.10).

The model is implicit: there is no likelihood, so ``log_prob`` raises ParameterError.
Early stopping instead minimises the sliced Wasserstein distance (:func:`sliced_wasserstein`)
between held-out windows and a fixed-seed batch of generated windows, in units of
``scale``: the mean, over 256 fixed random unit directions plus the ``window`` coordinate
axes, of the 1-D Wasserstein-1 distance between the two sets' projections. Random
directions see the correlations within a window (their projections are weighted sums of
turns); the axes see single turns' distribution, including the spike of exactly straight
steps that weighted sums blur out.
:func:`statistics_distance` (histogram, standard deviation and lag-1 autocorrelation of
single turns) is a coarser, more readable check, reported after training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from procgen.generators.config import param
from procgen.generators.learned.base import LearnedRiver, LearnedRiverConfig
from procgen.generators.registry import register

__all__ = ["GanConfig", "GanRiver", "sliced_wasserstein", "statistics_distance", "turn_statistics"]

VALIDATION_SAMPLES = 2048  # generated windows per validation
PROJECTIONS = 256  # random directions of the sliced Wasserstein distance
QUANTILES = 128  # quantile levels compared per direction (copes with unequal set sizes)

@dataclass(frozen=True, kw_only=True)
class GanConfig(LearnedRiverConfig):
    window: int = param(64, "turns per generated window; a river is ceil(steps / window) windows", ge=8, le=1024)
    latent: int = param(32, "size of each window's noise vector z", ge=1, le=1024)
    dead_zone: float = param(0.0, "generator outputs within +-dead_zone (units of scale) become a turn of "
                                  "exactly 0: for data with many exact zeros (coarsely digitized rivers)",
                             ge=0.0, le=10.0)
    hidden: int = param(256, "hidden units in each of the generator MLP's two hidden layers", ge=4, le=4096)
    critic: str = param("mlp", "critic network: mlp (two hidden layers of `channels` units) or conv "
                               "(3 strided 1-D convolutions of channels, 2x, 4x)", choices=("mlp", "conv"))
    channels: int = param(256, "critic width: hidden units (mlp) or first convolution's channels (conv)",
                          ge=2, le=4096)
    n_critic: int = param(5, "critic steps per generator step (each batch is split into this many parts)",
                          ge=1, le=64)
    gp_weight: float = param(10.0, "weight of the critic's gradient penalty", ge=0.0, le=1e4)
    stride: int = param(8, "training and validation windows start every stride turns of a river", ge=1)
    step_length: float = param(2.0, "length of one step in world units (km for the shipped rivers); set by fit",
                               gt=0.0)
    # Defaults tuned for an adversarial game: small learning rate, longer patience.
    lr: float = param(5e-4, "Adam learning rate (generator and critic)", gt=0.0, le=1.0)
    batch_size: int = param(320, "windows per generator step (split among the n_critic critic steps)",
                            ge=1, le=65_536)
    epochs: int = param(400, "most passes over the training windows", ge=1, le=10_000)
    patience: int = param(30, "stop after this many epochs without a better validation distance", ge=1)
    max_minutes: float = param(4.5, "stop training after this many minutes", gt=0.0)


class GanNet(nn.Module):
    """The generator MLP (z -> window in units of ``scale``) and the critic."""

    def __init__(self, c: GanConfig) -> None:
        super().__init__()
        self.generator = _generator(c)
        self.critic = _mlp_critic(c) if c.critic == "mlp" else _conv_critic(c)
        # Standard deviation of the training turns (radians); set from the data by fit.
        self.register_buffer("scale", torch.ones(1))  # (1,): model folders store arrays of >= 1 dimension


def _generator(c: GanConfig) -> nn.Sequential:
    return nn.Sequential(nn.Linear(c.latent, c.hidden), nn.LeakyReLU(0.2), nn.Linear(c.hidden, c.hidden),
                         nn.LeakyReLU(0.2), nn.Linear(c.hidden, c.window))


def _mlp_critic(c: GanConfig) -> nn.Sequential:
    return nn.Sequential(nn.Flatten(), nn.Linear(c.window, c.channels), nn.LeakyReLU(0.2),
                         nn.Linear(c.channels, c.channels), nn.LeakyReLU(0.2), nn.Linear(c.channels, 1))


def _conv_critic(c: GanConfig) -> nn.Sequential:
    layers: list[nn.Module] = []
    channels, length = 1, c.window
    for i in range(3):  # kernel 5, stride 2, padding 2: each layer halves the length (rounding up)
        layers += [nn.Conv1d(channels, c.channels * 2 ** i, 5, stride=2, padding=2), nn.LeakyReLU(0.2)]
        channels, length = c.channels * 2 ** i, (length + 1) // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * length, 1))


@register
class GanRiver(LearnedRiver):
    name = "river/gan"
    description = "WGAN-GP generator of turning-angle windows (implicit: no log_prob)"
    Config = GanConfig
    config: GanConfig
    explicit = False
    module: GanNet

    def build(self) -> nn.Module:
        return GanNet(self.config)

    @property
    def windows(self) -> int:
        return math.ceil(self.config.steps / self.config.window)

    # ---- sampling ----------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {"z": rng.standard_normal((self.windows, self.config.latent))}  # (windows, latent)

    def angles(self, z: torch.Tensor) -> torch.Tensor:
        """Turning angles (N, window) in radians from noise z (N, latent)."""
        u = self.module.generator(z)  # (N, window) in units of scale
        # Soft threshold: u in [-dead_zone, dead_zone] gives an exact 0, as coarsely digitized
        # rivers' straight runs do; no smooth output could make that spike. 0: no threshold.
        shrunk = torch.sign(u) * torch.relu(u.abs() - self.config.dead_zone)
        return math.pi * torch.tanh(self.module.scale * shrunk / math.pi)

    def decode(self, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        z = noise["z"]  # (B, windows, latent)
        b, w, latent = z.shape
        turns = self.angles(z.reshape(b * w, latent))  # (B * windows, window)
        return turns.reshape(b, w * self.config.window)[:, :self.config.steps]  # (B, steps)

    # ---- training ----------------------------------------------------------------
    def training_data(self, sequences: list[np.ndarray]) -> torch.Tensor:
        return torch.from_numpy(windows_of(sequences, self.config.window, self.config.stride)).float()

    def training_examples(self, data: object) -> tuple[torch.Tensor, torch.Tensor]:
        train_x, val_x = super().training_examples(data)
        if len(train_x):  # the critic's units: the training turns' spread, never the validation's
            self.module.scale.fill_(max(float(train_x.std()), 1e-3))
        return train_x, val_x

    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        # betas (0.5, 0.9): the usual WGAN-GP choice; less momentum keeps the game from orbiting.
        make = lambda part: torch.optim.Adam(part.parameters(), lr=self.config.lr, betas=(0.5, 0.9))  # noqa: E731
        return [make(self.module.generator), make(self.module.critic)]

    def critic(self, turns: torch.Tensor) -> torch.Tensor:
        """Critic scores (N,) of turning-angle windows (N, window) in radians."""
        return self.module.critic((turns / self.module.scale)[:, None, :])[:, 0]

    def _penalty(self, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        e = torch.rand(len(real), 1, generator=generator)  # (N, 1)
        mixed = (e * real + (1 - e) * fake).requires_grad_(True)  # (N, window)
        (grad,) = torch.autograd.grad(self.critic(mixed).sum(), mixed, create_graph=True)
        # In the critic's units (turns / scale), where the Lipschitz bound of 1 is meant.
        norm = (grad * self.module.scale).norm(dim=1)  # (N,)
        return ((norm - 1) ** 2).mean()

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        g_opt, c_opt = optimizers
        c = self.config
        distances, penalties = [], []
        for real in batch.chunk(c.n_critic):  # real: (n, window)
            with torch.no_grad():
                fake = self.angles(torch.randn(len(real), c.latent, generator=generator))
            distance = self.critic(real).mean() - self.critic(fake).mean()
            penalty = self._penalty(real, fake, generator)
            c_opt.zero_grad()
            (c.gp_weight * penalty - distance).backward()
            c_opt.step()
            distances.append(float(distance.detach()))
            penalties.append(float(penalty.detach()))
        fake = self.angles(torch.randn(len(batch), c.latent, generator=generator))
        g_loss = -self.critic(fake).mean()
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        # The critic's gap estimates the Wasserstein distance (in units of scale): it should fall.
        return {"critic_gap": float(np.mean(distances)), "penalty": float(np.mean(penalties))}

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        scale = self.module.scale
        return sliced_wasserstein(data / scale, self.sample_windows(VALIDATION_SAMPLES) / scale,
                                  self.training_generator("projections"))

    def sample_windows(self, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``count`` generated windows (count, window) in radians; by default from the training seed's
        "validation" stream, the same every call."""
        generator = generator or self.training_generator("validation")
        z = torch.randn(count, self.config.latent, generator=generator)
        with torch.no_grad():
            return self.angles(z)


def windows_of(sequences: list[np.ndarray], window: int, stride: int) -> np.ndarray:
    """Every window (N, window) starting at 0, stride, 2 stride, ... of each sequence that holds one."""
    parts = [np.lib.stride_tricks.sliding_window_view(np.asarray(s, dtype=np.float64), window)[::stride]
             for s in sequences if len(s) >= window]
    return np.concatenate(parts) if parts else np.zeros((0, window))


def sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, generator: torch.Generator, projections: int = PROJECTIONS,
                       axes: bool = True) -> float:
    """Mean over unit directions of W1 between the projections of a (N, d) and b (M, d).

    The directions are ``projections`` random ones (from ``generator``) and, with ``axes``,
    the d coordinate axes. W1 of two 1-D samples is the mean gap between their quantiles at
    QUANTILES evenly spaced levels, which allows N != M.
    """
    directions = torch.randn(a.shape[1], projections, generator=generator, dtype=torch.float64)
    directions /= directions.norm(dim=0, keepdim=True)  # (d, P)
    if axes:  # the coordinate axes too: single turns' own distribution, spike at 0 included
        directions = torch.cat([directions, torch.eye(a.shape[1], dtype=torch.float64)], dim=1)  # (d, P + d)
    levels = (torch.arange(QUANTILES, dtype=torch.float64) + 0.5) / QUANTILES  # (Q,)
    qa = torch.quantile(a.double() @ directions, levels, dim=0)  # (Q, P)
    qb = torch.quantile(b.double() @ directions, levels, dim=0)  # (Q, P)
    return float((qa - qb).abs().mean())


def turn_statistics(windows: np.ndarray, scale: float, bins: int = 24) -> dict[str, np.ndarray | float]:
    """Histogram of single turns over +-3 scale (edges clipped in), their std and lag-1 autocorrelation."""
    w = np.asarray(windows, dtype=np.float64)
    edges = np.linspace(-3 * scale, 3 * scale, bins + 1)
    hist = np.histogram(np.clip(w, edges[0], edges[-1]), edges)[0] / w.size
    centred = w - w.mean()
    lag1 = float((centred[:, 1:] * centred[:, :-1]).mean() / max(centred.var(), 1e-12))
    return {"hist": hist, "std": float(w.std()), "lag1": lag1}


def statistics_distance(a: np.ndarray, b: np.ndarray, scale: float) -> dict[str, float]:
    """How far apart two sets of windows are: histogram total variation, std ratio, lag-1 gap."""
    sa, sb = turn_statistics(a, scale), turn_statistics(b, scale)
    return {"histogram_tv": float(0.5 * np.abs(sa["hist"] - sb["hist"]).sum()),
            "std_ratio": float(sa["std"] / max(float(sb["std"]), 1e-12)),
            "lag1_gap": float(abs(sa["lag1"] - sb["lag1"]))}
