"""level/vae: a convolutional variational autoencoder over one-hot tile grids.

Model. A level x (H x W tile ids) is drawn on its *canvas* (``framed.py``): the level with
``frame`` BORDER tiles around it, rounded up to a multiple of 4, and two edge maps that say
which canvas tiles are the level's. It has a *spatial* latent code z, ``latent`` channels
on a grid of cells a quarter of the canvas's resolution, each cell N(0, 1) a priori, and a
*level latent* g, ``level_latent`` numbers N(0, 1) for the whole level. The decoder
p(x | z, g), a convolutional network that reads the edge maps at every resolution and
upsamples twice by sub-pixel convolution, gives every level tile its own categorical
distribution (logits over the tileset, spawn/goal markers impossible); tiles are
independent given z and g, so every bit of structure a level has must pass through them.
The encoder q(z, g | x), a convolutional network that downsamples twice, gives each latent
cell a diagonal Gaussian and pools the whole window into g's. Training maximises the
evidence lower bound (ELBO) on k x k windows cut from the levels framed with BORDER

    log p(x) >= E_q[log p(x | z, g)] - KL(q(z | x) || p(z)) - KL(q(g | x) || p(g))

(the reconstruction term over the window's level tiles; BORDER is given, not scored) with
one reparameterised sample of each (noise from the training loop's generator) and the KLs
in closed form. Both networks are fully convolutional, so a level of any size is one
decode of a noise grid over its canvas and one g; the level's tiles are kept.

Why the frame. Windows cut inside levels (``frame = 0``, the model before) never show
where a level ends: the convolutions' zero padding at a window's cut edge looks like the
level edge, and 16 x 16 windows of 24 x 40 levels hold too little of one for its layout to
be learned; prior samples were blobs of wall and water with no frame. Windows of framed
levels show the edge wherever they reach it (the edge maps tell a cut edge, zero in both,
from the level edge), so samples get the corpus's wall frame, and g keeps a level one kind
(a moat, a cave, a pillar hall). Nearest-neighbour upsampling copied a latent cell to its
4 x 4 tiles, which could not draw a pattern finer than a cell (a maze reconstructed as
solid wall); sub-pixel convolution gives each position its own weights.

The prior hole. A VAE whose posteriors cover only part of the prior decodes prior samples
into things no training window looks like. Two knobs trade reconstruction against that:
``kl_weight`` (beta: above 1 pushes posteriors onto the prior) and ``free_bits`` (nats per
latent channel and cell, batch mean, the KL is not pressed below; keeps channels in use).
Framed, on vglc-rooms (the 16 training levels fit in 30-45 epochs, then validation rises):
beta = 1 reconstructed a pillar hall as an empty room and a maze as stripes, and its mode
samples had a tile-pattern KL of 0.41x the independent-tiles baseline; beta = 0.5 (the
default) reconstructs the pillars, 0.39x. (Unframed, the model before: 0.36x with beta = 1.)

Sampling. ``temperature = 0`` takes each tile's most likely id given the prior z and g (the
decoder's mode): where the decoder is unsure (which tile of a pillar hall is a pillar) that
is the commoner tile, so such levels come out as empty framed rooms. ``temperature > 0``
samples each tile from softmax(logits / temperature) by inverse CDF with the uniforms
``draw_noise`` took; the default 0.5 keeps the frame and a level's layout and draws the
detail the mode drops (vglc-rooms, 100 seeds: pattern KL 0.29x the baseline against 0.39x
at the mode; the unframed model went from 0.36x to 0.26x at the same 0.5).

Generate and test. The model knows nothing of spawn and goal, and a wall or river drawn
across a level cuts it; the base's ``draws`` keeps the first of several draws per seed that
can be crossed (see ``base.py``); ``draws = 1`` gives the model's first draw alone.

Density. :meth:`VAELevel.elbo` is the ELBO of a whole level in nats (markers replaced by
the floor tile the model was trained with; framed: on its canvas), averaged over
``elbo_samples`` posterior samples from a fixed seed: a lower bound on log p(level), the
same number on every call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from procgen.content import TileMap
from procgen.errors import ContentError
from procgen.generators.config import param
from procgen.generators.learned.core import one_thread
from procgen.generators.learned.levels.base import LearnedLevel, LearnedLevelConfig
from procgen.generators.learned.levels.framed import (SCALE, canvas, canvas_ids, edge_maps, framed_setup,
                                                      level_logits_on_canvas, one_hot_framed)
from procgen.generators.learned.levels.vae_net import FramedTileVAE, TileVAE
from procgen.generators.registry import register
from procgen.levels.endpoints import strip_markers

CHUNK = 512  # windows per pass when validating, to bound memory


@dataclass(frozen=True, kw_only=True)
class VAELevelConfig(LearnedLevelConfig):
    latent: int = param(8, "channels of the latent grid (one latent cell per 4 x 4 tiles)", ge=1, le=128)
    channels: int = param(24, "feature channels at full resolution (twice as many at 1/2 and 1/4)", ge=4, le=256)
    kl_weight: float = param(1.0, "beta: weight of the KL term in the training loss (1 = the ELBO)", ge=0.0,
                             le=100.0)
    free_bits: float = param(0.0, "nats per latent channel and cell (batch mean) the KL is not pressed below",
                             ge=0.0, le=10.0)
    temperature: float = param(0.0, "0: each tile is the decoder's most likely one; > 0: tiles are sampled "
                                    "from softmax(logits / temperature)", ge=0.0, le=10.0)
    elbo_samples: int = param(16, "posterior samples averaged by elbo()", ge=1, le=4096)
    epochs: int = param(60, "most passes over the training windows", ge=1, le=10_000)
    max_minutes: float = param(5.0, "stop training after this many minutes", gt=0.0)


@dataclass(frozen=True, kw_only=True)
class FramedVAEConfig(VAELevelConfig):
    """level/vae's options: the tile VAE's (level/conditional's too) and the frame (``framed``)."""

    frame: int = param(4, "BORDER tiles around each level in the training windows and around the sampled "
                          "canvas, so the level edge is learned (see framed.py); 0 = windows cut inside "
                          "levels, no level edge and no level latent", ge=0, le=64)
    level_latent: int = param(16, "dimensions of the level latent: one vector per level, fed to every cell "
                                  "(frame > 0 only)", ge=0, le=256)
    window: int = param(32, "side of the square training windows cut from the framed corpus levels", ge=8,
                        le=128)
    kl_weight: float = param(0.5, "beta: weight of the KL terms in the training loss (1 = the ELBO)", ge=0.0,
                             le=100.0)
    temperature: float = param(0.5, "0: each tile is the decoder's most likely one; > 0: tiles are sampled "
                                    "from softmax(logits / temperature)", ge=0.0, le=10.0)
    patience: int = param(12, "stop after this many epochs without a better validation loss", ge=1)
    max_minutes: float = param(8.0, "stop training after this many minutes", gt=0.0)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "FramedVAEConfig":
        # A folder saved before the framed network (procgen 0.1) has no "frame": its weights
        # are the unframed network's, so it loads as frame = 0 rather than failing to fit.
        if isinstance(data, dict) and "frame" not in data:
            data = {**data, "frame": 0}
        return super().from_dict(data)


def latent_shape(height: int, width: int) -> tuple[int, int]:
    """The latent grid of a height x width level: ceil(H/4) x ceil(W/4) cells."""
    return -(-height // SCALE), -(-width // SCALE)


def pick_tiles(logits: torch.Tensor, uniforms: torch.Tensor, temperature: float) -> torch.Tensor:
    """Tile ids (H, W) from logits (T, H, W): the argmax, or inverse-CDF draws from
    softmax(logits / temperature) with ``uniforms`` (H, W) in [0, 1)."""
    best = logits.argmax(dim=0)  # (H, W)
    if temperature <= 0:
        return best
    cdf = torch.softmax(logits / temperature, dim=0).cumsum(dim=0)  # (T, H, W)
    # The first tile whose CDF passes u; a tile with probability 0 (a marker) can never be it.
    drawn = (cdf <= uniforms[None]).sum(dim=0)  # (H, W)
    return torch.where(drawn < logits.shape[0], drawn, best)  # float round-off at the top: the mode


def gaussian_kl(mu: torch.Tensor, log_sd: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sd^2) || N(0, 1)) per element, nats."""
    return 0.5 * (mu ** 2 + (2 * log_sd).exp() - 1 - 2 * log_sd)


@register
class VAELevel(LearnedLevel):
    name = "level/vae"
    description = ("a convolutional variational autoencoder over one-hot tiles with a spatial latent grid; "
                   "a level of any size is one decode of a grid of prior noise")
    Config = FramedVAEConfig
    config: VAELevelConfig

    @property
    def framed(self) -> bool:
        """Whether the model reads the level edge (``FramedVAEConfig.frame`` > 0)."""
        return getattr(self.config, "frame", 0) > 0

    def conditions(self) -> int:
        """Condition maps the networks take (0: unconditional; level/conditional overrides)."""
        return 0

    def build(self) -> nn.Module:
        c = self.config
        if self.framed:
            return FramedTileVAE(c.tiles, c.channels, c.latent, c.level_latent,  # type: ignore[attr-defined]
                                 self.conditions())
        return TileVAE(c.tiles, self.conditions(), c.channels, c.latent)

    # ---- sampling ---------------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator, height: int, width: int) -> dict[str, np.ndarray]:
        # Every draw always happens (fixed shapes), whatever the temperature.
        if self.framed:
            rows, cols = canvas(height, width, self.config.frame)  # type: ignore[attr-defined]
            return {"z": rng.standard_normal((self.config.latent, rows // SCALE, cols // SCALE)),  # (Cz, h, w)
                    "g": rng.standard_normal(self.config.level_latent),  # type: ignore[attr-defined]  # (G,)
                    "u": rng.random((height, width))}  # (H, W) per-tile uniforms
        rows, cols = latent_shape(height, width)
        return {"z": rng.standard_normal((self.config.latent, rows, cols)),  # (Cz, h, w) prior
                "u": rng.random((height, width))}  # (H, W) per-tile uniforms

    def level_logits(self, z: torch.Tensor, height: int, width: int,
                     condition: torch.Tensor | None = None) -> torch.Tensor:
        """Masked tile logits (B, T, height, width) of codes z (B, Cz, h, w) (the unframed model)."""
        logits = self.module.decoder(z, condition)[:, :, :height, :width]  # crop (B, T, H, W)
        return self.mask_logits(logits, dim=1)

    def framed_logits(self, z: torch.Tensor, g: torch.Tensor, ids: torch.Tensor,
                      condition: torch.Tensor | None = None) -> torch.Tensor:
        """Masked tile logits (B, T, H', W') of codes z (B, Cz, H'/4, W'/4), g (B, G) and the
        condition (B, K) (None: unconditional) on framed grids ``ids`` (B, H', W') (BORDER =
        ``tiles`` outside the level)."""
        level = g if condition is None else torch.cat([g, condition.to(g.dtype)], dim=1)  # (B, G + K)
        return self.mask_logits(self.module.decoder(z, level, edge_maps(ids, self.config.tiles)), dim=1)

    def noise_condition(self, noise: dict[str, torch.Tensor]) -> torch.Tensor | None:
        """The condition (1, K) one level's noise asks for; None for the unconditional VAE."""
        return None

    def decode(self, noise: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
        if self.framed:
            condition = self.noise_condition(noise)
            logits = level_logits_on_canvas(lambda ids: self.framed_logits(noise["z"][None], noise["g"][None], ids,
                                                                           condition),
                                            height, width, self.config.frame,  # type: ignore[attr-defined]
                                            self.config.tiles)  # (T, H, W)
            return pick_tiles(logits, noise["u"], self.config.temperature)
        logits = self.level_logits(noise["z"][None], height, width, self.noise_condition(noise))[0]  # (T, H, W)
        return pick_tiles(logits, noise["u"], self.config.temperature)

    # ---- objective --------------------------------------------------------------------
    def training_setup(self, data: Any, params: dict[str, Any]) -> tuple["LearnedLevel", torch.Tensor,
                                                                          torch.Tensor]:
        """As :meth:`LearnedLevel.training_setup`; a framed model's windows are cut from the levels
        framed with BORDER (``framed.py``), so a window may be larger than a bare level."""
        if not params.get("frame", getattr(self.config, "frame", 0)):
            return super().training_setup(data, params)
        return framed_setup(self, super().training_setup, data, params)

    def window_conditions(self, x: torch.Tensor) -> torch.Tensor | None:
        """The condition (B, K) of windows x (B, k, k); None for the unconditional VAE."""
        return None

    def elbo_terms(self, x: torch.Tensor, generator: torch.Generator, samples: int = 1
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """-log p(x | z) (S, B) nats for ``samples`` posterior draws (framed: over the level's
        tiles, BORDER unscored), the KL per latent cell (B, Cz, h, w) and of the level latent (B, G)."""
        if self.framed:
            return self._framed_terms(x, generator, samples)
        condition = self.window_conditions(x)
        b, height, width = x.shape
        one_hot = F.one_hot(x, self.config.tiles).permute(0, 3, 1, 2).float()  # (B, T, H, W)
        mu, log_sd = self.module.encoder(one_hot, condition)  # (B, Cz, h, w) each
        eps = torch.randn((samples,) + tuple(mu.shape), generator=generator)  # (S, B, Cz, h, w)
        z = (mu + log_sd.exp() * eps).flatten(0, 1)  # (S*B, Cz, h, w)
        repeated = None if condition is None else condition.repeat(samples, 1)  # (S*B, K)
        logits = self.level_logits(z, height, width, repeated)  # (S*B, T, H, W)
        nll = F.cross_entropy(logits, x.repeat(samples, 1, 1), reduction="none")  # (S*B, H, W)
        return nll.sum(dim=(1, 2)).reshape(samples, b), gaussian_kl(mu, log_sd), mu.new_zeros((b, 0))

    def _framed_terms(self, x: torch.Tensor, generator: torch.Generator, samples: int
                      ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        t, b = self.config.tiles, x.shape[0]
        condition = self.window_conditions(x)  # (B, K) or None
        mu, log_sd, g_mu, g_log_sd = self.module.encoder(one_hot_framed(x, t))
        eps = torch.randn((samples,) + tuple(mu.shape), generator=generator)  # (S, B, Cz, h, w)
        eps_g = torch.randn((samples,) + tuple(g_mu.shape), generator=generator)  # (S, B, G)
        z = (mu + log_sd.exp() * eps).flatten(0, 1)  # (S*B, Cz, h, w)
        g = (g_mu + g_log_sd.exp() * eps_g).flatten(0, 1)  # (S*B, G)
        ids = x.repeat(samples, 1, 1)  # (S*B, k, k)
        logits = self.framed_logits(z, g, ids, None if condition is None else condition.repeat(samples, 1))
        nll = F.cross_entropy(logits, ids.masked_fill(ids == t, -1), reduction="none", ignore_index=-1)
        return nll.sum(dim=(1, 2)).reshape(samples, b), gaussian_kl(mu, log_sd), gaussian_kl(g_mu, g_log_sd)

    def scored_tiles(self, x: torch.Tensor) -> torch.Tensor:
        """(B,) tiles the likelihood scores in each window x (B, k, k): all, or (framed) the level's."""
        if self.framed:
            return (x < self.config.tiles).sum(dim=(1, 2)).clamp_min(1)
        return torch.full((x.shape[0],), x.shape[1] * x.shape[2])

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        (optimizer,) = optimizers
        c = self.config
        optimizer.zero_grad()
        nll, kl, kl_level = self.elbo_terms(batch, generator)  # (1, B), (B, Cz, h, w), (B, G)
        cells = kl.shape[2] * kl.shape[3]
        # Free bits: each channel's batch-mean KL per cell is charged at least free_bits.
        per_channel = kl.mean(dim=(0, 2, 3))  # (Cz,)
        penalty = per_channel.clamp(min=c.free_bits).sum() * cells  # nats per window
        if kl_level.shape[1]:
            penalty = penalty + kl_level.mean(dim=0).clamp(min=c.free_bits).sum()
        tiles = float(self.scored_tiles(batch).double().mean())
        loss = (nll.mean() + c.kl_weight * penalty) / tiles  # per tile
        loss.backward()
        optimizer.step()
        return {"loss": float(loss.detach()), "nll": float(nll.detach().mean()) / tiles,
                "kl": float(kl.detach().sum(dim=(1, 2, 3)).mean() + kl_level.detach().sum(dim=1).mean()) / tiles}

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        """Mean negative ELBO per scored tile (nats); the same noise every epoch, so epochs compare fairly."""
        fixed = self.training_generator("validation")
        total = 0.0
        with torch.no_grad():
            for chunk in data.split(CHUNK):
                nll, kl, kl_level = self.elbo_terms(chunk, fixed)
                total += float(nll.double().sum() + kl.double().sum() + kl_level.double().sum())
        return total / float(self.scored_tiles(data).double().sum())

    def prepare(self, train_x: torch.Tensor) -> None:
        t = self.config.tiles
        counts = torch.bincount(train_x.flatten(), minlength=t)[:t]  # (T,): BORDER not counted
        walkable = torch.tensor([t.walkable for t in self.tileset]) & ~self.blocked
        if walkable.any():  # what elbo() writes where a level has spawn/goal markers
            self.extras["floor"] = np.array([int(torch.where(walkable, counts + 1, -1).argmax())])

    # ---- density ----------------------------------------------------------------------
    def floor(self) -> int:
        """The tile spawn/goal markers stand on (fitted; else the first walkable non-marker tile)."""
        if "floor" in self.extras:
            return int(self.extras["floor"][0])
        usable = [i for i, t in enumerate(self.tileset) if t.walkable and not bool(self.blocked[i])]
        return usable[0] if usable else 0

    def level_ids(self, level: TileMap) -> torch.Tensor:
        """``level``'s tile ids (H, W) int64 with markers replaced by the floor; checks the tileset."""
        if not isinstance(level, TileMap):
            raise ContentError(f"expected a TileMap level, got {type(level).__name__}")
        if tuple(level.tileset) != tuple(self.tileset):
            raise ContentError(f"the level's tileset ({''.join(t.char for t in level.tileset)}) is not the one "
                               f"{self.name} was trained on ({''.join(t.char for t in self.tileset)})")
        grid = strip_markers(level.tiles, self.tileset, self.legend, self.floor())
        return torch.from_numpy(grid.astype(np.int64))

    def elbo(self, level: TileMap) -> float:
        """ELBO of ``level`` in nats (a lower bound on log p(level)), averaged over
        ``elbo_samples`` posterior draws, the same on every call; deterministic. A framed
        model scores the level on its sampling canvas (the level with its frame of BORDER)."""
        x = self.level_ids(level)  # (H, W)
        if self.framed:
            h, w, f = x.shape[0], x.shape[1], self.config.frame  # type: ignore[attr-defined]
            ids = canvas_ids(h, w, f, self.config.tiles)
            ids[f:f + h, f:f + w] = x
            x = ids
        generator = self.training_generator("score")
        with torch.no_grad(), one_thread():
            nll, kl, kl_level = self.elbo_terms(x[None], generator, self.config.elbo_samples)
        value = -float(nll.double().mean()) - float(kl.double().sum()) - float(kl_level.double().sum())
        return value if math.isfinite(value) else -math.inf
