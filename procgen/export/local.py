"""The local backend: a pool of worker processes, or this process alone (``workers=0``).

Each worker is one process on one thread (numba and torch limited to one), so N workers
use N cores and outputs never depend on thread counts. Workers are forked where that is
safe (Linux, before numba has started threads here), else spawned; on Linux they die with
the exporting process, so killing an export leaves no stray workers behind.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from procgen.export.work import Stored, Task, Worker

_WORKER: Worker | None = None  # this worker process's generator and caches


class InProcess:
    """Runs every asset in this process, when it is asked for (debugging, tiny exports)."""

    workers = 1

    def __init__(self, task: Task, folder: Path) -> None:
        self.worker = Worker(task)
        self.folder = folder

    def submit(self, seed: int, formats: tuple[str, ...]) -> tuple[int, tuple[str, ...]]:
        return seed, formats

    def result(self, handle: tuple[int, tuple[str, ...]]) -> Stored:
        return self.worker.export(self.folder, *handle)

    def close(self) -> None:
        pass


class ProcessPool:
    """``workers`` processes, each with its own generator built once."""

    def __init__(self, task: Task, folder: Path, workers: int) -> None:
        self.workers = workers
        self.folder = str(folder)
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=_start_worker,
                                        initargs=(task, os.getpid()))
        # Start every worker now, before the caller starts threads (a progress bar): forking a
        # process that runs other threads can copy a held lock into the child.
        self.pool.submit(_ready).result()

    def submit(self, seed: int, formats: tuple[str, ...]) -> Future[Stored]:
        return self.pool.submit(_export, self.folder, seed, formats)

    def result(self, handle: Future[Stored]) -> Stored:
        return handle.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    # Forking is fast (procgen is already imported) but unsafe once numba's thread pool runs here.
    if sys.platform.startswith("linux") and "numba" not in sys.modules:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _start_worker(task: Task, parent: int) -> None:
    global _WORKER
    _die_with_parent(parent)
    single_thread()
    _WORKER = Worker(task)


def _ready() -> bool:
    return True


def _export(folder: str, seed: int, formats: tuple[str, ...]) -> Stored:
    assert _WORKER is not None, "worker not started"
    return _WORKER.export(Path(folder), seed, formats)


def single_thread() -> None:
    """One thread per worker: cores are shared out by processes, not by threads within them."""
    os.environ["NUMBA_NUM_THREADS"] = "1"  # read when numba is first imported
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"
    if "numba" in sys.modules:
        import numba

        numba.set_num_threads(1)
    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(1)


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the exporting process dies (no orphans after a kill)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)
