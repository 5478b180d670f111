"""Noise throughput: procgen's fBm against a Python loop over ``noise.pnoise2`` and FastNoiseLite.

    .venv/bin/python benchmarks/bench_noise.py [--size 1024] [--octaves 6] [--alternatives]

Times a size x size, 6-octave fBm of 2-D gradient noise and prints samples per second and
the ratios, all measured in this run. The ``noise`` loop is timed on a 64x64 subsample
and scaled (its cost per point is constant). ``--alternatives`` also times the backends
that were weighed against numba: plain numpy and torch (float64 and float32), written
the same way as the kernels. A report, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Callable

import numpy as np

from procgen.generators.handwritten.perlin import _GRADIENTS, CANONICAL_PERMUTATION, fbm

SCALE = 64.0  # cells per lattice unit, as landscape/fbm's default
LOOP_SIDE = 64


def best_time(run: Callable[[], object], repeats: int) -> float:
    """Fastest of ``repeats`` timed calls, after one untimed warm-up (compilation, caches)."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def procgen_runs(size: int, octaves: int) -> dict[str, tuple[Callable[[], object], int]]:
    import numba

    cols = np.arange(size)[None, :] / SCALE  # (1, N)
    rows = np.arange(size)[:, None] / SCALE  # (N, 1)
    full_x, full_y = np.broadcast_to(cols, (size, size)), np.broadcast_to(rows, (size, size))

    def grid(threads: int) -> Callable[[], object]:
        def run() -> object:
            numba.set_num_threads(threads)
            try:
                return fbm(cols, rows, octaves=octaves)
            finally:
                numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        return run

    return {
        f"procgen numba grid, {numba.config.NUMBA_NUM_THREADS} threads": (grid(numba.config.NUMBA_NUM_THREADS), 5),
        "procgen numba grid, 1 thread": (grid(1), 5),
        f"procgen numba points, {numba.config.NUMBA_NUM_THREADS} threads":
            (lambda: fbm(full_x, full_y, octaves=octaves), 5),
    }


def noise_loop_time(size: int, octaves: int) -> float:
    """Seconds for size x size pnoise2 calls, scaled from a LOOP_SIDE x LOOP_SIDE subsample."""
    import noise

    def run() -> list[float]:
        return [noise.pnoise2(c / SCALE, r / SCALE, octaves=octaves)
                for r in range(LOOP_SIDE) for c in range(LOOP_SIDE)]

    return best_time(run, 3) * (size * size) / (LOOP_SIDE * LOOP_SIDE)


def fastnoiselite_run(size: int, octaves: int) -> Callable[[], object]:
    from pyfastnoiselite.pyfastnoiselite import FastNoiseLite, FractalType, NoiseType

    generator = FastNoiseLite(0)
    generator.noise_type = NoiseType.NoiseType_Perlin
    generator.fractal_type = FractalType.FractalType_FBm
    generator.fractal_octaves = octaves
    generator.frequency = 1.0 / SCALE
    rows, cols = np.mgrid[0:size, 0:size]
    coords = np.ascontiguousarray(np.stack([cols.ravel(), rows.ravel()]).astype(np.float32))  # (2, N*N)
    return lambda: generator.gen_from_coords(coords)


def alternative_runs(size: int, octaves: int) -> dict[str, tuple[Callable[[], object], int]]:
    """The same fBm in plain numpy and in torch (2 threads), for the record."""
    import torch

    table = np.concatenate([CANONICAL_PERMUTATION, CANONICAL_PERMUTATION]).astype(np.int64)  # (512,)
    gx, gy = _GRADIENTS[table & 15, 0], _GRADIENTS[table & 15, 1]
    x = np.broadcast_to(np.arange(size)[None, :] / SCALE, (size, size))
    y = np.broadcast_to(np.arange(size)[:, None] / SCALE, (size, size))

    def fractal(xp, floor, to_int, x, y, table, gx, gy):  # one formulation for both libraries
        total = 0.0
        for octave in range(octaves):
            xs, ys = x * 2.0**octave, y * 2.0**octave
            x0, y0 = floor(xs), floor(ys)
            fx, fy = xs - x0, ys - y0
            i, j = to_int(x0) & 255, to_int(y0) & 255
            a, b = table[i], table[i + 1]
            h00, h10, h01, h11 = table[a + j], table[b + j], table[a + j + 1], table[b + j + 1]
            u = fx * fx * fx * (fx * (fx * 6.0 - 15.0) + 10.0)
            v = fy * fy * fy * (fy * (fy * 6.0 - 15.0) + 10.0)
            n00, n10 = gx[h00] * fx + gy[h00] * fy, gx[h10] * (fx - 1) + gy[h10] * fy
            n01, n11 = gx[h01] * fx + gy[h01] * (fy - 1), gx[h11] * (fx - 1) + gy[h11] * (fy - 1)
            bottom, top = n00 + u * (n10 - n00), n01 + u * (n11 - n01)
            total = total + 0.5**octave * (bottom + v * (top - bottom))
        return total

    def numpy_run() -> object:
        return fractal(np, np.floor, lambda t: t.astype(np.int64), x, y, table, gx, gy)

    def torch_run(dtype: "torch.dtype") -> Callable[[], object]:
        tx, ty = torch.from_numpy(np.ascontiguousarray(x)).to(dtype), torch.from_numpy(np.ascontiguousarray(y)).to(dtype)
        tt, tgx, tgy = torch.from_numpy(table), torch.from_numpy(gx).to(dtype), torch.from_numpy(gy).to(dtype)

        def run() -> object:
            torch.set_num_threads(2)
            with torch.inference_mode():
                return fractal(torch, torch.floor, lambda t: t.long(), tx, ty, tt, tgx, tgy)
        return run

    return {"numpy float64 (1 thread)": (numpy_run, 2), "torch float64, 2 threads": (torch_run(torch.float64), 3),
            "torch float32, 2 threads": (torch_run(torch.float32), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--octaves", type=int, default=6)
    parser.add_argument("--alternatives", action="store_true", help="also time numpy and torch backends")
    args = parser.parse_args()
    n = args.size * args.size

    seconds = {name: best_time(run, repeats) for name, (run, repeats) in procgen_runs(args.size, args.octaves).items()}
    if args.alternatives:
        seconds |= {name: best_time(run, repeats)
                    for name, (run, repeats) in alternative_runs(args.size, args.octaves).items()}
    seconds["noise.pnoise2 Python loop (64x64, scaled)"] = noise_loop_time(args.size, args.octaves)
    seconds["FastNoiseLite (pyfastnoiselite, 1 thread)"] = best_time(fastnoiselite_run(args.size, args.octaves), 5)

    print(f"{args.size}x{args.size} fBm, {args.octaves} octaves, {os.cpu_count()} CPUs")
    print(f"{'implementation':48s} {'ms':>9s} {'Msamples/s':>11s}")
    for name, t in seconds.items():
        print(f"{name:48s} {t * 1e3:9.1f} {n / t / 1e6:11.2f}")
    ours = next(iter(seconds.values()))  # the default: grid path on all cores
    loop = seconds["noise.pnoise2 Python loop (64x64, scaled)"]
    fnl = seconds["FastNoiseLite (pyfastnoiselite, 1 thread)"]
    print(f"\nprocgen (default, all cores) vs noise.pnoise2 loop: {loop / ours:6.1f}x  (target >= 10x)")
    print(f"procgen (default, all cores) vs FastNoiseLite:     {fnl / ours:6.1f}x  (target >= 2x)")


if __name__ == "__main__":
    main()
