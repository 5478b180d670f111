"""The one Generator interface: a deterministic map from a seed to content."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, Generic, Iterable, Literal, TypeVar

import numpy as np

from procgen.content import Content
from procgen.errors import CheckpointError, ParameterError, SeedError
from procgen.generators.config import GeneratorConfig, numeric_guard
from procgen.seeding import Seed, seed_sequence

C = TypeVar("C", bound=Content)
G = TypeVar("G", bound="Generator[Any]")
Kind = Literal["hand-written", "learned"]


class Generator(ABC, Generic[C]):
    """Maps a seed to content: ``generate(seed)``; same seed and config, same content.

    Subclasses set the class attributes below and implement ``_generate(stream)``, which
    draws every random number from ``stream`` (a SeedSequence keyed by the seed and
    ``name``). Composite generators hand parts ``procgen.seeding.child(stream, part)``.
    """

    name: ClassVar[str]
    kind: ClassVar[Kind] = "hand-written"
    content_type: ClassVar[type[Content]]
    description: ClassVar[str]
    Config: ClassVar[type[GeneratorConfig]]

    def __init__(self, config: GeneratorConfig | None = None, /, **params: Any) -> None:
        if config is None:
            config = self.Config()
        elif type(config) is not self.Config:
            raise ParameterError(f"{self.name} takes a {self.Config.__name__}, got {type(config).__name__}")
        self.config = config.replace(**params)

    def __repr__(self) -> str:
        options = ", ".join(f"{k}={v!r}" for k, v in self.config.to_dict().items())
        return f"{type(self).__name__}({self.name!r}, {options})"

    # ---- generating --------------------------------------------------------------
    def generate(self, seed: Seed) -> C:
        """The content for ``seed`` (an int in [0, 2**64) or text)."""
        stream = seed_sequence(seed, self.name)
        with numeric_guard(self.name, self.config):
            return self._checked(self._generate(stream))

    def generate_batch(self, seeds: Iterable[Seed]) -> list[C]:
        """``[generate(s) for s in seeds]``, computed together where that is faster."""
        if isinstance(seeds, (str, bytes)):
            raise SeedError("generate_batch takes a list of seeds; for one seed call generate(seed)")
        streams = [seed_sequence(seed, self.name) for seed in seeds]  # reject bad seeds before any work
        with numeric_guard(self.name, self.config):
            return [self._checked(c) for c in self._generate_batch(streams)]

    @abstractmethod
    def _generate(self, stream: np.random.SeedSequence) -> C:
        """Content from one stream; every random draw comes from ``stream``."""

    def _generate_batch(self, streams: list[np.random.SeedSequence]) -> list[C]:
        return [self._generate(stream) for stream in streams]

    def _checked(self, content: C) -> C:
        if not isinstance(content, self.content_type):
            raise TypeError(f"{self.name} produced {type(content).__name__}, not {self.content_type.__name__}")
        return content

    # ---- configuration and persistence -------------------------------------------
    def with_params(self: G, **params: Any) -> G:
        """The same generator (weights included) with some parameters changed."""
        if not params:
            return self
        clone = type(self)(self.config.replace(**params))
        clone._set_weights(self._weights())
        return clone

    def save(self, folder: str | os.PathLike[str]) -> Path:
        """Write a model folder (``model.json`` plus weights) usable wherever a name is."""
        from procgen.generators.folder import save_model

        return save_model(self, folder)

    @classmethod
    def load(cls: type[G], folder: str | os.PathLike[str]) -> G:
        """Read a model folder written by :meth:`save` (or ``procgen train``)."""
        from procgen.generators.folder import load_model

        generator = load_model(folder)
        if not isinstance(generator, cls):
            raise CheckpointError(f"'{folder}' holds a {generator.name} model, not a {cls.name}")
        return generator

    @classmethod
    def pretrained_folder(cls) -> Path | None:
        """Where shipped weights live for a learned generator; None when it needs none."""
        return None

    def _weights(self) -> dict[str, np.ndarray]:
        """Named arrays that, with the config, restore this generator; none for most hand-written ones."""
        return {}

    def _set_weights(self, weights: dict[str, np.ndarray]) -> None:
        if weights:
            raise CheckpointError(f"{self.name} takes no weights, but the checkpoint has {sorted(weights)}")
