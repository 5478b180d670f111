"""State of the level/wfc solver (numba): bit tricks, the min-entropy heap and the undo trail.

A domain is a bitset: one bit per pattern in uint64 words. The heap holds (entropy, cell)
entries and skips stale ones when popped, so a change only pushes. The trail logs every
domain change (the old value of each word it changes) so a backtrack restores exactly the
state before a decision.
"""

from __future__ import annotations

import numpy as np
from numba import njit

ONE = np.uint64(1)
_MAGIC = np.uint64(0x03F79D71B4CB0A89)  # a de Bruijn sequence: a set bit's index in one multiply
_DEBRUIJN = np.zeros(64, dtype=np.int64)
for _bit in range(64):
    _DEBRUIJN[((1 << _bit) * 0x03F79D71B4CB0A89 % 2**64) >> 58] = _bit


@njit(cache=True, inline="always")
def lowest(word: np.uint64) -> int:
    """Index of the lowest set bit of a non-zero word."""
    return _DEBRUIJN[((word & (~word + ONE)) * _MAGIC) >> np.uint64(58)]


@njit(cache=True, inline="always")
def popcount(word: np.uint64) -> int:
    """Set bits of a word (SWAR: no instruction that some CPU lacks)."""
    word = word - ((word >> np.uint64(1)) & np.uint64(0x5555555555555555))
    word = (word & np.uint64(0x3333333333333333)) + ((word >> np.uint64(2)) & np.uint64(0x3333333333333333))
    word = (word + (word >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((word * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True, inline="always")
def has(row: np.ndarray, p: int) -> bool:
    return (row[p >> 6] >> np.uint64(p & 63)) & ONE != 0


@njit(cache=True)
def grown(array: np.ndarray, needed: int) -> np.ndarray:
    if needed <= array.shape[0]:
        return array
    bigger = np.empty(max(needed, 2 * array.shape[0]), dtype=array.dtype)
    bigger[:array.shape[0]] = array
    return bigger


@njit(cache=True)
def entropy(state, noise: np.ndarray, cell: int) -> float:
    """Shannon entropy of the cell's pattern weights plus its tie-breaking noise."""
    sw, swl = state[2][cell], state[3][cell]
    return np.log(sw) - swl / sw + noise[cell]


# ---- the min-entropy heap: (keys, cells, [size]) ------------------------------------------

@njit(cache=True)
def push(heap, key: float, cell: int):
    keys, cells, size = heap
    n = size[0]
    keys, cells = grown(keys, n + 1), grown(cells, n + 1)
    i = n
    while i > 0:  # ties go to the lower cell index, so the order never depends on history
        up = (i - 1) // 2
        if keys[up] < key or (keys[up] == key and cells[up] <= cell):
            break
        keys[i], cells[i] = keys[up], cells[up]
        i = up
    keys[i], cells[i] = key, cell
    size[0] = n + 1
    return keys, cells, size


@njit(cache=True)
def _pop(heap) -> None:
    keys, cells, size = heap
    n = size[0] - 1
    key, cell = keys[n], cells[n]
    i = 0
    while 2 * i + 1 < n:
        c = 2 * i + 1
        if c + 1 < n and (keys[c + 1] < keys[c] or (keys[c + 1] == keys[c] and cells[c + 1] < cells[c])):
            c += 1
        if key < keys[c] or (key == keys[c] and cell <= cells[c]):
            break
        keys[i], cells[i] = keys[c], cells[c]
        i = c
    keys[i], cells[i] = key, cell
    size[0] = n


@njit(cache=True)
def next_cell(state, heap, noise: np.ndarray) -> int:
    """The undecided cell of least entropy, or -1; stale heap entries are skipped."""
    count = state[1]
    while heap[2][0] > 0:
        key, cell = heap[0][0], heap[1][0]
        _pop(heap)
        if count[cell] > 1 and key == entropy(state, noise, cell):
            return cell
    return -1


# ---- the trail: (cell, count, sw, swl, start, word index, old word, [entries, words]) -------

@njit(cache=True)
def log_change(state, trail, cell: int, new: np.ndarray):
    """Log the cell's counts and the old value of each word that ``new`` changes. Only changed
    words: a trim late in a run changes a word or two of a few hundred, and logging whole
    domains wrote gigabytes a level on the overworld corpus (most of a run's time went to
    faulting fresh pages in for the trail)."""
    dom, count = state[0], state[1]
    t_cell, t_count, t_sw, t_swl, t_start, w_index, w_value, sizes = trail
    e, f = sizes[0], sizes[1]
    t_cell, t_count, t_sw, t_swl = grown(t_cell, e + 1), grown(t_count, e + 1), grown(t_sw, e + 1), grown(t_swl, e + 1)
    t_start = grown(t_start, e + 2)
    t_cell[e], t_count[e], t_sw[e], t_swl[e], t_start[e] = cell, count[cell], state[2][cell], state[3][cell], f
    w_index, w_value = grown(w_index, f + dom.shape[1]), grown(w_value, f + dom.shape[1])
    for wi in range(dom.shape[1]):
        if dom[cell, wi] != new[wi]:
            w_index[f], w_value[f] = wi, dom[cell, wi]
            f += 1
    t_start[e + 1] = f
    sizes[0], sizes[1] = e + 1, f
    return t_cell, t_count, t_sw, t_swl, t_start, w_index, w_value, sizes


@njit(cache=True)
def undo(state, trail, heap, noise: np.ndarray, mark: int):
    """Restore every domain changed since the trail held ``mark`` entries, newest first (each
    entry puts back the words it changed), and put the restored cells back on the heap."""
    dom, count, sw, swl = state
    t_cell, t_count, t_sw, t_swl, t_start, w_index, w_value, sizes = trail
    for e in range(sizes[0] - 1, mark - 1, -1):
        cell = t_cell[e]
        for j in range(t_start[e], t_start[e + 1]):
            dom[cell, w_index[j]] = w_value[j]
        count[cell], sw[cell], swl[cell] = t_count[e], t_sw[e], t_swl[e]
        if count[cell] > 1:
            heap = push(heap, entropy(state, noise, cell), cell)
    sizes[1], sizes[0] = t_start[mark], mark
    return heap


@njit(cache=True)
def new_trail():
    """An empty trail (it grows as it fills)."""
    return (np.zeros(64, np.int64), np.zeros(64, np.int64), np.zeros(64), np.zeros(64), np.zeros(65, np.int64),
            np.zeros(64, np.int64), np.zeros(64, np.uint64), np.zeros(2, np.int64))
