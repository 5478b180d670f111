"""level/transformer's sampler: a level drawn tile by tile in the model's scan order.

Every slot of a tile's neighbourhood precedes it in raster order (the edge slots below read
only whether the level goes on there: INSIDE or BORDER), so tiles are drawn one by one in that
order, each the inverse CDF of its masked softmax at ``temperature`` at its own uniform (one
per tile, from ``draw_noise``). The network is folded into per-level constants
(:class:`ScanTables`) and the whole scan is one compiled call (``_scan_kernels``): a tile is a
few dozen d-wide vector operations, which as torch ops cost more to dispatch than to compute,
even batched along the anti-diagonal wavefront (``wavefront_time``: W + (L+1)(H-1) passes of
about H / (L+1) tiles; about twice as slow). The compiled call splits each such pass between
up to ``MAX_LANES`` threads; every tile still reads only finished tiles, so the level is the
one raster order draws, for any thread count.

The draw compares a uniform with float64 cumulative probabilities that differ from the
module's forward (and from one CPU's kernels to another's) by about 1e-15, so a tile changes
only if its uniform falls that close to a step of its CDF.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch

from procgen.generators.learned.levels._scan_kernels import draw_level
from procgen.generators.learned.levels.neighbourhood import extra_tokens, margins, pad, wavefront_time
from procgen.generators.learned.levels.transformer_net import ContextTransformer, control_features

__all__ = ["ScanTables", "sample_scan"]

U_MIN = 1e-7  # a uniform of exactly 0 would pick a masked first tile; nudge it inside (0, 1)
# A 64-wide pass holds about 13 tiles; past a few threads, waking them costs more than they draw.
MAX_LANES = 4


def _array(t: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(t.detach().numpy(), dtype=np.float64)


class ScanTables:
    """A :class:`ContextTransformer` specialised to one level's control and temperature, as the
    float64 arrays :func:`draw_level` takes.

    A context token's key and value depend on its (slot, tile) pair alone, so they are tables
    of S * vocab * heads rows (the module's row order); the first block's query is the control
    embedding, the same for every tile, so its scores are one table too. Weights are stored
    (in, out) and stacked over the layers; the temperature and the marker mask are folded
    into the head.
    """

    def __init__(self, net: ContextTransformer, control: tuple[float, float], temperature: float,
                 blocked: torch.Tensor) -> None:
        tokens = net.tokens()  # (J, d), J = S * vocab
        d = tokens.shape[1]
        self.vocab, self.heads = net.vocab, net.heads
        e = d // net.heads
        x0 = net.control(control_features(torch.tensor([control])))  # (1, d)
        parts: dict[str, list[torch.Tensor]] = {}
        for b, block in enumerate(net.blocks):
            keys, values = block.keys_values(tokens)  # (J, h, e) each
            w_q, b_q = block.q.weight.T / math.sqrt(e), block.q.bias / math.sqrt(e)  # 1/sqrt(e) folded in
            if b == 0:
                q0 = (torch.layer_norm(x0, (d,), block.norm_q.weight, block.norm_q.bias, block.norm_q.eps) @ w_q
                      + b_q).view(net.heads, e)
                first = _array((keys * q0).sum(-1).reshape(-1))  # (J*h,)
            layer = {"norm_q": torch.stack([block.norm_q.weight, block.norm_q.bias]), "w_q": w_q, "b_q": b_q,
                     "keys": keys.reshape(-1, e), "values": values.reshape(-1, e),
                     "norm_ff": torch.stack([block.norm_ff.weight, block.norm_ff.bias]),
                     "w_o": block.proj.weight.T, "b_o": block.proj.bias, "w1": block.ff1.weight.T,
                     "b1": block.ff1.bias, "w2": block.ff2.weight.T, "b2": block.ff2.bias}
            for name, value in layer.items():
                parts.setdefault(name, []).append(value)
        stacked = {name: _array(torch.stack(values)) for name, values in parts.items()}  # (L, ...) each
        self.arrays = (first, _array(x0[0]), stacked["norm_q"], stacked["norm_ff"], stacked["w_q"],
                       stacked["b_q"], stacked["keys"], stacked["values"], stacked["w_o"], stacked["b_o"],
                       stacked["w1"], stacked["b1"], stacked["w2"], stacked["b2"],
                       _array(torch.stack([net.norm.weight, net.norm.bias])), _array(net.head.weight.T / temperature),
                       _array((net.head.bias / temperature).masked_fill(blocked, float("-inf"))))


def passes(height: int, width: int, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(order, starts): the raster indices (H*W,) of the tiles sorted by wavefront pass, and
    where each pass begins in that order ((P + 1,), the last = H*W). The pass c + a r takes
    the least slope a with dc + a dr < 0 for every slot above (dr < 0), so every context tile
    lies in an earlier pass; a slot on the tile's row is to its left, one below reads no tile."""
    above = offsets[offsets[:, 0] < 0]
    slope = int(max(1, (above[:, 1] // -above[:, 0]).max() + 1)) if len(above) else 1
    t = wavefront_time(height, width, slope - 1).ravel()  # (H*W,) each tile's pass
    order = np.argsort(t, kind="stable")
    return order, np.searchsorted(t[order], np.arange(int(t.max()) + 2))


def sample_scan(tables: ScanTables, uniforms: torch.Tensor, offsets: np.ndarray, tiles: int,
                record: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Tile ids (H, W) drawn in scan order at ``uniforms`` (H, W), and with ``record`` the
    probability (H, W) each tile was drawn with."""
    height, width = uniforms.shape
    border, _, inside = extra_tokens(tiles)
    top, side, _ = margins(offsets)
    padded_w = width + 2 * side
    # BORDER around, INSIDE on the level's undrawn tiles: the edge slots below read those.
    grid = pad(torch.full((1, height, width), inside, dtype=torch.long), offsets, border).reshape(-1).numpy().copy()
    rows, cols = np.meshgrid(np.arange(top, top + height), np.arange(side, side + width), indexing="ij")
    positions = (rows * padded_w + cols).ravel()  # (H*W,) raster order
    drawn = np.ones(grid.shape)
    order, starts = passes(height, width, offsets)
    lanes = min(numba.get_num_threads(), MAX_LANES)
    draw_level(grid, positions, order, starts, lanes, (offsets[:, 0] * padded_w + offsets[:, 1]).astype(np.int64),
               uniforms.reshape(-1).clamp_min(U_MIN).numpy().astype(np.float64), tables.vocab, tables.heads,
               *tables.arrays, drawn, record)
    crop = (slice(top, top + height), slice(side, side + width))
    ids = torch.from_numpy(grid.reshape(-1, padded_w)[crop].copy())
    return ids, torch.from_numpy(drawn.reshape(-1, padded_w)[crop].copy()) if record else None
