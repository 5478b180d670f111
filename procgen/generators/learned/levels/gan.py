"""level/gan: a convolutional generator of tile grids trained against a critic (WGAN-GP).

The generator is ``framed.FramedDecoder``: ``latent`` channels of noise z ~ Normal(0, I) on a
grid at a quarter of the canvas's resolution, one ``style`` vector per level fed to every
cell, and the canvas's edge maps (which tiles are the level's, which its BORDER frame;
``framed.py``) at every resolution, through residual 3x3 convolutions and two 2x sub-pixel
upsamplings to tile logits. A level of H x W tiles is drawn on its canvas (the level with
``frame`` BORDER tiles around it, rounded up to a multiple of 4) and the level's tiles are
kept, so any size is one pass. The edge maps let the generator put a wall frame where the
level ends and lay a level out from its edges inward; the style vector keeps a whole level
one look (a maze, a moat, a pillar hall) instead of a stationary mix of every look.

Why the frame. The generator before was a stationary process (valid convolutions, no
padding, a tile depending on a fixed patch of noise) trained against a critic on 16 x 16
windows cut inside levels: it never saw a level edge or more than a corner of a layout,
and drew a uniform speckle of wall, water and floor with no frame (docs/images/levels/).

Training is the Wasserstein GAN with gradient penalty (Gulrajani et al. 2017) on the
``window`` x ``window`` training windows cut from the levels framed with BORDER (a window
holds the level edge wherever it reaches one): the critic D (strided convolutions, no
normalisation, as the penalty asks) scores one-hot real windows (BORDER one channel more)
against generated ones. A fake window has the level shape of a real one: the generator
fills the real window's level tiles from its own noise, BORDER stays where it was, so
the critic judges how a level meets its edge, never where the edge is.
Each training batch is split into ``n_critic`` parts, one critic step per part minimising

    D(fake) - D(real) + gp_weight * (||grad D(x_hat)|| - 1)^2,   x_hat = e real + (1 - e) fake,

with e ~ U[0, 1] per window, then one generator step minimising -D(fake) on as many
fakes as one part (shaped as the first part's real windows). Every z, style and e comes
from the training loop's torch.Generator.
What the critic sees of a fake is set by ``fake_input``: the masked softmax, or
(default) straight-through one-hot tiles, argmax forward and the softmax's gradient
backward. With the softmax, the critic wins most of its gap by telling soft tiles from
one-hot ones (measured on vglc-rooms: a critic gap of ~6 that never falls, against ~2-3
straight-through, and a worse validation divergence at the same budget). Sampling takes
the argmax of the logits with spawn/goal marker tiles masked out (masked in training
too, so the critic never sees them), from a moving average of the generator's weights
(``average``), which smooths the orbiting of the adversarial game.

The model is implicit: there is no likelihood. Early stopping instead minimises
:func:`pattern_divergence`: the KL divergence between the 2x2 and 3x3 tile-pattern
histograms of the validation windows and of ``VALIDATION_SAMPLES`` generated windows of
the same size and level shapes (BORDER counted as a tile, so a missing frame costs),
decoded from one fixed noise batch seeded from the training seed, so every epoch's figure
is comparable.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from procgen.generators.config import GeneratorConfig, param
from procgen.generators.learned.levels.base import LearnedLevel, LearnedLevelConfig
from procgen.generators.learned.levels.framed import (SCALE, FramedDecoder, canvas, edge_maps, framed_setup,
                                                      level_logits_on_canvas, one_hot_framed)
from procgen.generators.registry import register

__all__ = ["GanLevel", "GanLevelConfig", "pattern_divergence", "pattern_histograms"]

VALIDATION_SAMPLES = 256  # generated windows per validation
PATTERN_SIZES = (2, 3)  # pattern sides compared by the validation divergence
EPSILON = 1e-6  # count added to every pattern seen in either set (as procgen.evaluate's pattern_kl)


@dataclass(frozen=True, kw_only=True)
class GanLevelConfig(LearnedLevelConfig):
    latent: int = param(16, "noise channels per cell of the noise grid (a quarter of the canvas's resolution)",
                        ge=1, le=512)
    style: int = param(16, "size of a per-level style vector fed to every cell (0: none): one "
                                "draw per level, so a level keeps one look instead of a stationary mix", ge=0, le=512)
    frame: int = param(4, "BORDER tiles around each level in the training windows and around the sampled "
                          "canvas, so the level edge is learned (see framed.py)", ge=0, le=64)
    window: int = param(32, "side of the square training windows cut from the framed corpus levels", ge=8,
                        le=128)
    channels: int = param(16, "generator width: channels at full resolution (2x at 1/2 and 1/4)",
                          ge=4, le=1024)
    critic_channels: int = param(32, "critic width: channels of its first convolution (then 2x, 2x)",
                                 ge=4, le=1024)
    n_critic: int = param(4, "critic steps per generator step (each batch is split into this many parts)",
                          ge=1, le=64)
    fake_input: str = param("straight-through", "what the critic sees of a generated window: its softmax, or "
                                       "straight-through one-hot tiles (argmax forward, softmax gradient)",
                            choices=("softmax", "straight-through"))
    average: float = param(0.99, "decay of the moving average of the generator's weights that samples "
                                 "(0: sample from the latest weights)", ge=0.0, lt=1.0)
    gp_weight: float = param(10.0, "weight of the critic's gradient penalty", ge=0.0, le=1e4)
    beta1: float = param(0.5, "Adam's first-moment decay for both networks (0.5 or 0 are the usual "
                              "WGAN-GP choices)", ge=0.0, lt=1.0)
    # Defaults for an adversarial game: a smaller learning rate, longer patience; batches of 80
    # windows of 32 x 32 (4 critic steps of 20): more generator steps in the time limit.
    lr: float = param(5e-4, "Adam learning rate (generator and critic)", gt=0.0, le=1.0)
    batch_size: int = param(80, "real windows per generator step (split among the n_critic critic steps; "
                                 "the generator step draws as many fakes as one part)",
                            ge=1, le=65_536)
    epochs: int = param(300, "most passes over the training windows", ge=1, le=10_000)
    patience: int = param(40, "stop after this many epochs without a better validation divergence", ge=1)
    max_minutes: float = param(10.0, "stop training after this many minutes", gt=0.0)


class GanNet(nn.Module):
    """The generator (noise grid, style, edge maps -> tile logits) and the critic (framed tile windows -> score)."""

    def __init__(self, c: GanLevelConfig) -> None:
        super().__init__()
        self.generator = FramedDecoder(c.tiles, c.channels, c.latent, c.style)
        # A moving average of the generator's weights: it samples (and is validated), smoothing
        # the step-to-step orbiting of the adversarial game. Saved with the weights.
        self.average = copy.deepcopy(self.generator).requires_grad_(False)
        self.register_buffer("steps", torch.zeros(1))  # (1,) generator steps taken: warms the average up
        k, w = c.window, c.critic_channels
        # 4x4 convolutions at stride 2 halve the window twice (k -> k/2 -> k/4; window is a
        # multiple of 4): every 3x3 tile pattern lies inside one first-layer patch.
        self.critic = nn.Sequential(
            nn.Conv2d(c.tiles + 1, w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(w, 2 * w, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * w, 2 * w, 3, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(2 * w * (k // 4) ** 2, 1),
        )


@register
class GanLevel(LearnedLevel):
    name = "level/gan"
    description = "WGAN-GP convolutional generator of tile levels from a spatial noise grid (implicit: no likelihood)"
    Config = GanLevelConfig
    config: GanLevelConfig
    module: GanNet

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        # The average starts as the generator (the base initialised the two apart).
        self.module.average.load_state_dict(self.module.generator.state_dict())

    def build(self) -> nn.Module:
        return GanNet(self.config)

    def training_setup(self, data: Any, params: dict[str, Any]) -> tuple["LearnedLevel", torch.Tensor,
                                                                          torch.Tensor]:
        """As :meth:`LearnedLevel.training_setup` (the same model), the windows cut from the levels
        framed with BORDER (``framed.py``), so a window may be larger than a bare level."""
        return framed_setup(self, super().training_setup, data, params)

    # ---- sampling ----------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator, height: int, width: int) -> dict[str, np.ndarray]:
        rows, cols = canvas(height, width, self.config.frame)
        z = rng.standard_normal((self.config.latent, rows // SCALE, cols // SCALE))  # (C, h, w)
        return {"z": z, "style": rng.standard_normal(self.config.style)}  # (S,)

    def logits(self, z: torch.Tensor, style: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """Tile logits (B, T, H', W'), markers masked, from noise grids z (B, C, H'/4, W'/4),
        style vectors (B, S) and framed grids ``ids`` (B, H', W') (BORDER outside the level)."""
        # Training steps the generator; everywhere else (eval mode) its moving average draws.
        network = self.module.generator if self.module.training else self.module.average
        return self.mask_logits(network(z, style, edge_maps(ids, self.config.tiles)), dim=1)

    def decode(self, noise: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
        logits = level_logits_on_canvas(lambda ids: self.logits(noise["z"][None], noise["style"][None], ids),
                                        height, width, self.config.frame, self.config.tiles)  # (T, H, W)
        return logits.argmax(dim=0)

    def _noise(self, count: int, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Noise grids (count, C, size/4, size/4) and style vectors (count, S) for windows of side ``size``."""
        n = -(-size // SCALE)
        z = torch.randn(count, self.config.latent, n, n, generator=generator)
        return z, torch.randn(count, self.config.style, generator=generator)

    def sample_windows(self, shapes: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Generated windows (N, k, k) of tile ids shaped as the framed windows ``shapes`` (N, k, k):
        the level's tiles drawn, BORDER where ``shapes`` has it; noise from ``generator``."""
        with torch.no_grad():
            z, style = self._noise(len(shapes), shapes.shape[-1], generator)
            drawn = self.logits(z, style, shapes).argmax(dim=1)
        return torch.where(shapes == self.config.tiles, shapes, drawn)

    # ---- training ----------------------------------------------------------------
    def make_optimizers(self) -> list[torch.optim.Optimizer]:
        # beta2 0.9: the WGAN-GP choice; little first-moment momentum keeps the game from orbiting.
        betas = (self.config.beta1, 0.9)
        return [torch.optim.Adam(self.module.generator.parameters(), lr=self.config.lr, betas=betas),
                torch.optim.Adam(self.module.critic.parameters(), lr=self.config.lr, betas=betas)]

    def _fakes(self, real: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Generated windows (n, T + 1, k, k) shaped as the framed real windows ``real`` (n, k, k)
        (their BORDER kept), as the critic sees them (``fake_input``), with the generator's graph attached."""
        z, style = self._noise(len(real), real.shape[-1], generator)
        soft = torch.softmax(self.logits(z, style, real), dim=1)  # (n, T, k, k)
        if self.config.fake_input == "straight-through":
            # The critic sees one-hot tiles, as real windows are, so it cannot score softness;
            # the generator's gradient flows through the softmax.
            hard = F.one_hot(soft.argmax(dim=1), self.config.tiles).permute(0, 3, 1, 2).to(soft.dtype)
            soft = hard + soft - soft.detach()
        outside = (real == self.config.tiles).to(soft.dtype)[:, None]  # (n, 1, k, k)
        return torch.cat([soft * (1 - outside), outside], dim=1)

    def _one_hot(self, batch: torch.Tensor) -> torch.Tensor:
        return one_hot_framed(batch, self.config.tiles).float()  # (B, T + 1, k, k)

    def _penalty(self, real: torch.Tensor, fake: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        e = torch.rand(len(real), 1, 1, 1, generator=generator)  # (N, 1, 1, 1)
        mixed = (e * real + (1 - e) * fake).requires_grad_(True)  # (N, T + 1, k, k): BORDER is a channel
        (grad,) = torch.autograd.grad(self.module.critic(mixed).sum(), mixed, create_graph=True)
        return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        g_opt, c_opt = optimizers
        c = self.config
        critic = self.module.critic
        gaps, penalties = [], []
        for part in batch.chunk(c.n_critic):  # part: (n, k, k) tile ids
            real = self._one_hot(part)
            with torch.no_grad():
                fake = self._fakes(part, generator)
            gap = critic(real).mean() - critic(fake).mean()
            penalty = self._penalty(real, fake, generator)
            c_opt.zero_grad()
            (c.gp_weight * penalty - gap).backward()
            c_opt.step()
            gaps.append(float(gap.detach()))
            penalties.append(float(penalty.detach()))
        # As many fakes as one critic step saw: the generator's step costs about one critic step.
        g_loss = -critic(self._fakes(batch.chunk(c.n_critic)[0], generator)).mean()
        g_opt.zero_grad()
        g_loss.backward()
        g_opt.step()
        self._update_average()
        # The critic's gap estimates the Wasserstein distance between the windows: it should fall.
        return {"critic_gap": float(np.mean(gaps)), "penalty": float(np.mean(penalties))}

    def _update_average(self) -> None:
        """Move the average towards the generator; early on faster ((1 + t) / (10 + t) caps the
        decay), so a short run's average is not dragged back to the initial weights."""
        steps = self.module.steps
        steps += 1
        decay = min(self.config.average, float((1 + steps) / (10 + steps)))
        with torch.no_grad():
            for avg, new in zip(self.module.average.parameters(), self.module.generator.parameters()):
                avg.lerp_(new, 1.0 - decay)

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        # A fixed noise batch (not the loop's generator): every epoch is scored on the same z.
        fixed = self.training_generator("validation")
        shapes = data[torch.arange(VALIDATION_SAMPLES) % len(data)]  # the validation windows' level shapes
        fake = self.sample_windows(shapes, fixed)
        return pattern_divergence(data.numpy(), fake.numpy(), self.config.tiles + 1)


def pattern_histograms(a: np.ndarray, b: np.ndarray, size: int, tiles: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised counts of every ``size`` x ``size`` tile pattern in windows a (N, k, k) and
    b (M, k, k), over the patterns seen in either, each smoothed by EPSILON."""
    weights = tiles ** np.arange(size * size, dtype=np.int64)  # base-`tiles` digits of a pattern id
    keys = [sliding_window_view(np.asarray(x, dtype=np.int64), (size, size), axis=(1, 2))
            .reshape(-1, size * size) @ weights for x in (a, b)]  # (N * patterns,), (M * patterns,)
    _, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    found = int(inverse.max()) + 1
    p = np.bincount(inverse[:len(keys[0])], minlength=found) + EPSILON
    q = np.bincount(inverse[len(keys[0]):], minlength=found) + EPSILON
    return p / p.sum(), q / q.sum()


def pattern_divergence(reference: np.ndarray, generated: np.ndarray, tiles: int,
                       sizes: tuple[int, ...] = PATTERN_SIZES) -> float:
    """Mean over ``sizes`` of KL(reference || generated) between tile-pattern histograms of
    windows (N, k, k) and (M, k, k): a pattern the generator never makes costs a lot."""
    kls = []
    for size in sizes:
        p, q = pattern_histograms(reference, generated, size, tiles)
        kls.append(max(float(np.sum(p * np.log(p / q))), 0.0))  # clip float round-off below 0
    return float(np.mean(kls))
