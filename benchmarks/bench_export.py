"""procgen export: levels per second with 1 and 2 workers, and memory flat in the count.

    python benchmarks/bench_export.py [--levels 120] [--repeats 2] [--counts 1000,10000]

1. 256x256 level/overworld exported as png+tmj by 1 and by 2 local workers (target: 2
   workers >= 1.7x of 1). Beside it, a same-run reference: the speed-up two processes of a
   fixed, perfectly parallel numpy workload get over one on this machine right now. On a
   machine shared with other jobs that is below 2, and no program can beat it; the
   export's ratio divided by it is its parallel efficiency. CPU time per level (of the
   export processes, start-up included) shows whether 2 workers do more work per level.
2. Peak memory (PSS of the export process plus its workers, summed, sampled every 0.1 s)
   exporting 1,000 and 10,000 64x64 levels as png with 2 workers: flat means a ratio ~1.

Each export runs as ``procgen export`` in a fresh folder; rates are those of its summary
line (the run itself, not Python's start-up).
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

import numpy as np

PROCGEN = [sys.executable, "-m", "procgen"]
TARGET_RATIO = 1.7


def export(out: Path, seeds: str, formats: str, workers: int, size: int) -> subprocess.Popen[str]:
    return subprocess.Popen([*PROCGEN, "export", "level/overworld", "--seeds", seeds, "--formats", formats,
                             "--out", str(out), "--workers", str(workers), "--no-progress",
                             "--set", f"width={size}", "--set", f"height={size}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"export failed: {err.strip()}")
    return out


def rate(out: str) -> float:
    return float(re.search(r"([0-9.]+) assets/s", out).group(1))


# ---- 1. throughput ------------------------------------------------------------------------------

def _reference_job(seed: int) -> float:
    data = np.random.default_rng(seed).random((256, 256))
    for _ in range(20):
        np.sort(data, axis=None)
    return float(data[0, 0])


def reference_rate(processes: int, jobs: int) -> float:
    """Reference jobs per second with ``processes`` single-threaded processes."""
    with get_context("spawn").Pool(processes) as pool:
        pool.map(_reference_job, range(processes))  # start-up and imports, not timed
        began = time.perf_counter()
        pool.map(_reference_job, range(jobs), chunksize=1)
        return jobs / (time.perf_counter() - began)


def cpu_seconds() -> float:
    """CPU time (user + system) of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_export(out: Path, levels: int, workers: int) -> tuple[float, float]:
    """(levels/s of the run, CPU seconds per level including start-up) of one export."""
    before = cpu_seconds()
    speed = rate(finished(export(out, f"0:{levels}", "png,tmj", workers, 256)))
    return speed, (cpu_seconds() - before) / levels


def throughput(levels: int, repeats: int) -> None:
    best, cpu, ref = {1: 0.0, 2: 0.0}, {1: float("inf"), 2: float("inf")}, {1: 0.0, 2: 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(repeats):
            for workers in (1, 2):  # alternate, and time the reference right beside each export,
                ref[workers] = max(ref[workers], reference_rate(workers, 60 * workers))  # so load drift hits both
                speed, per_level = timed_export(Path(tmp) / f"w{workers}-{repeat}", levels, workers)
                best[workers], cpu[workers] = max(best[workers], speed), min(cpu[workers], per_level)
    ratio, ref_ratio = best[2] / best[1], ref[2] / ref[1]
    print(f"256x256 level/overworld, png+tmj, {levels} levels (best of {repeats}):")
    for workers in (1, 2):
        print(f"  {workers} worker{'s' if workers > 1 else ' '}: {best[workers]:6.2f} levels/s   "
              f"{1000 * cpu[workers]:5.0f} ms CPU per level (start-up included)")
    print(f"  ratio {ratio:.2f}  (target >= {TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'NOT met'})")
    print(f"  reference: 2 processes of a parallel numpy workload get {ref_ratio:.2f}x of 1 on this machine now; "
          f"export efficiency {ratio / ref_ratio:.0%}")


# ---- 2. memory ----------------------------------------------------------------------------------

def tree_memory(pid: int) -> int:
    """Proportional set size (PSS) of ``pid`` and all its descendants, in bytes (Linux /proc).

    PSS, not RSS: forked workers share the exporter's pages (numpy, torch), and summing
    RSS would count those once per process.
    """
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
            total += int(re.search(r"^Pss:\s+(\d+) kB", rollup, re.M).group(1)) * 1024
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue  # the process ended between two reads
    return total


def peak_memory(count: int, workers: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        process = export(Path(tmp) / "out", f"0:{count}", "png", workers, 64)
        peak = 0
        while process.poll() is None:
            peak = max(peak, tree_memory(process.pid))
            time.sleep(0.1)
        return peak, rate(finished(process))


def memory(counts: list[int]) -> None:
    peaks = {count: peak_memory(count, 2) for count in counts}
    base = peaks[counts[0]][0]
    print("64x64 level/overworld, png, 2 workers: peak memory (PSS) of the export process + workers")
    for count, (peak, speed) in peaks.items():
        print(f"  {count:6d} levels: {peak / 2**20:7.1f} MiB  ({peak / base:.2f}x of {counts[0]})  {speed:.1f} levels/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, default=120, help="levels per throughput run")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--counts", default="1000,10000", help="level counts for the memory runs")
    parser.add_argument("--skip", choices=("throughput", "memory"), help="leave one part out")
    args = parser.parse_args()
    if args.skip != "throughput":
        throughput(args.levels, args.repeats)
    if args.skip != "memory":
        memory([int(c) for c in args.counts.split(",")])


if __name__ == "__main__":
    main()
