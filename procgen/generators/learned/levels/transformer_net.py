"""level/transformer's network: a tiny transformer with one query token, and its control features.

Each context slot is a token, the embedding of its tile (or BORDER) plus a learned embedding
of the slot; the query token starts as an embedding of the control (RBF features of the two
shares) and passes through ``layers`` pre-norm blocks of multi-head attention *to the context
tokens* plus a feed-forward layer; the tile's logits are read from it. Context tokens are not
re-encoded by each other (cross-attention only), so a token's keys and values depend on its
(slot, tile) pair alone and come from a table of S slots x (tiles + 3) rows computed once per
step (or per level when sampling, see ``scan``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from procgen.generators.learned.levels.neighbourhood import EXTRA_TOKENS

__all__ = ["RBF_CENTRES", "CONTROL_FEATURES", "control_features", "box_shares", "QueryBlock", "ContextTransformer"]

RBF_CENTRES = 8  # a share's features: the share itself and Gaussian bumps at 0, 1/7, ..., 1
CONTROL_FEATURES = 2 * (1 + RBF_CENTRES) + 1  # both shares' features and the local null flag


def _share_features(share: torch.Tensor) -> torch.Tensor:
    """(N,) shares in [0, 1] -> (N, 1 + RBF_CENTRES): the share and Gaussian bumps."""
    centres = torch.linspace(0.0, 1.0, RBF_CENTRES)
    bumps = torch.exp(-0.5 * ((share[:, None] - centres[None, :]) * (RBF_CENTRES - 1)) ** 2)
    return torch.cat([share[:, None], bumps], dim=1)


def control_features(control: torch.Tensor) -> torch.Tensor:
    """(N, 2) (window share, local share; NaN = null) -> (N, CONTROL_FEATURES): the features of
    each share, the local ones zero when null, and the null flag."""
    null = torch.isnan(control[:, 1])
    local = _share_features(torch.where(null, 0.0, control[:, 1])) * (~null)[:, None]
    return torch.cat([_share_features(control[:, 0]), local, null[:, None].float()], dim=1)


def box_shares(mask: torch.Tensor, radius: int) -> torch.Tensor:
    """(B, k, k) bool -> (B, k, k) float: the share of True in the (2r+1)^2 box around each
    cell, clipped to the grid (an integral image: four lookups per cell)."""
    k = mask.shape[1]
    integral = F.pad(mask.double().cumsum(1).cumsum(2), (1, 0, 1, 0))  # (B, k+1, k+1)
    cells = torch.arange(k)
    lo, hi = (cells - radius).clamp(min=0), (cells + radius + 1).clamp(max=k)  # (k,) box edges
    total = (integral[:, hi][:, :, hi] - integral[:, lo][:, :, hi]
             - integral[:, hi][:, :, lo] + integral[:, lo][:, :, lo])
    area = ((hi - lo)[:, None] * (hi - lo)[None, :]).double()
    return (total / area).float()


class QueryBlock(nn.Module):
    """Pre-norm block: the query attends to the context tokens (multi-head), then a feed-forward layer.

    A context token's key and value depend on its (slot, tile) pair alone, so the block works
    from per-row tables (row = (slot * vocab + tile) * heads + head, see :meth:`tables`): the
    scores of a query against every row are one linear map of its normed state (W_q and
    1/sqrt(e) folded into the keys), and each row's value is stored already through the output
    projection (its bias split over the heads: a head's attention weights sum to 1). A tile's
    scores are gathered from its rows, softmaxed per head over its slots, and its update is
    the attention-weighted sum of its value rows: standard attention, written for training's
    large batches (the sampler, one tile at a time, reads :meth:`keys_values` by row instead).
    """

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm_kv = nn.LayerNorm(d)
        self.kv = nn.Linear(d, 2 * d)
        self.norm_q = nn.LayerNorm(d)
        self.q = nn.Linear(d, d)
        self.proj = nn.Linear(d, d)
        self.norm_ff = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, 4 * d)
        self.ff2 = nn.Linear(4 * d, d)

    def keys_values(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(J, d) context tokens -> their keys and values, (J, heads, d // heads) each."""
        d = tokens.shape[1]
        return self.kv(self.norm_kv(tokens)).view(-1, 2, self.heads, d // self.heads).unbind(1)

    def tables(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(J, d) context tokens (every slot and tile) -> score weight (J*h, d), score bias (J*h,)
        and projected values (J*h, d)."""
        d = tokens.shape[1]
        h, e = self.heads, d // self.heads
        k, v = self.keys_values(tokens)
        score_w = torch.einsum("jhe,hed->jhd", k, self.q.weight.view(h, e, d) / math.sqrt(e)).reshape(-1, d)
        score_b = torch.einsum("jhe,he->jh", k, self.q.bias.view(h, e) / math.sqrt(e)).reshape(-1)
        values = (torch.einsum("jhe,dhe->jhd", v, self.proj.weight.view(d, h, e)) + self.proj.bias / h)
        return score_w, score_b, values.reshape(-1, d)

    def forward(self, x: torch.Tensor, index: torch.Tensor, tables: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """x (N, d) queries, index (N, h*S) their table rows (head-major) -> (N, d)."""
        score_w, score_b, values = tables
        n = len(index)
        scores = F.linear(self.norm_q(x), score_w, score_b).gather(1, index)  # (N, h*S)
        att = scores.view(n, self.heads, -1).softmax(dim=-1).view(n, -1)  # per head over the slots
        # Weights onto every row (a tile's rows are distinct), then one product: cheaper to train
        # than embedding_bag, whose backward sorts the indices.
        spread = torch.zeros(n, len(values)).scatter(1, index, att)  # (N, J*h)
        x = x + spread @ values
        return x + self.ff2(F.silu(self.ff1(self.norm_ff(x))))


class ContextTransformer(nn.Module):
    """Logits of a tile from its context tokens (N, S) and its control (N, 2): (window share, local share or NaN)."""

    def __init__(self, tiles: int, slots: int, d: int, heads: int, layers: int) -> None:
        super().__init__()
        self.vocab = tiles + EXTRA_TOKENS  # the tiles, BORDER, UNSEEN and INSIDE (see neighbourhood)
        self.heads = heads
        self.token = nn.Embedding(self.vocab, d)
        self.slot = nn.Parameter(torch.zeros(slots, d))  # learned position embedding per neighbourhood slot
        self.control = nn.Linear(CONTROL_FEATURES, d)  # the query token: an embedding of the control
        self.blocks = nn.ModuleList(QueryBlock(d, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, tiles)

    def tokens(self) -> torch.Tensor:
        """(S * vocab, d): every (slot, tile) context token, row slot * vocab + tile."""
        return (self.slot[:, None, :] + self.token.weight[None, :, :]).reshape(-1, self.slot.shape[1])

    def rows(self, context: torch.Tensor) -> torch.Tensor:
        """(N, S) token ids -> (N, h*S) table rows, head-major: ((slot*vocab + tile)*h + head)."""
        n, s = context.shape
        base = (torch.arange(s) * self.vocab * self.heads)[None, :] + torch.arange(self.heads)[:, None]  # (h, S)
        return (context[:, None, :] * self.heads + base[None]).view(n, -1)

    def forward(self, context: torch.Tensor, control: torch.Tensor) -> torch.Tensor:
        """context (N, S) ids in [0, tiles] (tiles = BORDER), control (N, 2) -> (N, tiles) logits."""
        tokens, index = self.tokens(), self.rows(context)
        x = self.control(control_features(control))  # (N, d)
        for block in self.blocks:
            x = block(x, index, block.tables(tokens))
        return self.head(self.norm(x))
