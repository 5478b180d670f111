"""Compiled (numba) solver behind level/wfc: observe, propagate, backtrack.

Two patterns sit side by side in direction ``d`` when the part of the first that the
second overlaps equals the part of the second that the first overlaps, so a direction's
compatibility table is the equality of two key vectors, ``key_out[d, p] == key_in[d, q]``
(``_wfc_patterns.Patterns.compatible`` builds the boolean table). The solver keeps the
keys and, per key, the bitset of the patterns that offer it and of those that take it,
stored sparsely as (word, bits) pairs: the overworld corpus has ~17,000 patterns, whose
four dense tables would take over a gigabyte.

Propagation is AC-3 over a first-in first-out queue of changed cells. A neighbour is
revised from whichever side is cheaper: the keys the changed cell lost (from the
patterns it lost, when it lost fewer than it kept), or the keys it still offers. A
decision's propagation stops ``radius`` cells (Manhattan) from it, except for cells it
decides: far trims are small and frequent (each cell would be trimmed about a hundred
times before it is decided), and skipping them cannot break a level, since every decided
cell is propagated, so neighbours always agree. It only lets some contradictions show
later, where backtracking catches them (vglc-rooms, 64x64: radius 4 takes 0.5 s and 7
backtracks, no radius 2 s and none, radius 2 thousands of backtracks).

Backtracking undoes decisions on a trail (``_wfc_state.undo``) and bans the pattern of the
decision it returns to at its cell. It jumps back to the latest decision that can have
reached the contradiction (``_culprit``), further for contradictions in a row. Sums run in
a fixed order, so a seed gives the same level on every CPU.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from procgen.generators.handwritten._wfc_state import (ONE, entropy, grown, has, log_change, lowest, new_trail,
                                                       next_cell, popcount, push, undo)

OK, STUCK, UNSATISFIABLE = 0, 1, 2
# tables: weights, w log w, key_out, key_in, (ptr, word, bits) of takers, (ptr, word, bits) of
# offerers, neighbours, full domain, geometry [rows, cols, periodic, radius]
_IN, _IN_WORD, _IN_BITS, _OUT, _OUT_WORD, _OUT_BITS, _NBR, _FULL, _GEO = 4, 5, 6, 7, 8, 9, 10, 11, 12
# scratch: queue, slot_of (-2 idle, -1 queued without slot), key stamps, key list, out row,
# counters [length, stamp, head, free slots, origin, conflict cell], slot pool, free list, patterns removed
_LEN, _STAMP, _HEAD, _FREE, _ORIGIN, _CONFLICT = 0, 1, 2, 3, 4, 5


@njit(cache=True)
def _scratch(cells: int, words: int, keys: int):
    slots = min(cells, max(64, (1 << 22) // words))  # at most 32 MB: a cell past it is revised in full
    counters = np.array([0, 0, 0, slots, -1, -1], np.int64)
    return (np.zeros(cells, np.int64), np.full(cells, -2, np.int64), np.zeros(keys, np.int64),
            np.zeros(keys, np.int64), np.zeros(words, np.uint64), counters, np.zeros((slots, words), np.uint64),
            np.arange(slots)[::-1].copy(), np.zeros(cells, np.int64))


@njit(cache=True)
def _near(geo: np.ndarray, a: int, b: int, reach: int) -> bool:
    """Is cell ``b`` within ``reach`` cells (Manhattan, wrapping if periodic) of cell ``a``
    (-1: everywhere)?"""
    if a < 0:
        return True
    dr, dc = abs(a // geo[1] - b // geo[1]), abs(a % geo[1] - b % geo[1])
    if geo[2]:
        dr, dc = min(dr, geo[0] - dr), min(dc, geo[1] - dc)
    return dr + dc <= reach


@njit(cache=True)
def _enqueue(scratch, cell: int) -> None:
    queue, slot_of, counters, pool, free = scratch[0], scratch[1], scratch[5], scratch[6], scratch[7]
    if slot_of[cell] != -2:
        return
    slot = -1
    if counters[_FREE] > 0:
        counters[_FREE] -= 1
        slot = free[counters[_FREE]]
        pool[slot, :] = 0
    slot_of[cell] = slot
    scratch[8][cell] = 0
    queue[(counters[_HEAD] + counters[_LEN]) % queue.shape[0]] = cell
    counters[_LEN] += 1


@njit(cache=True)
def _release(scratch, cell: int) -> None:
    slot_of, counters, free = scratch[1], scratch[5], scratch[7]
    if slot_of[cell] >= 0:
        free[counters[_FREE]] = slot_of[cell]
        counters[_FREE] += 1
    slot_of[cell] = -2


@njit(cache=True)
def _dequeue(scratch) -> int:
    queue, counters = scratch[0], scratch[5]
    cell = queue[counters[_HEAD]]
    counters[_HEAD] = (counters[_HEAD] + 1) % queue.shape[0]
    counters[_LEN] -= 1
    return cell


@njit(cache=True)
def _assign(state, tables, trail, scratch, cell: int, new: np.ndarray, new_count: int):
    """Give ``cell`` the domain ``new`` (logged on the trail, and queued with what it lost
    unless it lies past the radius); its weight sums follow."""
    dom, count, sw, swl = state
    weights, wlogw = tables[0], tables[1]
    trail = log_change(state, trail, cell, new)
    if new_count == 1 or _near(tables[_GEO], scratch[5][_ORIGIN], cell, tables[_GEO][3]):
        _enqueue(scratch, cell)
        slot, pool = scratch[1][cell], scratch[6]
        if slot >= 0:
            for wi in range(dom.shape[1]):
                pool[slot, wi] |= dom[cell, wi] & ~new[wi]
        scratch[8][cell] += count[cell] - new_count
    keep = count[cell] - new_count > new_count  # re-add what stays, or take away what went
    a, b = (0.0, 0.0) if keep else (sw[cell], swl[cell])
    for wi in range(dom.shape[1]):
        bits = new[wi] if keep else dom[cell, wi] & ~new[wi]
        while bits:
            p = wi * 64 + lowest(bits)
            a, b = (a + weights[p], b + wlogw[p]) if keep else (a - weights[p], b - wlogw[p])
            bits &= bits - ONE
    sw[cell], swl[cell] = a, b
    dom[cell, :] = new
    count[cell] = new_count
    return trail


# ---- revising a neighbour ---------------------------------------------------------------------

@njit(cache=True)
def _offers(row: np.ndarray, ptr: np.ndarray, word: np.ndarray, bits: np.ndarray, d: int, k: int) -> bool:
    """Does a pattern of ``row`` offer key ``k`` towards direction ``d`` (offerers ``ptr``,
    ``word``, ``bits``)? Hot: it takes arrays, not the tables, which cost a reference count each."""
    for j in range(ptr[d, k], ptr[d, k + 1]):
        if row[word[d, j]] & bits[d, j]:
            return True
    return False


@njit(cache=True)
def _without_lost(state, tables, scratch, c: int, n: int, d: int) -> int:
    """``out`` := the neighbour's patterns less those taking a key ``c`` no longer offers,
    found from what ``c`` lost; returns how many are kept."""
    dom, count = state[0], state[1]
    stamp, out, gen, lost = scratch[2], scratch[4], scratch[5][_STAMP], scratch[6][scratch[1][c]]
    key_out, ptr, word, takers = tables[2], tables[_IN], tables[_IN_WORD], tables[_IN_BITS]
    offer_ptr, offer_word, offer_bits, row = tables[_OUT], tables[_OUT_WORD], tables[_OUT_BITS], dom[c]
    out[:] = dom[n]
    kept = count[n]
    for wi in range(lost.shape[0]):
        bits = lost[wi]
        while bits:
            k = key_out[d, wi * 64 + lowest(bits)]
            if stamp[k] != gen:
                stamp[k] = gen
                if not _offers(row, offer_ptr, offer_word, offer_bits, d, k):
                    for j in range(ptr[d, k], ptr[d, k + 1]):
                        hit = out[word[d, j]] & takers[d, j]
                        kept -= popcount(hit)
                        out[word[d, j]] ^= hit
            bits &= bits - ONE
    return kept


@njit(cache=True)
def _with_offered(state, tables, scratch, c: int, n: int, d: int) -> int:
    """``out`` := the neighbour's patterns that take a key ``c`` still offers; returns how many."""
    dom, count = state[0], state[1]
    stamp, keys, out, gen = scratch[2], scratch[3], scratch[4], scratch[5][_STAMP]
    key_out, key_in, ptr, word, takers = tables[2], tables[3], tables[_IN], tables[_IN_WORD], tables[_IN_BITS]
    found, filed = 0, 0
    for wi in range(dom.shape[1]):
        bits = dom[c, wi]
        while bits:
            k = key_out[d, wi * 64 + lowest(bits)]
            if stamp[k] != gen:
                stamp[k], keys[found] = gen, k
                found += 1
                filed += ptr[d, k + 1] - ptr[d, k]
            bits &= bits - ONE
    kept = 0
    if filed < count[n]:  # gather the takers of the offered keys, a word at a time
        out[:] = 0
        for i in range(found):
            for j in range(ptr[d, keys[i]], ptr[d, keys[i] + 1]):
                hit = dom[n, word[d, j]] & takers[d, j] & ~out[word[d, j]]
                kept += popcount(hit)
                out[word[d, j]] |= hit
        return kept
    for wi in range(dom.shape[1]):  # or test each pattern the neighbour holds
        bits = dom[n, wi]
        out[wi] = bits
        while bits:
            low = lowest(bits)
            if stamp[key_in[d, wi * 64 + low]] == gen:
                kept += 1
            else:
                out[wi] &= ~(ONE << np.uint64(low))
            bits &= bits - ONE
    return kept


@njit(cache=True)
def _propagate(state, tables, trail, heap, scratch, noise: np.ndarray):
    """Revise the neighbours of queued cells until nothing changes; False on a contradiction."""
    count, nbr, counters = state[1], tables[_NBR], scratch[5]
    while counters[_LEN] > 0:
        c = _dequeue(scratch)
        # A decided cell is always revised in full: changes past the radius were not
        # queued, so what it lost before may be unknown, and neighbours must agree with it.
        by_loss = count[c] > 1 and scratch[1][c] >= 0 and scratch[8][c] <= count[c]
        for d in range(4):
            n = nbr[c, d]
            if n < 0 or count[n] == 1 and count[c] > 1:
                continue  # a decided neighbour is checked from its own side when it is dequeued
            counters[_STAMP] += 1
            if by_loss:
                kept = _without_lost(state, tables, scratch, c, n, d)
            else:
                kept = _with_offered(state, tables, scratch, c, n, d)
            if kept == count[n]:
                continue
            trail = _assign(state, tables, trail, scratch, n, scratch[4], kept)
            if kept == 0:
                counters[_CONFLICT] = n
                _release(scratch, c)
                while counters[_LEN] > 0:
                    _release(scratch, _dequeue(scratch))
                return False, trail, heap
            if kept > 1:
                heap = push(heap, entropy(state, noise, n), n)
        _release(scratch, c)
    return True, trail, heap


# ---- observation and search ------------------------------------------------------------------

@njit(cache=True)
def _choose(row: np.ndarray, weights: np.ndarray, total: float, u: float) -> int:
    """A pattern of ``row`` drawn with probability proportional to its weight (``u`` uniform)."""
    target, acc, last = u * total, 0.0, -1
    for wi in range(row.shape[0]):
        bits = row[wi]
        while bits:
            last = wi * 64 + lowest(bits)
            acc += weights[last]
            if acc > target:
                return last
            bits &= bits - ONE
    return last  # rounding left the running sum a hair short of the total


@njit(cache=True)
def _sums(row: np.ndarray, weights: np.ndarray, wlogw: np.ndarray):
    """(patterns, sum of weights, sum of w log w) of a domain."""
    count, sw, swl = 0, 0.0, 0.0
    for wi in range(row.shape[0]):
        bits = row[wi]
        while bits:
            p = wi * 64 + lowest(bits)
            count, sw, swl = count + 1, sw + weights[p], swl + wlogw[p]
            bits &= bits - ONE
    return count, sw, swl


@njit(cache=True)
def _start(dom: np.ndarray, tables, noise: np.ndarray):
    """Counts and weight sums, an empty trail, the heap of undecided cells, and the constrained
    cells queued with what they lost."""
    cells, words = dom.shape
    weights, wlogw, full = tables[0], tables[1], tables[_FULL]
    count, sw, swl = np.zeros(cells, np.int64), np.zeros(cells), np.zeros(cells)
    heap = (np.zeros(cells), np.zeros(cells, np.int64), np.zeros(1, np.int64))
    scratch = _scratch(cells, words, tables[_IN].shape[1])
    state = (dom, count, sw, swl)
    full_sums = _sums(full, weights, wlogw)
    for cell in range(cells):
        whole = True
        for wi in range(words):
            if dom[cell, wi] != full[wi]:
                whole = False
                break
        # Most cells start full: one sum serves them all (the same bits in the same order,
        # so the same floats as summing each).
        count[cell], sw[cell], swl[cell] = full_sums if whole else _sums(dom[cell], weights, wlogw)
        if count[cell] > 1:
            heap = push(heap, entropy(state, noise, cell), cell)
        if count[cell] < weights.shape[0]:
            _enqueue(scratch, cell)
            if scratch[1][cell] >= 0:
                scratch[6][scratch[1][cell]] = full & ~dom[cell]
            scratch[8][cell] = weights.shape[0] - count[cell]
    return state, new_trail(), heap, scratch


@njit(cache=True)
def _fix(state, tables, trail, heap, scratch, noise: np.ndarray, cell: int, pattern: int, ban: bool):
    """Decide ``cell`` to be ``pattern`` (or, with ``ban``, never to be it) and propagate."""
    dom, count, out = state[0], state[1], scratch[4]
    bit = ONE << np.uint64(pattern & 63)
    if ban:
        out[:] = dom[cell]
        out[pattern >> 6] &= ~bit
    else:
        out[:] = 0
        out[pattern >> 6] = bit
    scratch[5][_ORIGIN] = cell
    trail = _assign(state, tables, trail, scratch, cell, out, count[cell] - 1 if ban else 1)
    if count[cell] > 1:
        heap = push(heap, entropy(state, noise, cell), cell)
    return _propagate(state, tables, trail, heap, scratch, noise)


@njit(cache=True)
def _culprit(geo: np.ndarray, decided: np.ndarray, depth: int, conflict: int, nearby: int) -> int:
    """The ``nearby``-th latest decision that can have reached the cell of a contradiction
    (the earliest such one if there are fewer), else the last decision.

    On a large level the last decision is often far from the contradiction (observation
    jumps to wherever entropy is least), and undoing it alone, again and again, thrashes:
    this jumps back over decisions that could not have reached it (backjumping).
    """
    reach, found, back = 2 * geo[3] + 2, 0, depth - 1
    for i in range(depth - 1, max(-1, depth - 1 - 64 * nearby), -1):
        if _near(geo, decided[i], conflict, reach):
            back, found = i, found + 1
            if found == nearby:
                break
    return back


@njit(cache=True)
def solve(dom: np.ndarray, tables, noise: np.ndarray, uniforms: np.ndarray, budget: int):
    """Collapse ``dom`` (cells, words) in place; returns (status, backtracks, decisions).

    ``tables``: see ``_IN`` and the lines above it. ``uniforms`` needs ``cells + budget``
    draws: a decision takes one, and ``budget`` bounds the decisions undone. ``noise``
    (cells,) breaks entropy ties.
    """
    state, trail, heap, scratch = _start(dom, tables, noise)
    ok, trail, heap = _propagate(state, tables, trail, heap, scratch, noise)  # no radius: constraints spread fully
    if not ok:
        return UNSATISFIABLE, 0, 0
    cells = dom.shape[0]
    decided, chosen, marks = np.zeros(cells, np.int64), np.zeros(cells, np.int64), np.zeros(cells, np.int64)
    depth, backtracks, draws = 0, 0, 0
    streak, streak_depth = 0, 0  # contradictions with little progress between them
    while True:
        cell = next_cell(state, heap, noise)
        if cell < 0:
            return OK, backtracks, draws
        pattern = _choose(dom[cell], tables[0], state[2][cell], uniforms[draws])
        draws += 1
        decided[depth], chosen[depth], marks[depth] = cell, pattern, trail[7][0]
        depth += 1
        ok, trail, heap = _fix(state, tables, trail, heap, scratch, noise, cell, pattern, False)
        while not ok:
            if depth == 0:
                return UNSATISFIABLE, backtracks, draws
            # A contradiction soon after the last one: that one was not undone far enough,
            # so each one in a row undoes twice as many nearby decisions.
            streak = streak + 1 if depth <= streak_depth + 16 else 0
            streak_depth = depth if streak == 0 else streak_depth
            back = _culprit(tables[_GEO], decided, depth, scratch[5][_CONFLICT], 1 << min(streak, 10))
            if backtracks + depth - back > budget or draws >= uniforms.shape[0]:
                return STUCK, backtracks, draws
            backtracks += depth - back
            depth = back
            heap = undo(state, trail, heap, noise, marks[depth])
            ok, trail, heap = _fix(state, tables, trail, heap, scratch, noise, decided[depth], chosen[depth], True)
