"""river/vae: a variational autoencoder over windows of turning angles.

A window x of ``window`` turns (in model space u = asinh(x / turn_scale), see
``windows.py``) has a ``latent``-dimensional code z ~ N(0, I). The decoder, an MLP, gives
each turn of the window a Gaussian p(u_i | z) = N(mean_i(z), sd_i(z)^2) with a learned
(per turn, z-dependent) variance; with ``spike`` (the default) that Gaussian is mixed with
a narrow one at 0, weight w_i(z), because 46% of the shipped data's turns are exactly 0
(a 2 km step running straight along one ~6 km source segment) and a single Gaussian can
neither score nor draw such straight runs. The encoder, an MLP, gives the Gaussian
posterior approximation q(z | x). Training maximises the ELBO

    log p(x) >= E_q[log p(x | z)] - KL(q(z | x) || p(z))

with the reparameterisation z = mu + sd * eps (eps from the training loop's generator)
and the KL in closed form.

Generation draws one prior z per window and decodes it without the decoder's per-turn
noise (``decoder_noise=false``, the default): each turn is its likelier component's centre
(0 or the mean). Those rivers keep a heading and bend like the data's, if smoother (their
turns spread less: 90th percentile 0.23 rad against the data's 0.69). With the noise
(``decoder_noise=true``, the model's own samples) the turn spread and share of straight
steps match the data's, but the noise is independent from turn to turn and heavy-tailed
after the asinh map, so rivers zig-zag and kink (1% of turns above 2.7 rad against the
data's 1.6) and look much less like rivers.

``log_prob`` has no closed form. It is the importance-weighted (IWAE) estimate

    log p(x) ~ log (1/K) sum_k p(x, z_k) / q(z_k | x),   z_k ~ q(z | x),

with K = ``iw_samples``: a lower bound in expectation (tighter than the ELBO, tending
to log p(x) as K grows), not an exact density. Its samples come from a generator seeded
with a fixed constant, so the same river always gets the same number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from procgen.generators.config import param
from procgen.generators.learned.windows import WindowConfig, WindowRiver, dequantized, scoring_windows
from procgen.generators.registry import register

LOG_2PI = math.log(2 * math.pi)
CHUNK = 4096  # windows per pass when scoring, to bound memory


@dataclass(frozen=True, kw_only=True)
class VAEConfig(WindowConfig):
    latent: int = param(32, "dimensions of each window's latent code z", ge=1, le=256)
    hidden: int = param(256, "units in each hidden layer of the encoder and decoder", ge=4, le=2048)
    min_sd: float = param(0.002, "asinh units: floor on the decoder's standard deviations and the spike's "
                                 "width (keeps the likelihood finite on noise-free data)", gt=0.0, le=1.0)
    spike: bool = param(False, "give each turn's Gaussian a second, narrow component at 0 (sd min_sd), "
                              "weighted by the decoder: the data's straight runs")
    decoder_noise: bool = param(False, "sample each turn with the decoder's own noise (true: the model's "
                                       "samples, but kinked) or as its likelier centre (false: smoother)")
    iw_samples: int = param(256, "importance samples K per window for log_prob's IWAE estimate", ge=1,
                            le=65_536)
    epochs: int = param(300, "most passes over the training data", ge=1, le=10_000)
    batch_size: int = param(256, "examples per optimisation step", ge=1, le=65_536)
    lr: float = param(2e-3, "Adam learning rate", gt=0.0, le=1.0)
    patience: int = param(20, "stop after this many epochs without a better validation loss", ge=1)
    max_minutes: float = param(7.5, "stop training after this many minutes", gt=0.0)


@dataclass(frozen=True)
class Decoded:
    """Each turn u_i ~ w_i N(0, spike_sd^2) + (1 - w_i) N(mean_i, sd_i^2), w_i = sigmoid(logit_i).

    Without a spike (``logit`` None) each turn is the Gaussian N(mean_i, sd_i^2) alone.
    """

    mean: torch.Tensor  # (..., W)
    sd: torch.Tensor  # (..., W)
    logit: torch.Tensor | None  # (..., W), or None without a spike
    spike_sd: float

    def log_pdf(self, u: torch.Tensor) -> torch.Tensor:
        """log p(u | z) (...,) summed over the window's turns."""
        slab = -0.5 * ((u - self.mean) / self.sd) ** 2 - torch.log(self.sd) - 0.5 * LOG_2PI
        if self.logit is None:
            return slab.sum(-1)
        spike = -0.5 * (u / self.spike_sd) ** 2 - math.log(self.spike_sd) - 0.5 * LOG_2PI
        log_w, log_not_w = nn.functional.logsigmoid(self.logit), nn.functional.logsigmoid(-self.logit)
        return torch.logaddexp(log_w + spike, log_not_w + slab).sum(-1)

    def sample(self, eps: torch.Tensor, pick: torch.Tensor) -> torch.Tensor:
        """u (..., W) from standard normals eps and uniforms pick (..., W) each."""
        slab = self.mean + self.sd * eps
        if self.logit is None:
            return slab
        return torch.where(pick < torch.sigmoid(self.logit), self.spike_sd * eps, slab)

    def mode(self) -> torch.Tensor:
        """u (..., W) without noise: 0 where the spike is the likelier component, else the mean."""
        if self.logit is None:
            return self.mean
        return torch.where(self.logit > 0, torch.zeros_like(self.mean), self.mean)


class WindowVAE(nn.Module):
    """Encoder x (N, W) -> q(z | x); decoder z (N, D) -> p(x | z); both two-hidden-layer MLPs."""

    def __init__(self, window: int, latent: int, hidden: int, spike: bool) -> None:
        super().__init__()
        self.spike = spike
        self.encoder = nn.Sequential(nn.Linear(window, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                     nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                     nn.Linear(hidden, (3 if spike else 2) * window))

    def encode(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log standard deviation, each (N, D), of windows u (N, W)."""
        mu, log_sd = self.encoder(u).chunk(2, dim=-1)
        return mu, log_sd.clamp(-9.0, 4.0)  # keeps exp() finite early in training

    def decode(self, z: torch.Tensor, min_sd: float) -> Decoded:
        """p(u | z) of codes z (..., D): each turn's mean, sd and spike logit (..., W)."""
        parts = self.decoder(z).chunk(3 if self.spike else 2, dim=-1)
        sd = min_sd + nn.functional.softplus(parts[1])
        return Decoded(parts[0], sd, parts[2] if self.spike else None, min_sd)


@register
class VAERiver(WindowRiver):
    name = "river/vae"
    description = "a variational autoencoder over 64-turn windows of real rivers' turning angles"
    Config = VAEConfig
    config: VAEConfig
    explicit = True  # log_prob is an IWAE estimate (module docstring)

    def build(self) -> nn.Module:
        c = self.config
        return WindowVAE(c.window, c.latent, c.hidden, c.spike)

    # ---- sampling ----------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        n, c = self.windows_per_river, self.config
        # Every draw always happens (fixed shapes), whatever decoder_noise and spike say.
        return {"z": rng.standard_normal((n, c.latent)),  # (n, D) prior codes
                "eps": rng.standard_normal((n, c.window)),  # (n, W) decoder noise
                "pick": rng.random((n, c.window))}  # (n, W) spike or not

    def decode(self, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        decoded = self.module.decode(noise["z"], self.config.min_sd)  # (B, n, W) per turn
        u = decoded.sample(noise["eps"], noise["pick"]) if self.config.decoder_noise else decoded.mode()
        return self.joined(u)  # (B, steps)

    # ---- objective ---------------------------------------------------------------
    def _neg_elbo(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """(N,) negative ELBO in nats of windows x (N, W) in radians, one reparameterised sample."""
        u, log_det = self.latent(x)  # (N, W), (N,)
        mu, log_sd = self.module.encode(u)  # (N, D) each
        z = mu + log_sd.exp() * torch.randn(mu.shape, generator=generator)  # (N, D)
        decoded = self.module.decode(z, self.config.min_sd)  # (N, W) per turn
        kl = 0.5 * (mu ** 2 + (2 * log_sd).exp() - 1 - 2 * log_sd).sum(-1)  # (N,) KL(q || N(0, I))
        return -(decoded.log_pdf(u) + log_det) + kl

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        (optimizer,) = optimizers
        optimizer.zero_grad()
        x = dequantized(batch, self.config.dequantize, generator)  # (N, W)
        loss = self._neg_elbo(x, generator).mean() / self.config.window  # nats per turn
        loss.backward()
        optimizer.step()
        return {"neg_elbo": float(loss.detach())}

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        """Mean negative ELBO per turn (nats); the same noise every epoch, so epochs compare fairly."""
        fixed = self.training_generator("validation")
        with torch.no_grad():
            total = sum(float(self._neg_elbo(chunk, fixed).double().sum()) for chunk in data.split(CHUNK))
        return total / (len(data) * self.config.window)

    # ---- likelihood --------------------------------------------------------------
    def iwae(self, x: torch.Tensor, samples: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """IWAE estimate and the same samples' ELBO estimate, each (N,) nats, of windows x (N, W) radians.

        The second is mean_k log w_k, so the first (log mean_k w_k) is never below it (Jensen).
        """
        u, log_det = self.latent(x)  # (N, W), (N,)
        mu, log_sd = self.module.encode(u)  # (N, D) each
        eps = torch.randn((samples,) + tuple(mu.shape), generator=generator)  # (K, N, D)
        z = mu + log_sd.exp() * eps  # (K, N, D)
        decoded = self.module.decode(z, self.config.min_sd)  # (K, N, W) per turn
        log_q = (-0.5 * eps ** 2 - log_sd - 0.5 * LOG_2PI).sum(-1)  # (K, N)
        log_prior = (-0.5 * z ** 2 - 0.5 * LOG_2PI).sum(-1)  # (K, N)
        log_w = (decoded.log_pdf(u) + log_prior - log_q).double() + log_det.double()  # (K, N)
        return torch.logsumexp(log_w, dim=0) - math.log(samples), log_w.mean(0)

    def log_prob_turns(self, turns: np.ndarray) -> float:
        """IWAE estimate (nats) summed over the complete windows; deterministic (the same samples each call)."""
        x = scoring_windows(turns, self.config.window)  # (n, W)
        generator = self.training_generator("score")
        per_chunk = max(1, CHUNK // self.config.iw_samples)
        return float(sum(self.iwae(chunk, self.config.iw_samples, generator)[0].sum()
                         for chunk in x.split(per_chunk)))
