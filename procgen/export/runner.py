"""Running an export: plan (skip what is done), render in parallel, record in seed order.

Work is submitted in seed order with a bounded number of assets in flight, and records
are appended in that same order, so memory stays flat however many seeds there are, and
the files and the manifest are byte-identical whatever the number of workers or backend.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Protocol

from procgen.export.folder import check_folder, export_lock, prepare_folder, renamed_asset
from procgen.export.formats import ExportOptions, asset_stem, own_names, parse_formats
from procgen.export.heightmap import sized_generator
from procgen.export.manifest import Manifest, make_record
from procgen.export.seeds import Seed, SeedList, as_seed_list
from procgen.export.work import GeneratorSpec, Stored, Task
from procgen.errors import ParameterError
from procgen.generators import Generator

BACKENDS = ("local", "ray")


class Backend(Protocol):
    """Runs one asset per seed: ``submit`` starts it, ``result`` waits and returns it stored."""

    def submit(self, seed: int, formats: tuple[str, ...]) -> Any: ...

    def result(self, handle: Any) -> Stored: ...

    def close(self) -> None: ...


@dataclass
class ExportSummary:
    """What an export did."""

    folder: Path
    generator: str
    assets: int = 0
    written: int = 0
    skipped: int = 0
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    note: str | None = None  # what --heightmap-size did: generated at that size, or resampled

    @property
    def rate(self) -> float:
        """Assets written per second."""
        return self.written / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (f"exported {self.assets} {self.generator} assets to {self.folder}: {self.written} written "
                f"({self.files} files, {self.bytes / 1e6:.1f} MB), {self.skipped} already complete; "
                f"{self.seconds:.1f} s, {self.rate:.1f} assets/s" + (f"; {self.note}" if self.note else ""))


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def export(generator: Generator[Any], seeds: SeedList | Iterable[int | str | Seed], formats: str | Iterable[str],
           out: str | os.PathLike[str], *, workers: int | None = None, backend: str = "local",
           options: ExportOptions | None = None, progress: bool = False,
           ray_address: str | None = None) -> ExportSummary:
    """Export one asset per seed into ``out``; resumes an earlier export of the same settings.

    ``workers``: processes (local, at most the usable cores) or Ray actors; 0 runs in this
    process. Only one export writes into a folder at a time. Every check on
    the input and the folder happens before anything is written.
    """
    seeds = as_seed_list(seeds)
    task, note = _task(generator, formats, options or ExportOptions())
    workers = _workers(workers, backend)
    if backend == "ray":
        from procgen.export.ray_backend import require_ray

        require_ray()  # a missing extra is bad input too: say so before the folder exists
    folder = check_folder(out)
    with export_lock(folder):  # one export per folder: two would both append every record
        manifest = Manifest(folder, task.identity())
        manifest.load()  # refuses another export's folder before anything is written
        prepare_folder(folder)
        runner = _backend(backend, task, folder, workers, ray_address)
        try:
            summary = _run(runner, manifest, task, seeds, folder, progress)
            summary.note = note
            return summary
        finally:
            runner.close()


def _workers(workers: int | None, backend: str) -> int:
    if backend not in BACKENDS:
        raise ParameterError(f"unknown backend {backend!r}; backends are {', '.join(BACKENDS)}")
    workers = default_workers() if workers is None else workers
    if workers < 0 or (workers == 0 and backend != "local"):
        raise ParameterError(f"--workers must be at least 1 (0: in this process, local backend only), got {workers}")
    # Local processes beyond the cores only cost memory (a Ray cluster has cores of its own).
    return min(workers, default_workers()) if backend == "local" else workers


def _task(generator: Generator[Any], formats: str | Iterable[str],
          options: ExportOptions) -> tuple[Task, str | None]:
    names = parse_formats(formats, generator.content_type, generator.name)
    generator, note = sized_generator(generator, names, options.heightmap_size)  # real detail, not upsampling
    return Task(GeneratorSpec.of(generator), names, options), note


def _backend(name: str, task: Task, folder: Path, workers: int, ray_address: str | None) -> Backend:
    if name == "ray":
        from procgen.export.ray_backend import RayBackend

        return RayBackend(task, folder, workers, ray_address)
    from procgen.export.local import InProcess, ProcessPool

    return InProcess(task, folder) if workers == 0 else ProcessPool(task, folder, workers)


def _run(backend: Backend, manifest: Manifest, task: Task, seeds: SeedList, folder: Path,
         progress: bool) -> ExportSummary:
    from tqdm import tqdm

    summary = ExportSummary(folder, task.spec.name, assets=len(seeds))
    window = 2 * getattr(backend, "workers", 1) + 2  # enough to keep every worker busy, no more
    pending: deque[tuple[Seed, tuple[str, ...], bool, Any]] = deque()
    began = time.perf_counter()
    manifest.open()
    with tqdm(total=len(seeds), desc=f"export {task.spec.name}", unit="asset", disable=not progress,
              file=sys.stderr, smoothing=0.05, mininterval=0.5) as bar:
        try:
            for seed in seeds:
                old = manifest.take(seed.value)
                if old is not None and manifest.is_complete(old, task.formats,
                                                            own_names(seeds.file_stem(seed), task.formats)):
                    summary.skipped += 1
                    bar.update()
                    continue
                # A redone asset keeps the formats its earlier record covered.
                formats = tuple(dict.fromkeys(task.formats + (old[0] if old else ())))
                pending.append((seed, formats, old is not None, backend.submit(seed.value, formats)))
                while len(pending) >= window:
                    _finish(backend, manifest, seeds, summary, bar, *pending.popleft())
            while pending:
                _finish(backend, manifest, seeds, summary, bar, *pending.popleft())
        except BaseException:
            bar.leave = False  # the error is one line: the bar is erased, not left above it
            raise
        finally:
            manifest.close()
    summary.seconds = time.perf_counter() - began
    return summary


def _finish(backend: Backend, manifest: Manifest, seeds: SeedList, summary: ExportSummary, bar: Any,
            seed: Seed, formats: tuple[str, ...], replaces: bool, handle: Any) -> None:
    stored = backend.result(handle)
    # Workers name files by the int seed; a safe text seed's files take its text (seed-mossy-canyon.png).
    files = renamed_asset(manifest.folder, stored.hashes, asset_stem(seed.value), seeds.file_stem(seed))
    manifest.append(make_record(manifest.identity, seed.value, seed.text, stored.content, stored.digest,
                                formats, files), replaces=replaces)
    summary.written += 1
    summary.files += sum(1 for name in stored.hashes if "/" not in name)
    summary.bytes += stored.size
    bar.update()
    if summary.skipped:
        bar.set_postfix_str(f"{summary.skipped} already done", refresh=False)
