"""The Ray backend: the same export on a Ray cluster (``pip install 'procgen[ray]'``).

Each of ``workers`` Ray actors builds the generator once and renders seeds into bytes;
the exporting process writes every file and the manifest itself. So the cluster needs
procgen installed but no shared file system, and the folder gets exactly the bytes and
manifest a local run writes. Without ``ray_address`` a private local Ray instance with
``workers`` CPUs is started (and stopped at the end); with one (``auto`` or
``ray://host:10001``) the export joins that cluster.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from procgen.errors import ParameterError
from procgen.export.work import Rendered, Stored, Task, Worker, store


def require_ray() -> Any:
    """The ray module, or a ParameterError saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ParameterError("--backend ray needs Ray, which is not installed; "
                             "install it with: pip install 'procgen[ray]'") from None
    return ray


class _RenderActor:
    """A Ray actor around a Worker: one generator, one thread, bytes back to the driver."""

    def __init__(self, task: Task) -> None:
        from procgen.export.local import single_thread

        single_thread()
        self.worker = Worker(task)

    def render(self, seed: int, formats: tuple[str, ...]) -> Rendered:
        return self.worker.render(seed, formats)


class RayBackend:
    """Round-robin over ``workers`` actors; results are taken in submission order."""

    def __init__(self, task: Task, folder: Path, workers: int, address: str | None = None) -> None:
        ray = self.ray = require_ray()
        self.workers = workers
        self.folder = folder
        self.shared: dict[str, str] = {}
        self.started = not ray.is_initialized()
        if self.started:
            if address:
                ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
            else:
                ray.init(address="local", num_cpus=workers, include_dashboard=False, log_to_driver=False,
                         logging_level=logging.ERROR)
        actor = ray.remote(num_cpus=1)(_RenderActor)
        self.actors = [actor.remote(task) for _ in range(workers)]
        self.turn = 0

    def submit(self, seed: int, formats: tuple[str, ...]) -> Any:
        actor = self.actors[self.turn % len(self.actors)]
        self.turn += 1
        return actor.render.remote(seed, formats)

    def result(self, handle: Any) -> Stored:
        return store(self.folder, self._get(handle), self.shared)

    def _get(self, handle: Any) -> Rendered:
        try:
            return self.ray.get(handle)
        except self.ray.exceptions.RayTaskError as exc:
            # The worker's own exception (a ProcgenError stays one line), not Ray's wrapper.
            if isinstance(getattr(exc, "cause", None), Exception):
                raise exc.cause from None
            raise

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        if self.started:
            self.ray.shutdown()
