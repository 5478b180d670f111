"""river/gru: an autoregressive GRU over turning angles with a mixture density per turn.

Model. A river is its sequence of turning angles y_1..y_n (radians, in (-pi, pi], at the
model's ``step_length``). A GRU reads the previous turn (and, when conditioned, the
requested sinuosity and where the river has got to) and outputs a K-component *wrapped*
Gaussian mixture over the next turn:

    p(y_t | y_<t, c) = sum_k w_k sum_{j=-2..2} N(y_t + 2 pi j; mu_k, sigma_k**2)

with mu_k in (-pi, pi) and sigma_k in [SIGMA_MIN, SIGMA_MAX] radians. The mixture lives on
the circle, where turning angles live, so it is a proper density over (-pi, pi] (five
2 pi shifts leave out less than e**-30 of the mass for sigma <= 1.5 rad) and sampling is
just ``wrap(mu_k + sigma_k * z)``. The first turn is predicted from a learned start state
(and the first input, which carries the condition); log p(y) is the sum of the per-step
log densities, exactly.

Straight runs and dequantization. 46% of the shipped data's turns are exactly 0 (a 2 km
step running along a 5.7 km source segment), and every turn is rounded. A continuous
density could earn unbounded nats by stacking mass on those values, so training adds
U(-DEQUANT/2, DEQUANT/2) noise to every turn (DEQUANT = 0.01 rad, the resolution
``procgen.evaluate.heldout_nll`` jitters held-out turns by), and component 0 is fixed at
"straight on": mean 0 and sd SIGMA_MIN = DEQUANT / sqrt(12), the sd of that noise, which
is also the floor of every component's sd. A fixed component learns the straight runs at
once where free ones chase them unstably.

Condition. The sinuosity of a river of n turns is its path length over the straight
distance between its ends, (n + 1) steps / |end - start|. Training windows are
conditioned on their own sinuosity, fed as log(s - 1) (normalised) and 1/s, together
with the share and number of steps left and the walk's current heading and position, so
the network can steer towards the requested end-to-end distance. Those features are
functions of the turns already taken, so the model stays an exact autoregressive density.
Windows are random crops (32 turns up to ``window``) of the training rivers, so the
condition is learnt for every river length in that range.

- A *null* condition (a flag, every condition feature zero) is trained on 20% of the
  windows (condition dropout, as in classifier-free guidance, drawn from the training
  generator). :meth:`GruRiver.log_prob_turns` uses it: it is the *unconditional*
  log p(turns), a true density comparable with river/coinflip and river/meander.
- ``sinuosity = 0`` (the default) draws a condition from the sinuosity distribution of
  the training rivers' windows of about ``steps`` turns (stored quantiles at four window
  lengths, interpolated in log length; inverse CDF with the seed's own uniform), then
  samples conditionally on it.
- Selection: ``candidates`` rivers are drawn per seed, all from that seed's own noise, and
  the one whose sinuosity over the generated ``steps`` turns is closest (relative error)
  to the condition is kept: a cheap, deterministic rejection step. The conditioning alone
  steers the median well but leaves a wide spread; 8 draws (the default when a
  sinuosity is asked for) put >= 80% of rivers within 10% of the request. Samples are
  then no longer exact draws from the model's conditional density, and log_prob does not
  account for the selection. Unconditional sampling draws once (``candidates = 0``).
- Sampling runs in blocks of BLOCK_ROWS rows (seeds x draws): 512 seeds per block
  unconditionally, 64 with 8 draws.

Training mirrors windows (negates every turn) at random, so left and right bends are
learnt alike, and runs on one thread: small recurrent ops gain nothing from a second one
and the result is then the same on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from procgen.errors import ParameterError
from procgen.generators.config import param
from procgen.generators.learned.base import LearnedRiver, LearnedRiverConfig
from procgen.generators.learned.core import TURN_GRID, init_parameters, quantized_tensor
from procgen.generators.registry import register

__all__ = ["GruConfig", "GruRiver", "sinuosity_of_turns"]

DEQUANT = 0.01  # radians: turns are known to this resolution (procgen.evaluate's DEFAULT_RESOLUTION)
SIGMA_MIN = DEQUANT / math.sqrt(12)  # radians: the sd of U(-DEQUANT/2, DEQUANT/2) noise
SIGMA_MAX = 1.5  # radians: five 2 pi shifts then hold the wrapped density to float32 precision
SIN_MAX = 50.0  # sinuosity is clipped here (a window that nearly closes a loop)
SIN_EPS = 1e-4  # log(s - 1 + eps): finite for a perfectly straight window
NULL_RATE = 0.2  # share of training windows that get the null (unconditional) condition
MIN_CROP = 32  # shortest training crop, in turns
AUTO_CANDIDATES = 8  # draws per seed when a sinuosity is requested and candidates is 0
BLOCK_ROWS = 512  # rows of one sampling block (seeds x draws): fixed per config, so batch-invariant
QUANTILES = 101  # levels 0, 0.01, ..., 1 of the stored sinuosity distributions
LENGTHS = 4  # window lengths with stored quantiles: window, window / 2, window / 4, window / 8
FEATURES = 11  # prev turn, null flag, condition (2), steps left (2), geometry (5)
LOG_2PI = math.log(2 * math.pi)
_SHIFTS = 2 * math.pi * torch.arange(-2, 3, dtype=torch.float32)  # (5,)
_QUARTER = torch.tensor([0.0, -math.pi / 2, 0.0, -math.pi / 2])  # cos(a - pi/2) = sin(a)


@dataclass(frozen=True, kw_only=True)
class GruConfig(LearnedRiverConfig):
    # The shipped model's step (set by fit from the data), so its config is the defaults.
    step_length: float = param(2.0, "length of one step in world units (km for the shipped rivers); set by fit",
                               gt=0.0)
    # Defaults that train on the shipped rivers in about 6.5 minutes on 2 busy cores.
    batch_size: int = param(64, "examples per optimisation step", ge=1, le=65_536)
    max_minutes: float = param(7.5, "stop training after this many minutes", gt=0.0)
    hidden: int = param(64, "GRU units per layer", ge=4, le=512)
    layers: int = param(1, "stacked GRU layers", ge=1, le=2)
    components: int = param(6, "wrapped-Gaussian components of the density over each turn, the first "
                                 "fixed at straight on (mean 0, sd SIGMA_MIN)", ge=2, le=32)
    window: int = param(256, "longest training window in turns; sinuosity control is learnt for rivers "
                             "of 32 up to this many turns", ge=MIN_CROP, le=4096)
    sinuosity: float = param(0.0, "requested path length / straight end-to-end distance of the river "
                                  "(> 1; 0 = draw one like the training data's)", ge=0.0, le=SIN_MAX)
    candidates: int = param(0, "rivers drawn per seed, the one closest to the sinuosity kept (1 = plain "
                               "sampling; 0 = 1 unconditionally, AUTO_CANDIDATES when a sinuosity is asked for)",
                            ge=0, le=64)
    temperature: float = param(1.0, "scale of each mixture component's spread (< 1 calmer, > 1 wilder)",
                               gt=0.0, le=4.0)

    @property
    def draws(self) -> int:
        """Rivers drawn per seed (``candidates`` with 0 resolved)."""
        if self.candidates:
            return self.candidates
        return AUTO_CANDIDATES if self.sinuosity > 0.0 else 1

    def validate(self) -> None:
        if 0.0 < self.sinuosity <= 1.0:
            raise ParameterError(f"parameter sinuosity must be 0 (unconditional) or > 1 (a river is never "
                                 f"shorter than the distance between its ends), got {self.sinuosity!r}")


class _Net(nn.Module):
    """GRU + mixture head; buffers hold the data statistics the features and sampler need."""

    def __init__(self, hidden: int, layers: int, components: int) -> None:
        super().__init__()
        self.gru = nn.GRU(FEATURES, hidden, num_layers=layers, batch_first=True)
        self.start = nn.Parameter(torch.zeros(layers, hidden))  # learned initial state
        self.head = nn.Linear(hidden, 3 * components)  # one layer: the sampler's cost is per op and step
        # [turn sd, mean and sd of log(s - 1 + eps)] of the training windows; set by training_data.
        self.register_buffer("stats", torch.tensor([0.3, 0.0, 1.0]))
        # (LENGTHS, QUANTILES) quantiles of log(s - 1 + eps) of windows of lengths window / 2**i.
        self.register_buffer("quantiles", torch.linspace(-3.0, 1.0, QUANTILES).repeat(LENGTHS, 1))

        # 1 for free components, 0 for component 0: "straight on", fixed at mean 0 and sd SIGMA_MIN.
        self.register_buffer("free", (torch.arange(components) > 0).float(), persistent=False)

    def mixture(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(log weights, means, sds), each (..., K), from GRU outputs (..., hidden)."""
        logits, mu, rho = self.head(out).chunk(3, dim=-1)
        return torch.log_softmax(logits, -1), mean_of(mu, self.free), sd_of(rho, self.free)


def mean_of(raw: torch.Tensor, free: torch.Tensor | float) -> torch.Tensor:
    """Component means in (-pi, pi) from raw head outputs; 0 where ``free`` is 0."""
    return math.pi * torch.tanh(raw) * free


def sd_of(raw: torch.Tensor, free: torch.Tensor | float) -> torch.Tensor:
    """Component sds in [SIGMA_MIN, SIGMA_MAX], uniform in log scale; SIGMA_MIN where ``free`` is 0."""
    return torch.exp(math.log(SIGMA_MIN) + (math.log(SIGMA_MAX) - math.log(SIGMA_MIN)) * torch.sigmoid(raw) * free)


def wrap(angle: torch.Tensor) -> torch.Tensor:
    return torch.remainder(angle + math.pi, 2 * math.pi) - math.pi


def mixture_logpdf(y: torch.Tensor, logw: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """(...,) log density of turns y (...) under wrapped Gaussian mixtures (..., K)."""
    d = (y[..., None] - mu)[..., None] + _SHIFTS.to(y.dtype)  # (..., K, 5)
    z = d / sigma[..., None]
    comp = -0.5 * z * z - torch.log(sigma)[..., None] - 0.5 * LOG_2PI  # (..., K, 5)
    return torch.logsumexp((logw[..., None] + comp).flatten(-2), dim=-1)


def sinuosity_of_turns(turns: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) path length / end-to-end distance of unit-step walks with turns (B, n).

    ``lengths`` (B,) counts the valid turns of each row (default all n); later ones are ignored.
    """
    n = turns.shape[1]
    lengths = torch.full(turns.shape[:1], n) if lengths is None else lengths
    headings = torch.cat([torch.zeros_like(turns[:, :1]), torch.cumsum(turns, 1)], 1)  # (B, n + 1)
    used = (torch.arange(n + 1) <= lengths[:, None]).to(turns.dtype)  # (B, n + 1) segments 0..length
    chord = torch.hypot((torch.cos(headings) * used).sum(1), (torch.sin(headings) * used).sum(1))  # (B,)
    steps = (lengths + 1).to(turns.dtype)
    return steps / torch.maximum(chord, steps / SIN_MAX)


def geometry(heading: torch.Tensor, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Steering features (..., 5) from the heading and the position (x, y), as shares of the river.

    Distance from the start, and the heading both absolute (cos, sin) and relative to the
    outward direction (cos, sin): what the end-to-end distance depends on, which the
    network would otherwise need many units to compute.
    """
    angles = torch.stack([heading, heading - torch.atan2(y, x)], -1)  # (..., 2)
    cos_sin = torch.cos(angles.repeat_interleave(2, -1) + _QUARTER.to(heading.dtype))  # (..., 4)
    return torch.cat([torch.hypot(x, y)[..., None], cos_sin], -1)


def dequantization(shape: tuple[int, ...] | torch.Size, generator: torch.Generator) -> torch.Tensor:
    """U(-DEQUANT/2, DEQUANT/2) noise: trains the density the held-out evaluation scores."""
    return (torch.rand(shape, generator=generator) - 0.5) * DEQUANT


def gru_step(x: torch.Tensor, h: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor, b_ih: torch.Tensor,
             b_hh: torch.Tensor) -> torch.Tensor:
    """``torch.gru_cell(x, h, w_ih.T, w_hh.T, b_ih, b_hh)`` (R, H) with transposed weights (in, 3H).

    tanh(a) is written 2 sigmoid(2a) - 1: equal up to rounding, and torch's float64 sigmoid
    kernel is several times faster than its tanh, which is most of a sampling step's cost.
    """
    hidden = h.shape[1]
    gi, gh = torch.addmm(b_ih, x, w_ih), torch.addmm(b_hh, h, w_hh)  # (R, 3H) each: gates r, z, n
    rz = torch.sigmoid(gi[:, :2 * hidden] + gh[:, :2 * hidden])  # (R, 2H)
    n = torch.sigmoid(2.0 * torch.addcmul(gi[:, 2 * hidden:], rz[:, :hidden], gh[:, 2 * hidden:])) * 2.0 - 1.0
    return torch.addcmul(n, rz[:, hidden:], h - n)  # (1 - z) n + z h


def step_weights(gru: nn.GRU, layers: int) -> list[tuple[torch.Tensor, ...]]:
    """Per layer, the (w_ih (in, 3H), w_hh (H, 3H), b_ih, b_hh) that :func:`gru_step` takes."""
    return [(getattr(gru, f"weight_ih_l{i}").t().contiguous(), getattr(gru, f"weight_hh_l{i}").t().contiguous(),
             getattr(gru, f"bias_ih_l{i}"), getattr(gru, f"bias_hh_l{i}")) for i in range(layers)]


def window_lengths(window: int) -> list[int]:
    """The LENGTHS window lengths with stored sinuosity quantiles, longest first."""
    return [max(MIN_CROP, window >> i) for i in range(LENGTHS)]


@register
class GruRiver(LearnedRiver):
    name = "river/gru"
    description = "a GRU over turning angles with a mixture density per turn; ask for a sinuosity"
    Config = GruConfig
    config: GruConfig
    explicit = True
    block = BLOCK_ROWS  # seeds per block with one draw each; __init__ divides by the draws per seed

    def __init__(self, config: GruConfig | None = None, /, **params: Any) -> None:
        super().__init__(config, **params)
        self._stats_from_data = False
        # Seeds per block: a seed's candidates share the block's rows, so a block (and a single
        # generate call) costs the same whatever their number. Fixed per config: batch-invariant.
        self.block = max(1, BLOCK_ROWS // self.config.draws)

    def build(self) -> nn.Module:
        c = self.config
        return _Net(c.hidden, c.layers, c.components)

    def init_weights(self, generator: torch.Generator) -> None:
        init_parameters(self.module, generator)
        with torch.no_grad():  # the base sets 1-D tensors not named "*bias" (GRU's bias_ih_l0, ...) to 1
            for name, tensor in self.module.named_parameters():
                if "bias" in name:
                    tensor.zero_()

    # ---- features ----------------------------------------------------------------
    def _condition(self, s: torch.Tensor) -> torch.Tensor:
        """Normalised log(s - 1 + eps) (B,) of sinuosities s (B,)."""
        stats = self.module.stats
        return (torch.log(s - 1.0 + SIN_EPS) - stats[1]) / stats[2]

    def _features(self, turns: torch.Tensor, lengths: torch.Tensor, null: torch.Tensor) -> torch.Tensor:
        """Teacher-forced inputs (B, n, FEATURES) for turns (B, n) with valid lengths (B,).

        Rows where ``null`` (B,) is true get the unconditional input: every condition feature 0.
        """
        b, n = turns.shape
        s = sinuosity_of_turns(turns, lengths)  # (B,)
        prev = torch.cat([torch.zeros_like(turns[:, :1]), turns[:, :-1]], 1)  # (B, n)
        heading = torch.cumsum(prev, 1)  # (B, n) direction of the segment before turn t
        span = (lengths + 1).to(turns.dtype)[:, None]  # (B, 1) steps of the whole window
        x = torch.cumsum(torch.cos(heading), 1) / span  # (B, n) position after that segment
        y = torch.cumsum(torch.sin(heading), 1) / span
        left = lengths[:, None].to(turns.dtype) - torch.arange(n, dtype=turns.dtype)  # (B, n) turns to go
        cond = torch.stack([self._condition(s), 1.0 / s], 1)[:, None, :].expand(b, n, 2)  # (B, n, 2)
        steer = torch.stack([left / span, left / self.config.window], -1)  # (B, n, 2)
        conditioned = torch.cat([cond, steer, geometry(heading, x, y)], -1)  # (B, n, 9)
        conditioned = conditioned * (~null).to(turns.dtype)[:, None, None]
        flag = null.to(turns.dtype)[:, None, None].expand(b, n, 1)
        return torch.cat([(prev / self.module.stats[0])[..., None], flag, conditioned], -1)

    def _nll_steps(self, turns: torch.Tensor, lengths: torch.Tensor, null: torch.Tensor) -> torch.Tensor:
        """(B, n) negative log density of each turn, teacher forced (rows padded past their length)."""
        net = self.module
        h0 = net.start[:, None, :].expand(-1, turns.shape[0], -1).contiguous()  # (layers, B, hidden)
        out, _ = net.gru(self._features(turns, lengths, null), h0)  # (B, n, hidden)
        return -mixture_logpdf(turns, *net.mixture(out))

    # ---- training ----------------------------------------------------------------
    def training_data(self, sequences: list[np.ndarray]) -> torch.Tensor:
        """Rows (N, 1 + window): valid length, then turns zero-padded to ``window``.

        Rivers up to ``window`` turns give one row; longer ones windows at 50% overlap.
        """
        w = self.config.window
        rows = []
        for seq in sequences:
            starts = sorted(set(range(0, max(1, len(seq) - w + 1), max(1, w // 2))) | {max(0, len(seq) - w)})
            for i in starts:
                part = np.asarray(seq[i:i + w], dtype=np.float32)
                if len(part) >= 2:
                    rows.append(np.concatenate([[len(part)], part, np.zeros(w - len(part), np.float32)]))
        data = torch.from_numpy(np.stack(rows)).float() if rows else torch.zeros(0, 1 + w)
        # fit_generator prepares the training split first: only it sets the data statistics.
        if not self._stats_from_data and len(data):
            self._set_stats(sequences)
            self._stats_from_data = True
        return data

    def _set_stats(self, sequences: list[np.ndarray]) -> None:
        levels = torch.linspace(0.0, 1.0, QUANTILES, dtype=torch.float64)
        table = []
        for length in window_lengths(self.config.window):
            # Windows every quarter length: overlapping, so short data still gives smooth quantiles.
            parts = [s[i:i + length] for s in sequences for i in range(0, len(s) - length + 1, max(1, length // 4))]
            c = (torch.log(sinuosity_of_turns(torch.from_numpy(np.stack(parts)).double()) - 1.0 + SIN_EPS)
                 if parts else torch.zeros(1, dtype=torch.float64))
            table.append(torch.quantile(c, levels))
        table = torch.stack(table)  # (LENGTHS, QUANTILES)
        turns = np.concatenate([np.asarray(s, dtype=np.float64) for s in sequences])
        with torch.no_grad():
            self.module.stats.copy_(torch.tensor([max(float(turns.std()), 1e-3), float(table.mean()),
                                                  max(float(table.std()), 1e-3)]))
            self.module.quantiles.copy_(table)

    def _crop(self, batch: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Random sub-windows: (turns (B, window) left-aligned and zero-padded, lengths (B,))."""
        full = batch[:, 0].long()  # (B,)
        b, w = batch.shape[0], batch.shape[1] - 1
        u = torch.rand(b, 3, generator=generator)  # (B, 3): keep whole?, crop length, crop start
        shortest = torch.clamp(full, max=MIN_CROP)
        extra = torch.minimum((u[:, 1] * (full - shortest + 1)).long(), full - shortest)  # (B,) in [0, full - shortest]
        length = torch.where(u[:, 0] < 0.5, full, shortest + extra)  # half the rows whole, half cropped
        start = torch.minimum((u[:, 2] * (full - length + 1)).long(), full - length)  # (B,)
        index = torch.clamp(start[:, None] + torch.arange(w), max=w - 1)  # (B, w)
        turns = batch[:, 1:].gather(1, index) * (torch.arange(w) < length[:, None])
        return turns, length

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        (opt,) = optimizers
        turns, lengths = self._crop(batch, generator)
        mirror = torch.rand(batch.shape[0], generator=generator) < 0.5  # (B,)
        null = torch.rand(batch.shape[0], generator=generator) < NULL_RATE  # (B,)
        turns = torch.where(mirror[:, None], -turns, turns) + dequantization(turns.shape, generator)
        mask = (torch.arange(turns.shape[1]) < lengths[:, None]).float()  # (B, window)
        opt.zero_grad()
        loss = (self._nll_steps(turns, lengths, null) * mask).sum() / mask.sum()
        loss.backward()
        nn.utils.clip_grad_norm_(self.module.parameters(), 5.0)
        opt.step()
        return {"nll": float(loss.detach())}

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        """Mean of the unconditional and the conditional NLL per turn (both matter)."""
        total, count = 0.0, 0.0
        jitter = self.training_generator("validation")  # the same noise every epoch: comparable figures
        for chunk in data.split(512):
            lengths = chunk[:, 0].long()
            mask = torch.arange(chunk.shape[1] - 1) < lengths[:, None]  # (B, window)
            turns = chunk[:, 1:] + dequantization(mask.shape, jitter)
            for null in (True, False):
                nll = self._nll_steps(turns, lengths, torch.full((len(chunk),), null))
                total += float(nll[mask].double().sum())
            count += 2.0 * float(mask.sum())
        return total / count

    # ---- likelihood --------------------------------------------------------------
    def log_prob_turns(self, turns: np.ndarray) -> float:
        """log p(turns) in nats under the null (unconditional) condition: an exact density."""
        y = torch.as_tensor(np.asarray(turns), dtype=torch.float32)[None]  # (1, n)
        lengths = torch.tensor([y.shape[1]])
        with torch.no_grad():
            return float(-self._nll_steps(y, lengths, torch.ones(1, dtype=torch.bool)).double().sum())

    # ---- sampling ----------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        c = self.config
        # Candidate by candidate, so a seed's first candidate is the same whatever their number.
        level = rng.random(1)
        draws = [(rng.random(c.steps), rng.standard_normal(c.steps)) for _ in range(c.draws)]
        return {"level": level, "pick": np.stack([d[0] for d in draws]),  # (draws, steps)
                "z": np.stack([d[1] for d in draws])}

    def _targets(self, level: torch.Tensor) -> torch.Tensor:
        """Sinuosity (B,) to condition on: the requested one, or a draw like the training windows'."""
        c = self.config
        if c.sinuosity > 0.0:
            return torch.full(level.shape, c.sinuosity)
        # Quantiles for windows of ``steps`` turns: interpolated in log length between stored ones.
        lengths = torch.tensor(window_lengths(c.window), dtype=torch.float64).log()  # (LENGTHS,) falling
        where = float(np.interp(math.log(c.steps), lengths.flip(0).numpy(), np.arange(LENGTHS)[::-1]))
        lo = min(int(where), LENGTHS - 2)
        table = self.module.quantiles.double()
        q = table[lo] + (where - lo) * (table[lo + 1] - table[lo])  # (QUANTILES,)
        pos = level.double() * (QUANTILES - 1)
        i = torch.clamp(pos.floor().long(), max=QUANTILES - 2)
        logs = q[i] + (pos - i) * (q[i + 1] - q[i])  # inverse CDF, linear between levels
        return torch.clamp(1.0 + torch.exp(logs) - SIN_EPS, min=1.0 + SIN_EPS, max=SIN_MAX).to(level.dtype)

    def decode(self, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        b, k, n = noise["z"].shape
        target = self._targets(noise["level"][:, 0])  # (B,)
        turns = self._sample(target.repeat_interleave(k), noise["pick"].reshape(b * k, n),
                             noise["z"].reshape(b * k, n)).reshape(b, k, n)
        if k == 1:
            return turns[:, 0]
        s = sinuosity_of_turns(turns.reshape(b * k, n).double()).reshape(b, k)
        best = torch.argmin(torch.abs(s / target[:, None].double() - 1.0), 1)  # (B,) first of equals
        return turns[torch.arange(b), best]

    def _sample(self, target: torch.Tensor, pick: torch.Tensor, z: torch.Tensor,
                forced: torch.Tensor | None = None) -> torch.Tensor:
        """Turns (R, n) conditioned on sinuosity ``target`` (R,), from uniforms and normals (R, n).

        With ``forced`` turns (R, n) it replays them instead and returns their log densities
        (R, n), step by step: a check that sampling and the teacher-forced density agree.
        The loop's cost is per torch op (rows are few), so each step uses as few as it can.
        """
        net, c = self.module, self.config
        r, n = z.shape
        fixed = torch.stack([torch.zeros(r, dtype=z.dtype), self._condition(target), 1.0 / target], 1)  # (R, 3) flag, condition
        steps_left = n - torch.arange(n).to(z.dtype)
        lefts = torch.stack([steps_left / (n + 1), steps_left / c.window], 1)[:, None, :]  # (n, 1, 2)
        layers = step_weights(net.gru, c.layers)
        state = [net.start[i].expand(r, -1).contiguous() for i in range(c.layers)]  # (R, hidden) each
        head = self._sampling_head()
        pick_t, z_t = pick.t().contiguous(), z.t().contiguous()  # (n, R): one contiguous row per step
        prev, heading = torch.zeros(r, dtype=z.dtype), torch.zeros(r, dtype=z.dtype)
        xy = torch.zeros(r, 2, dtype=z.dtype)
        xy[:, 0] = 1.0 / (n + 1)  # position after the first segment, as a share of the river
        out = torch.empty(r, n, dtype=z.dtype)
        for t in range(n):
            inp = torch.cat([(prev / net.stats[0])[:, None], fixed, lefts[t].expand(r, 2),
                             geometry(heading, xy[:, 0], xy[:, 1])], 1)  # (R, FEATURES)
            for i, weights in enumerate(layers):
                state[i] = gru_step(inp, state[i], *weights)
                inp = state[i]
            if forced is None:
                turn = out[:, t] = self._draw(torch.addmm(head[1], inp, head[0]), pick_t[t], z_t[t])
            else:
                turn = forced[:, t]
                out[:, t] = mixture_logpdf(turn, *net.mixture(inp))
            prev, heading = turn, heading + turn
            xy = torch.add(xy, torch.cos(heading[:, None] + _QUARTER[:2]), alpha=1.0 / (n + 1))
        return out

    def turn_process(self) -> "GruTurns":
        """The river one turn at a time under the null (unconditional) condition, on the portable
        float64 path: for terrain-guided rivers (``procgen.generators.guided``)."""
        return GruTurns(self)

    def _sampling_head(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(weight (hidden, 3K), bias (3K,)) of the head with component 0 folded in.

        Its mean row is zeroed (tanh 0 = 0) and its sd row pushed to sigmoid = 0 (sd =
        SIGMA_MIN), which are exactly its fixed values: the loop then needs no mask.
        """
        k = self.config.components
        weight, bias = self.module.head.weight.clone(), self.module.head.bias.clone()  # (3K, hidden), (3K,)
        weight[[k, 2 * k]] = 0.0
        bias[k], bias[2 * k] = 0.0, -1e4
        return weight.t().contiguous(), bias

    def _draw(self, head: torch.Tensor, pick: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """One turn (R,) from the sampling head's outputs (R, 3K), a uniform (R,) and a normal (R,)."""
        k, r = self.config.components, head.shape[0]
        cdf = torch.softmax(head[:, :k], 1).cumsum(1)  # (R, K)
        comp = (pick[:, None] > cdf[:, :-1]).sum(1)  # (R,) inverse CDF
        raw = head.view(r, 3, k)[:, 1:].gather(2, comp.view(r, 1, 1).expand(r, 2, 1))  # (R, 2, 1) mean, sd
        sd = sd_of(raw[:, 1, 0], 1.0)
        if self.config.temperature != 1.0:
            sd = sd * self.config.temperature
        # On the grid: the turn is fed back as the next input, so no kernel's last bits travel on.
        return quantized_tensor(wrap(torch.addcmul(mean_of(raw[:, 0, 0], 1.0), sd, z)), TURN_GRID)


class GruTurns:
    """Turns drawn one step at a time from the GRU, unconditionally (the null condition's
    input: the last turn and the flag, every conditioned feature 0). The state is the
    per-layer hidden state after reading the last turn, float64 (1, hidden) each."""

    def __init__(self, gru: GruRiver) -> None:
        self.gru = gru
        with gru.inference():  # the float64 network, and the head in float64
            net = gru.module
            self.head = gru._sampling_head()
        self.scale = float(net.stats[0])
        self.start_state = tuple(net.start[i][None].clone() for i in range(gru.config.layers))
        self.layers = step_weights(net.gru, gru.config.layers)

    def _read(self, state: tuple[torch.Tensor, ...], turn: float) -> tuple[torch.Tensor, ...]:
        inp = torch.zeros(1, FEATURES, dtype=torch.float64)
        inp[0, 0], inp[0, 1] = turn / self.scale, 1.0  # the last turn, and the null flag
        hidden = []
        with torch.no_grad():
            for weights, h in zip(self.layers, state):
                inp = gru_step(inp, h, *weights)
                hidden.append(inp)
        return tuple(hidden)

    def start(self) -> tuple[torch.Tensor, ...]:
        return self._read(self.start_state, 0.0)  # the first turn follows "no turn"

    def draw(self, state: tuple[torch.Tensor, ...], rng: np.random.Generator, count: int) -> np.ndarray:
        """(count,) next turns in radians from the mixture the state gives, on the TURN_GRID."""
        pick = torch.from_numpy(rng.random(count))
        z = torch.from_numpy(rng.standard_normal(count))
        with torch.no_grad():
            head = torch.addmm(self.head[1], state[-1], self.head[0]).expand(count, -1)  # (count, 3K)
            return self.gru._draw(head.contiguous(), pick, z).numpy()

    def advance(self, state: tuple[torch.Tensor, ...], turn: float) -> tuple[torch.Tensor, ...]:
        return self._read(state, turn)
