"""Compiled (numba) sampler behind level/transformer: a level drawn tile by tile in scan order.

One tile is a few dozen tiny vector operations (d = 48 wide): as torch ops each costs more
to dispatch than to compute, so the whole scan runs here in one call. Sums run in a fixed
order in float64 with no fast-math, so a tile differs from torch's forward only by rounding
(about 1e-15 in a probability), as one CPU's kernels differ from another's.

The tiles of one wavefront pass (``neighbourhood.wavefront_time``) read only tiles of earlier
passes, so ``prange`` splits each pass between ``lanes`` threads. A tile's arithmetic is the
same whichever thread draws it, and it reads only finished tiles, so the level is the same
bit for bit for any thread count, and the same as drawing the tiles one by one in raster order.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

EPS = 1e-5  # torch's LayerNorm default, as the module uses


@njit(cache=True)
def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, out: np.ndarray) -> None:
    d = x.shape[0]
    mean = 0.0
    for i in range(d):
        mean += x[i]
    mean /= d
    var = 0.0
    for i in range(d):
        var += (x[i] - mean) ** 2
    inv = 1.0 / math.sqrt(var / d + EPS)
    for i in range(d):
        out[i] = (x[i] - mean) * inv * weight[i] + bias[i]


@njit(cache=True)
def _affine(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, out: np.ndarray) -> None:
    """out = x @ weight + bias, weight (in, out): row by row, so the inner loop vectorises."""
    for j in range(out.shape[0]):
        out[j] = bias[j]
    for i in range(x.shape[0]):
        xi = x[i]
        for j in range(out.shape[0]):
            out[j] += xi * weight[i, j]


@njit(cache=True)
def _softmax(scores: np.ndarray) -> float:
    """``scores`` replaced by exp(score - max) in place; returns their sum."""
    top = -np.inf
    for s in range(scores.shape[0]):
        top = max(top, scores[s])
    total = 0.0
    for s in range(scores.shape[0]):
        scores[s] = math.exp(scores[s] - top)
        total += scores[s]
    return total


@njit(cache=True)
def _draw_tile(k: int, pos: int, grid: np.ndarray, slots: np.ndarray, uniforms: np.ndarray, vocab: int,
               heads: int, first: np.ndarray, x0: np.ndarray, norm_q: np.ndarray, norm_ff: np.ndarray,
               w_q: np.ndarray, b_q: np.ndarray, keys: np.ndarray, values: np.ndarray, w_o: np.ndarray,
               b_o: np.ndarray, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray,
               norm_out: np.ndarray, w_head: np.ndarray, b_head: np.ndarray, drawn: np.ndarray, record: bool,
               x: np.ndarray, y: np.ndarray, q: np.ndarray, mixed: np.ndarray, update: np.ndarray,
               hidden: np.ndarray, rows: np.ndarray, scores: np.ndarray, totals: np.ndarray,
               probs: np.ndarray) -> None:
    """Draw tile ``k`` (flat ``pos`` in the padded ``grid``) in place; the arrays from ``x`` on
    are this thread's scratch."""
    layers, d = b_o.shape
    e = d // heads
    n_slots = slots.shape[0]
    for s in range(n_slots):
        rows[s] = (s * vocab + grid[pos + slots[s]]) * heads
    x[:] = x0
    for layer in range(layers):
        if layer > 0:
            _layer_norm(x, norm_q[layer, 0], norm_q[layer, 1], y)
            _affine(y, w_q[layer], b_q[layer], q)
        keys_l, values_l = keys[layer], values[layer]
        for s in range(n_slots):  # slot-major: a slot's rows for every head lie side by side
            row = rows[s]
            if layer == 0:
                scores[s] = first[row:row + heads]
            else:
                scores[s] = 0.0
                for i in range(e):  # the heads' sums side by side, each over i in order
                    for h in range(heads):
                        scores[s, h] += q[h * e + i] * keys_l[row + h, i]
        for h in range(heads):
            totals[h] = _softmax(scores[:, h])
        mixed[:] = 0.0
        for s in range(n_slots):
            row = rows[s]
            for h in range(heads):
                weight = scores[s, h] / totals[h]
                for i in range(e):
                    mixed[h * e + i] += weight * values_l[row + h, i]
        _affine(mixed, w_o[layer], b_o[layer], update)
        x += update
        _layer_norm(x, norm_ff[layer, 0], norm_ff[layer, 1], y)
        _affine(y, w1[layer], b1[layer], hidden)
        for j in range(hidden.shape[0]):
            hidden[j] = hidden[j] / (1.0 + math.exp(-hidden[j]))  # SiLU
        _affine(hidden, w2[layer], b2[layer], update)
        x += update
    _layer_norm(x, norm_out[0], norm_out[1], y)
    _affine(y, w_head, b_head, probs)  # logits, markers -inf
    total = _softmax(probs)
    # As torch: probabilities, their running sum, the first tile whose sum reaches u * the last.
    last = 0.0
    for t in range(probs.shape[0]):
        probs[t] /= total
        last += probs[t]
    target, cdf, tile = uniforms[k] * last, 0.0, probs.shape[0] - 1
    for t in range(probs.shape[0]):
        cdf += probs[t]
        if cdf >= target:
            tile = t
            break
    grid[pos] = tile
    if record:
        drawn[pos] = probs[tile] / last


@njit(cache=True, parallel=True)
def draw_level(grid: np.ndarray, positions: np.ndarray, order: np.ndarray, starts: np.ndarray, lanes: int,
               slots: np.ndarray, uniforms: np.ndarray, vocab: int, heads: int, first: np.ndarray, x0: np.ndarray,
               norm_q: np.ndarray, norm_ff: np.ndarray, w_q: np.ndarray, b_q: np.ndarray, keys: np.ndarray,
               values: np.ndarray, w_o: np.ndarray, b_o: np.ndarray, w1: np.ndarray, b1: np.ndarray,
               w2: np.ndarray, b2: np.ndarray, norm_out: np.ndarray, w_head: np.ndarray, b_head: np.ndarray,
               drawn: np.ndarray, record: bool) -> None:
    """Draw the tiles at ``positions`` (flat indices into the padded ``grid``) in place.

    Pass p draws tiles ``order[starts[p]:starts[p + 1]]`` (indices into positions and
    uniforms), split between ``lanes`` threads. slots (S,) flat offsets of a tile's context
    slots; uniforms (N,) one per tile; layer l's tables keys / values (L, S*vocab*heads, e)
    by row (slot * vocab + tile) * heads + head; norms (L, 2, d) weight and bias; first
    (S*vocab*heads,) the first block's scores (its query is the control's, the same for
    every tile). With ``record``, ``drawn`` gets each tile's probability.
    """
    d = b_o.shape[1]
    n_slots = slots.shape[0]
    xs, ys, qs = np.empty((lanes, d)), np.empty((lanes, d)), np.empty((lanes, d))
    mixeds, updates, hiddens = np.empty((lanes, d)), np.empty((lanes, d)), np.empty((lanes, b1.shape[1]))
    rows = np.empty((lanes, n_slots), np.int64)
    scores, totals = np.empty((lanes, n_slots, heads)), np.empty((lanes, heads))
    probs = np.empty((lanes, b_head.shape[0]))
    for p in range(starts.shape[0] - 1):
        for lane in prange(lanes):
            for j in range(starts[p] + lane, starts[p + 1], lanes):
                k = order[j]
                _draw_tile(k, positions[k], grid, slots, uniforms, vocab, heads, first, x0, norm_q, norm_ff, w_q,
                           b_q, keys, values, w_o, b_o, w1, b1, w2, b2, norm_out, w_head, b_head, drawn, record,
                           xs[lane], ys[lane], qs[lane], mixeds[lane], updates[lane], hiddens[lane], rows[lane],
                           scores[lane], totals[lane], probs[lane])
