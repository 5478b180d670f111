"""Generation off the main loop: one background thread, jobs by slot, results polled per frame.

A slot holds at most one queued job: a newer request for the same slot (the player
pressing N five times) replaces the queued one, so the thread never works through a
backlog nobody wants. The job already running finishes; its result still arrives and the
state decides, by key, whether it is stale.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Hashable


@dataclass(frozen=True)
class Job:
    """Work for the thread: ``run()`` makes the value the state asked for under ``key``."""

    slot: str
    key: Hashable
    run: Callable[[], Any]
    label: str = ""  # what the busy indicator says


@dataclass(frozen=True)
class Done:
    """A finished job: its ``value``, or the ``error`` it raised (never both)."""

    key: Hashable
    value: Any = None
    error: BaseException | None = None


class Worker:
    """One daemon thread running submitted jobs in order, at most one queued per slot."""

    def __init__(self) -> None:
        self._pending: dict[str, Job] = {}
        self._running: Job | None = None
        self._stopping = False
        self._cond = threading.Condition()
        self._results: queue.SimpleQueue[Done] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="procgen-demo-worker", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> None:
        with self._cond:
            self._pending.pop(job.slot, None)  # re-insert so the newest request goes last
            self._pending[job.slot] = job
            self._cond.notify_all()

    def poll(self) -> list[Done]:
        """Every result finished since the last poll (never blocks)."""
        done = []
        while True:
            try:
                done.append(self._results.get_nowait())
            except queue.Empty:
                return done

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._running is not None or bool(self._pending)

    @property
    def label(self) -> str:
        """What the thread works on now ('' when idle)."""
        with self._cond:
            job = self._running or next(iter(self._pending.values()), None)
            return "" if job is None else job.label

    def wait_idle(self, timeout: float) -> bool:
        """Block until no job is queued or running; False if ``timeout`` seconds pass first."""
        with self._cond:
            return self._cond.wait_for(lambda: self._running is None and not self._pending, timeout)

    def stop(self, timeout: float = 2.0) -> bool:
        """Drop queued jobs and end the thread; True if it ended within ``timeout`` seconds (a job
        still running is not interrupted; the thread is a daemon, so it never holds the process)."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            self._cond.notify_all()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or bool(self._pending))
                if self._stopping:
                    return
                slot = next(iter(self._pending))
                job = self._running = self._pending.pop(slot)
            try:
                done = Done(job.key, value=job.run())
            except Exception as exc:  # reported to the state, which shows it; the thread lives on
                done = Done(job.key, error=exc)
            self._results.put(done)
            with self._cond:
                self._running = None
                self._cond.notify_all()
