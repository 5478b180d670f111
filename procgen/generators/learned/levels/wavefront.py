"""level/transformer's sampler: the wavefront schedule and the network specialised to one level.

Tile (r, c) depends only on tiles with an earlier time t = c + (L+1) r (``wavefront_time``),
so all tiles of one t are drawn in one batched pass, W + (L+1)(H-1) passes per level. A pass
holds about H / (L+1) tiles, so it is a few dozen tiny ops whose fixed cost, not their
arithmetic, dominates: the schedule (which tiles, which context positions) is computed once
per level size, the network's per-level constants once per level, and a pass is written with
as few ops as it can be.

A tile is the inverse CDF of its masked softmax at ``temperature`` at its own uniform (one per
tile, from ``draw_noise``), compared in float64: rounding differences between kernels (the
sampler here against the module's forward, one CPU's against another's) move a probability
by about 1e-15 and so change a tile only if its uniform falls that close to a CDF step.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from procgen.generators.learned.levels.neighbourhood import (context_index, extra_tokens, margins, pad,
                                                             wavefront_time)
from procgen.generators.learned.levels.transformer_net import ContextTransformer, control_features

__all__ = ["Schedule", "schedule", "WavefrontSampler", "sample_wavefront"]

U_MIN = 1e-7  # a uniform of exactly 0 would pick a masked first tile; nudge it inside (0, 1)

# (order (H*W,) of the raster tiles by pass, per pass the tiles' positions (n,) and their
# context positions (n, S) in the padded grid)
Schedule = tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]


def schedule(height: int, width: int, offsets: np.ndarray, reach: int) -> Schedule:
    """The passes of a ``height`` x ``width`` level (see :data:`Schedule`)."""
    pos, ctx = context_index(height, width, offsets)
    t = wavefront_time(height, width, reach).ravel()
    order = np.argsort(t, kind="stable")
    sizes = np.bincount(t).tolist()
    return (torch.from_numpy(order), list(torch.from_numpy(pos[order]).split(sizes)),
            list(torch.from_numpy(ctx[order]).split(sizes)))


class WavefrontSampler:
    """A :class:`ContextTransformer` specialised to one level's control and temperature.

    The module's forward (training, ``log_prob``) folds W_q into a score table over every
    (slot, tile, head) row and so scores every row for every tile; a pass here scores only a
    tile's own S rows per head: it gathers their keys and values (e = d / heads wide) and does
    the attention the standard way, q . k per head and the weighted values through the output
    projection. The first block's query is the control embedding, the same for every tile, so
    its scores are one table computed here; the temperature and the marker mask are folded into
    the head. Equal to the module's forward up to float rounding (checked by the tests).
    """

    def __init__(self, net: ContextTransformer, control: tuple[float, float], temperature: float,
                 blocked: torch.Tensor) -> None:
        tokens = net.tokens()  # (J, d), J = S * vocab
        d = tokens.shape[1]
        h = net.heads
        self.heads, self.width, self.shape = h, d // h, (d,)
        self.rows = net.rows
        self.x0 = net.control(control_features(torch.tensor([control])))  # (1, d)
        self.blocks: list[tuple[torch.Tensor | None, ...]] = []
        for b, block in enumerate(net.blocks):
            keys, values = block.keys_values(tokens)  # (J, h, e) each
            w_q = (block.q.weight / math.sqrt(self.width)).T.contiguous()  # (d, d), 1/sqrt(e) folded in
            b_q = block.q.bias / math.sqrt(self.width)
            first = None
            if b == 0:
                normed = torch.layer_norm(self.x0, self.shape, block.norm_q.weight, block.norm_q.bias, 1e-5)
                q0 = torch.addmm(b_q, normed, w_q).view(h, self.width)
                first = (keys * q0).sum(-1).reshape(-1)  # (J*h,) the constant query's scores
                rows = values.reshape(-1, self.width)  # (J*h, e)
            else:
                rows = torch.cat([keys, values], dim=2).reshape(-1, 2 * self.width)  # (J*h, 2e)
            self.blocks.append((first, rows, block.norm_q.weight, block.norm_q.bias, w_q, b_q,
                                block.proj.weight.T.contiguous(), block.proj.bias,
                                block.norm_ff.weight, block.norm_ff.bias, block.ff1.weight.T.contiguous(),
                                block.ff1.bias, block.ff2.weight.T.contiguous(), block.ff2.bias))
        self.norm = (net.norm.weight, net.norm.bias)
        self.weight = (net.head.weight / temperature).T.contiguous()
        self.bias = (net.head.bias / temperature).masked_fill(blocked, float("-inf"))
        self.base: torch.Tensor | None = None  # (1, h, S) the rows' slot and head part

    def probs(self, tiles: torch.Tensor) -> torch.Tensor:
        """(n, S) tile ids (or BORDER / INSIDE) of the tiles' contexts -> (n, T) tile probabilities."""
        n, s = tiles.shape
        h, e = self.heads, self.width
        if self.base is None:  # the module's rows of tile 0: a tile's row is base + tile * h
            self.base = self.rows(torch.zeros(1, s, dtype=torch.long)).view(1, h, s)
        index = torch.add(self.base, tiles[:, None, :], alpha=h).view(-1)  # (n*h*S,)
        x = self.x0
        for first, rows, nq_w, nq_b, w_q, b_q, w_o, b_o, nf_w, nf_b, w1, b1, w2, b2 in self.blocks:
            picked = rows.index_select(0, index).view(n, h, s, -1)  # (n, h, S, e or 2e)
            if first is not None:
                scores = first.take(index).view(n, h, 1, s)
            else:
                q = torch.addmm(b_q, torch.layer_norm(x, self.shape, nq_w, nq_b, 1e-5), w_q)  # (n, d)
                scores = torch.matmul(q.view(n, h, 1, e), picked[..., :e].transpose(2, 3))  # (n, h, 1, S)
            mixed = torch.matmul(scores.softmax(dim=-1), picked[..., -e:]).view(n, -1)  # (n, d) heads side by side
            x = x + torch.addmm(b_o, mixed, w_o)
            hidden = F.silu(torch.addmm(b1, torch.layer_norm(x, self.shape, nf_w, nf_b, 1e-5), w1))
            x = x + torch.addmm(b2, hidden, w2)
        logits = torch.addmm(self.bias, torch.layer_norm(x, self.shape, *self.norm, 1e-5), self.weight)
        return logits.softmax(dim=1)


def sample_wavefront(net: WavefrontSampler, passes: Schedule, uniforms: torch.Tensor, offsets: np.ndarray,
                     tiles: int, record: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Tile ids (H, W) drawn pass by pass by inverse CDF at ``uniforms`` (H, W), and with
    ``record`` the probability (H, W) each tile was drawn with."""
    height, width = uniforms.shape
    order, positions, contexts = passes
    border, _, inside_token = extra_tokens(tiles)
    split = uniforms.reshape(-1, 1)[order].clamp_min(U_MIN).split([len(p) for p in positions])  # (n, 1) each
    # BORDER around, INSIDE on the level's undrawn tiles: the edge slots below read those.
    grid = pad(torch.full((1, height, width), inside_token, dtype=torch.long), offsets, border).reshape(-1)
    padded_h = grid.numel() // (width + 2 * margins(offsets)[1])
    drawn = torch.ones(grid.shape) if record else None
    for pos, ctx, u in zip(positions, contexts, split):
        probs = net.probs(grid.take(ctx))  # (n, T), markers 0
        cdf = probs.cumsum(dim=1)
        tile = torch.searchsorted(cdf, u * cdf[:, -1:])  # (n, 1): first tile with cdf >= u
        grid.put_(pos, tile[:, 0])
        if drawn is not None:
            drawn[pos] = probs.gather(1, tile)[:, 0] / cdf[:, -1]
    top, side, _ = margins(offsets)
    crop = (slice(top, top + height), slice(side, side + width))
    ids = grid.view(padded_h, -1)[crop]
    return ids, None if drawn is None else drawn.view(padded_h, -1)[crop]
