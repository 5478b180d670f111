"""level/columns: a platformer drawn column by column, each column a whole slice of a real level.

Model. A side-view level is a sequence of columns x_1 .. x_W, each a whole column of H
tiles taken from the training levels (the *vocabulary*), and

    p(x) = prod_t p(x_t | x_(t-K) .. x_(t-1))

with K = ``context`` columns before it (BORDER before the level starts). Drawing whole
columns keeps what a platformer is made of whole: ground runs along the bottom, a pipe
runs from its top to the ground, a staircase keeps its steps; the context then decides
what follows what (the vertical-slice Markov chains of Snodgrass and Ontanon, and
Dahlskog et al.'s n-grams of SMB slices, with a network in place of the count table).

Network. A column's embedding is the sum over its rows of a learned vector per (row,
tile), so columns that share tiles share statistics and a rare column is not a stranger.
The K context embeddings plus a learned position embedding each go through an MLP to a
query vector; the logits are its dot products with every vocabulary column's embedding
(plus a bias per column). Sampling is K-step causal, one column per step, W steps per
level, each one small matrix product: a 14 x 200 level in a few milliseconds.

Pipes. A pipe is two columns: the column after one with a pipe's left half must hold the
right half at the same rows, and no column may hold a right half whose left half is not
before it. Sampling masks every column that would break a pipe (and, at the level's last
column, any column that starts one): the constraint a designer states, applied exactly,
so no level is drawn with a broken pipe.

Difficulty. Training levels can be harder than the levels players should meet: the 36
real SMB pieces of 14 x 200 have 35% of their columns over a pit, and the A* agent
finishes a third of them (``procgen.evaluate.mario_agent``). Three settings, applied as
the level is drawn, make its difficulty a designer's choice while the model still chooses
every column:

- ``max_gap``: past this many columns in a row with no ground under them (air or an
  enemy on the bottom row), sampling masks every such column, so ground comes back
  within reach (0: as the model draws);
- ``runway``: the first and last columns stand on ground, so the player starts and
  finishes on it (a piece cut from a longer level can start over a pit);
- ``enemies``: the share of columns that keep the enemies the model drew, by one uniform
  per column; the others' enemies become air (1: as the model draws). Enemies, not
  terrain, end most of the agent's lost runs on generated levels.

Training scores every column of the training levels (and of their left-right mirror
images, pipe halves swapped) given its K predecessors: cross-entropy over the vocabulary.
Validation columns outside the vocabulary count as their nearest vocabulary column (fewest
tiles different). ``draw_noise`` takes one uniform per column; a column is the inverse CDF
of its masked softmax at ``temperature``. The model is implicit as far as the evaluation
goes: a held-out level with a column it never saw has no likelihood under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.errors import ParameterError
from procgen.generators.config import param
from procgen.generators.learned.levels.base import LearnedLevel, LearnedLevelConfig, training_corpus
from procgen.generators.learned.levels.data import grown_to, split_corpus, terrain
from procgen.generators.registry import register
from procgen.levels.pipes import column_defects, mirror_ids, pipe_roles

__all__ = ["ColumnLevel", "ColumnLevelConfig", "vocabulary", "pipe_rules"]

U_MIN = 1e-12  # a uniform of exactly 0 would pick a masked first column


@dataclass(frozen=True, kw_only=True)
class ColumnLevelConfig(LearnedLevelConfig):
    """Options of level/columns (besides every learned level model's)."""

    view: str = param("side-view", "side-view only: the model draws whole columns of a platformer",
                      choices=("side-view",))
    vocab: int = param(2, "distinct columns in the training levels; set by fit (must match the weights)",
                       ge=1, le=65_536)
    context: int = param(8, "columns before a column that it sees (K)", ge=1, le=64)
    d_model: int = param(32, "width of the column embeddings and the MLP", ge=8, le=512)
    hidden: int = param(128, "width of the MLP's hidden layer", ge=8, le=4096)
    dropout: float = param(0.5, "dropout on the MLP's hidden layer while training (its mask from the "
                                "training stream)", ge=0.0, lt=1.0)
    max_gap: int = param(3, "most columns in a row with no ground under them (0: as the model draws); "
                            "the platforms over a wider pit are a harder level than most players want",
                         ge=0, le=1024)
    runway: int = param(4, "columns at each end of the level that stand on ground, as the player starts "
                           "and finishes on it", ge=0, le=1024)
    enemies: float = param(0.3, "share of the drawn columns that keep their enemies (1: as the model draws; "
                                "the others' enemies become air)", ge=0.0, le=1.0)
    temperature: float = param(1.0, "sampling temperature of every column's softmax (1 = the trained model)",
                               gt=0.0, le=10.0)
    lr: float = param(2e-3, "Adam learning rate", gt=0.0, le=1.0)
    batch_size: int = param(128, "columns scored per optimisation step", ge=1, le=65_536)
    epochs: int = param(80, "most passes over the training columns", ge=1, le=10_000)
    patience: int = param(10, "stop after this many epochs without a better validation loss", ge=1)
    max_minutes: float = param(5.0, "stop training after this many minutes", gt=0.0)
    height: int = param(14, "rows of a generated level: must be column_rows", ge=4, le=1024)
    column_rows: int = param(14, "rows of every column: the training levels' height; set by fit (must match "
                                 "the weights)", ge=4, le=1024)
    width: int = param(200, "columns of a generated level (set by fit to the corpus's widest level)", ge=4, le=1024)


def vocabulary(grids: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The distinct columns (V, H) of grids (H, W_i), sorted (stable ids), and each grid as
    its column ids (W_i,)."""
    columns = np.concatenate([g.T for g in grids])  # (sum W_i, H)
    vocab, inverse = np.unique(columns, axis=0, return_inverse=True)
    ends = np.cumsum([g.shape[1] for g in grids])[:-1]
    return vocab, np.split(inverse.ravel(), ends)


def pipe_rules(vocab: np.ndarray, tileset: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For vocabulary columns (V, H): ``follows`` (V, V) bool, column b may come after a;
    ``first`` (V,) may start a level; ``last`` (V,) may end one. All True without pipes.
    A column whose pipe body has air above or below it (a few real levels have one) is never drawn."""
    v, h = vocab.shape
    roles = pipe_roles(tileset)
    if roles is None:
        return np.ones((v, v), dtype=bool), np.ones(v, dtype=bool), np.ones(v, dtype=bool)
    # Per row: 0 no pipe half, 1 a top's half, 2 a body's half.
    left = np.select([vocab == roles.top_left, vocab == roles.left], [1, 2], 0)  # (V, H)
    right = np.select([vocab == roles.top_right, vocab == roles.right], [1, 2], 0)
    whole = ~column_defects(vocab, roles, air=np.array([t.walkable for t in tileset]))
    follows = (left[:, None, :] == right[None, :, :]).all(axis=2) & whole[None, :]  # (V, V)
    return follows, ~right.any(axis=1) & whole, ~left.any(axis=1) & whole


class ColumnNet(nn.Module):
    """Column embeddings from their tiles, and the context MLP that scores the next column."""

    def __init__(self, c: ColumnLevelConfig) -> None:
        super().__init__()
        self.register_buffer("vocab", torch.zeros(c.vocab, c.column_rows, dtype=torch.long))  # (V, H) tile ids
        self.register_buffer("follows", torch.ones(c.vocab, c.vocab, dtype=torch.bool))  # (V, V)
        self.register_buffer("can_start", torch.ones(c.vocab, dtype=torch.bool))  # (V,)
        self.register_buffer("can_end", torch.ones(c.vocab, dtype=torch.bool))  # (V,)
        self.cell = nn.Embedding(c.column_rows * c.tiles, c.d_model)  # one vector per (row, tile)
        self.border = nn.Parameter(torch.zeros(c.d_model))  # before the level starts
        self.position = nn.Parameter(torch.zeros(c.context, c.d_model))
        self.first = nn.Linear(c.context * c.d_model, c.hidden)
        self.second = nn.Linear(c.hidden, c.d_model)
        self.bias = nn.Parameter(torch.zeros(c.vocab))
        self.tiles = c.tiles
        self.dropout = c.dropout

    def embeddings(self) -> torch.Tensor:
        """(V + 1, D): every vocabulary column's embedding, then BORDER's (id V)."""
        rows = torch.arange(self.vocab.shape[1]) * self.tiles  # (H,)
        columns = self.cell(self.vocab + rows).sum(dim=1)  # (V, D)
        return torch.cat([columns, self.border[None]])

    def logits(self, context: torch.Tensor, table: torch.Tensor,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """(B, V) next-column logits from context ids (B, K) (V = BORDER) and ``embeddings()``.
        With a ``generator`` (training), dropout on the hidden layer draws its mask from it."""
        hidden = F.gelu(self.first((table[context] + self.position).flatten(1)))  # (B, hidden)
        if generator is not None and self.dropout > 0:
            keep = torch.rand(hidden.shape, generator=generator) >= self.dropout
            hidden = hidden * keep / (1.0 - self.dropout)
        return self.second(hidden) @ table[:-1].T + self.bias

    def sampler(self) -> "_Sampler":
        """The network folded into tables for drawing one column at a time (see _Sampler)."""
        return _Sampler(self)


class _Sampler:
    """:meth:`ColumnNet.logits` for one context at a time, as a few table lookups.

    The MLP's first layer is linear in each context slot's embedding, so each slot's share
    for every column is tabled once: ``slots`` (K * (V + 1), hidden); a step sums K rows.
    The second layer and the dot products with the columns fold into one ``head`` (hidden, V)."""

    def __init__(self, net: ColumnNet) -> None:
        table = net.embeddings()  # (V + 1, D)
        k, d = net.position.shape
        first, second = net.first, net.second
        weight = first.weight.reshape(-1, k, d)  # (hidden, K, D)
        slots = torch.einsum("vd,hkd->kvh", table, weight) + torch.einsum("kd,hkd->kh", net.position, weight)[:, None]
        self.slots = slots.reshape(-1, slots.shape[-1])  # (K * (V + 1), hidden)
        self.offsets = torch.arange(k) * table.shape[0]  # (K,) where each slot's rows start
        self.bias = first.bias
        columns = table[:-1]  # (V, D)
        self.head = second.weight.T @ columns.T  # (hidden, V)
        self.head_bias = second.bias @ columns.T + net.bias  # (V,)

    def logits(self, context: list[int]) -> torch.Tensor:
        """(V,) next-column logits for one context of K ids."""
        hidden = self.slots[self.offsets + torch.tensor(context)].sum(dim=0) + self.bias  # (hidden,)
        return F.gelu(hidden) @ self.head + self.head_bias


@register
class ColumnLevel(LearnedLevel):
    name = "level/columns"
    description = ("platformer levels column by column: each column a whole slice of a training level, "
                   "chosen by an MLP over the columns before it; pipes kept whole")
    Config = ColumnLevelConfig
    config: ColumnLevelConfig
    module: ColumnNet

    def build(self) -> nn.Module:
        return ColumnNet(self.config)

    # ---- sampling ----------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator, height: int, width: int) -> dict[str, np.ndarray]:
        return {"u": rng.random(width), "enemies": rng.random(width)}  # (W,) each: one uniform per column

    def decode(self, noise: dict[str, torch.Tensor], height: int, width: int) -> torch.Tensor:
        if height != self.config.column_rows:
            raise ParameterError(f"{self.name} draws whole columns of {self.config.column_rows} rows, as its "
                                 f"training levels have; height {height} is not possible")
        net, k = self.module, self.config.context
        sampler = net.sampler()
        border = net.vocab.shape[0]
        pits = torch.from_numpy(self.side_air())[net.vocab[:, -1]]  # (V,) no ground under the column
        movers = self.movers()  # (T,)
        ids, gap, runway = [border] * k, 0, self.config.runway
        u = noise["u"].clamp(min=U_MIN)
        for t in range(width):
            logits = sampler.logits(ids[-k:]) / self.config.temperature  # (V,)
            on_ground = 0 < self.config.max_gap <= gap or not runway <= t < width - runway
            allowed = self._allowed(ids[-1], border, last=t == width - 1, pits=pits if on_ground else None)
            probs = torch.softmax(logits.masked_fill(~allowed, float("-inf")), dim=0)
            cdf = torch.cumsum(probs, dim=0)
            ids.append(min(int(torch.searchsorted(cdf, u[t] * cdf[-1])), len(cdf) - 1))
            gap = gap + 1 if pits[ids[-1]] else 0
        grid = net.vocab[torch.tensor(ids[k:])].T  # (H, W)
        calm = movers[grid] & (noise["enemies"] >= self.config.enemies)[None, :]  # (H, W)
        return grid.masked_fill(calm, self._air_id())

    def _air_id(self) -> int:
        """The training levels' most common walkable tile: what a calmed enemy becomes."""
        walkable = torch.tensor([t.walkable for t in self.tileset])
        counts = torch.bincount(self.module.vocab.ravel(), minlength=len(self.tileset)) * walkable
        return int(counts.argmax())

    def _allowed(self, before: int, border: int, *, last: bool, pits: torch.Tensor | None) -> torch.Tensor:
        """(V,) columns that keep every pipe whole after column ``before`` and, given the
        ``pits`` (V,) when the gap is at its widest, stand on ground."""
        net = self.module
        allowed = net.can_start.clone() if before == border else net.follows[before].clone()
        if last:
            allowed &= net.can_end
        if pits is not None and bool((allowed & ~pits).any()):  # pipes first: a wider gap, not a broken pipe
            allowed &= ~pits
        # A pipe half with no partner anywhere in the vocabulary: better a broken pipe than no level.
        return allowed if bool(allowed.any()) else torch.ones_like(allowed)

    # ---- training ----------------------------------------------------------------
    def training_setup(self, data: Any, params: dict[str, Any]) -> tuple["ColumnLevel", torch.Tensor, torch.Tensor]:
        corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
        if corpus.view != "side-view":
            raise ParameterError(f"{self.name} draws platformers column by column; this corpus is "
                                 f"{corpus.view} (train level/transformer, level/vae or level/gan on it)")
        corpus = training_corpus(corpus)
        height = max(level.shape[0] for level in corpus.levels)
        config = self.config.replace(**{"width": max(level.shape[1] for level in corpus.levels), **params,
                                        "height": height, "column_rows": height, "tiles": len(corpus.tileset)})
        parts = {split: grown_to(terrain(levels, corpus), height) for split, levels in split_corpus(corpus).items()}
        train = parts["train"]
        if config.augment:  # a level read right to left, its pipes' halves swapped, is still a level
            mirror = mirror_ids(corpus.tileset)
            train = train + [mirror[g[:, ::-1]] for g in train]
        vocab, sequences = vocabulary(train)
        model = type(self)(config.replace(vocab=len(vocab)))
        model.set_legend(corpus.legend)
        follows, first, last = pipe_rules(vocab, model.tileset)
        net = model.module
        net.vocab.copy_(torch.from_numpy(vocab))
        net.follows.copy_(torch.from_numpy(follows))
        net.can_start.copy_(torch.from_numpy(first))
        net.can_end.copy_(torch.from_numpy(last))
        k = model.config.context
        val = [_nearest(vocab, g) for g in parts["validation"]]
        return model, _examples(sequences, k, len(vocab)), _examples(val, k, len(vocab))

    def training_step(self, batch: torch.Tensor, optimizers: list[torch.optim.Optimizer],
                      generator: torch.Generator) -> dict[str, float]:
        (optimizer,) = optimizers
        loss = self._loss(batch, generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"nll": float(loss.detach())}

    def _loss(self, batch: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Mean cross-entropy of each example's last column given the K before it: batch (B, K + 1);
        dropout when a training ``generator`` is given."""
        logits = self.module.logits(batch[:, :-1], self.module.embeddings(), generator)
        return F.cross_entropy(logits, batch[:, -1])

    def validation_loss(self, data: torch.Tensor, generator: torch.Generator) -> float:
        with torch.no_grad():
            return float(self._loss(data))


def _nearest(vocab: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Each column of ``grid`` (H, W) as the id of the vocabulary column with fewest tiles different."""
    different = (grid.T[:, None, :] != vocab[None, :, :]).sum(axis=2)  # (W, V)
    return different.argmin(axis=1)


def _examples(sequences: list[np.ndarray], k: int, border: int) -> torch.Tensor:
    """(N, K + 1) int64: every column of every sequence with the K ids before it (BORDER padded)."""
    rows = []
    for ids in sequences:
        padded = np.concatenate([np.full(k, border), ids])
        rows.append(np.lib.stride_tricks.sliding_window_view(padded, k + 1))
    return torch.from_numpy(np.concatenate(rows).astype(np.int64)) if rows else torch.zeros(0, k + 1,
                                                                                             dtype=torch.long)
