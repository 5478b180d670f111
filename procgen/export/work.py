"""One asset's work, the same in every worker and backend: generate, render, store.

A worker rebuilds the generator from a :class:`GeneratorSpec` (name, config, weights:
what a model folder holds), so a process pool or a Ray cluster gets plain data, never a
pickled generator, and needs no model folder on disk. Files are written atomically; files
every asset shares (the Tiled tileset) are written once per run and process, and only
when missing or different.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from procgen._version import __version__
from procgen.export.folder import write_atomic
from procgen.export.formats import ExportOptions, asset_stem, is_shared, render
from procgen.export.manifest import file_sha256
from procgen.generators import Generator, generator_class


@dataclass(frozen=True, eq=False)
class GeneratorSpec:
    """What rebuilds a configured generator in any process: its name, config and weights."""

    name: str
    config: dict[str, Any]
    weights: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, generator: Generator[Any]) -> GeneratorSpec:
        return cls(generator.name, generator.config.to_dict(), dict(generator._weights()))

    def build(self) -> Generator[Any]:
        kind = generator_class(self.name)
        generator = kind(kind.Config.from_dict(self.config))
        generator._set_weights(self.weights)
        return generator

    def weights_sha256(self) -> str | None:
        """SHA-256 over the weights (names, dtypes, shapes, bytes); None without weights."""
        if not self.weights:
            return None
        h = hashlib.sha256()
        for key, array in sorted(self.weights.items()):
            little = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
            h.update(f"{key}:{little.dtype.str}:{little.shape}".encode())
            h.update(little.tobytes())
        return h.hexdigest()


@dataclass(frozen=True, eq=False)
class Task:
    """Everything a worker needs besides the seed."""

    spec: GeneratorSpec
    formats: tuple[str, ...]
    options: ExportOptions

    def identity(self) -> dict[str, Any]:
        """The manifest fields that must match for a folder to be resumed."""
        return {"generator": self.spec.name, "config": self.spec.config, "weights": self.spec.weights_sha256(),
                "procgen": __version__, "options": self.options.to_dict()}


@dataclass(frozen=True)
class Rendered:
    """One asset's files in memory, with what the manifest says about its content."""

    seed: int
    content: str
    digest: str
    files: dict[str, bytes]


@dataclass
class Stored:
    """One asset on disk: the SHA-256 of each file, and how many bytes of its own it wrote."""

    seed: int
    content: str
    digest: str
    hashes: dict[str, str]
    size: int


class Worker:
    """Builds the generator once, then renders (and stores) one seed at a time."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.generator = task.spec.build()
        self.shared: dict[str, str] = {}  # shared path -> SHA-256 known to be on disk

    def render(self, seed: int, formats: tuple[str, ...]) -> Rendered:
        """Generate the content for ``seed`` and render ``formats`` in memory."""
        content = self.generator.generate(seed)  # overflowing parameters: a ParameterError (numeric_guard)
        files = render(content, asset_stem(seed), formats, self.task.options)
        return Rendered(seed, content.type_name, content.digest(), files)

    def export(self, folder: Path, seed: int, formats: tuple[str, ...]) -> Stored:
        """Render and store one asset: what a local worker does per seed."""
        return store(folder, self.render(seed, formats), self.shared)


def store(folder: Path, rendered: Rendered, shared: dict[str, str]) -> Stored:
    """Write ``rendered``'s files into ``folder`` atomically; a shared file only when it is not
    already there (``shared`` remembers the ones checked, per export run)."""
    hashes, size = {}, 0
    for name, data in rendered.files.items():
        sha = hashlib.sha256(data).hexdigest()
        hashes[name] = sha
        if is_shared(name):
            _store_shared(folder / name, data, sha, shared)
            continue
        write_atomic(folder / name, data)
        size += len(data)
    return Stored(rendered.seed, rendered.content, rendered.digest, hashes, size)


def _store_shared(target: Path, data: bytes, sha: str, shared: dict[str, str]) -> None:
    if shared.get(str(target)) == sha:
        return
    if file_sha256(target) != sha:
        os.makedirs(target.parent, exist_ok=True)
        write_atomic(target, data)
    shared[str(target)] = sha
