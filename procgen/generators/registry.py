"""The registry: stable names to generator classes, plus trained-model folders."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from procgen.errors import CheckpointError, ParameterError
from procgen.generators.base import Generator
from procgen.generators.config import ParamSpec

G = TypeVar("G", bound=type[Generator[Any]])

_NAME = re.compile(r"[a-z][a-z0-9_-]*/[a-z][a-z0-9_-]*")
_REGISTRY: dict[str, type[Generator[Any]]] = {}


def register(cls: G) -> G:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    if not _NAME.fullmatch(cls.name):
        raise ValueError(f"generator name {cls.name!r} must look like 'family/name' in lower case")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"generator name {cls.name!r} is already registered")
    cls.Config.generator_name = cls.name
    _REGISTRY[cls.name] = cls
    return cls


@dataclass(frozen=True)
class GeneratorInfo:
    """What ``procgen list`` shows about a registered generator."""

    name: str
    kind: str
    content: str
    description: str
    parameters: dict[str, ParamSpec]

    @property
    def defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in self.parameters.items()}


def available(kind: str | None = None) -> list[str]:
    """Registered generator names, sorted; optionally only ``"hand-written"`` or ``"learned"``."""
    return sorted(name for name, cls in _REGISTRY.items() if kind is None or cls.kind == kind)


def generator_class(name: str) -> type[Generator[Any]]:
    """The class registered as ``name``; a ParameterError lists the names that exist."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError(_unknown(name)) from None


def info(name: str) -> GeneratorInfo:
    """What ``name`` is; a learned name's defaults are its shipped model's settings (what get() gives)."""
    cls = generator_class(name)
    params = cls.Config.params()
    shipped = cls.pretrained_folder()
    from procgen.generators.folder import is_model_folder, read_config

    if shipped is not None and is_model_folder(shipped):
        saved = read_config(shipped)
        params = {k: replace(spec, default=saved.get(k, spec.default)) for k, spec in params.items()}
    return GeneratorInfo(cls.name, cls.kind, cls.content_type.__name__, cls.description, params)


def get(name: str, **params: Any) -> Generator[Any]:
    """A configured generator: a registered name, or a folder holding a trained model."""
    if not isinstance(name, str) or not name:
        raise ParameterError(f"generator name must be non-empty text, got {name!r}")
    from procgen.generators.folder import is_model_folder, load_model

    if name in _REGISTRY:
        cls = _REGISTRY[name]
        shipped = cls.pretrained_folder()
        if shipped is None:
            return cls(**params)
        if not is_model_folder(shipped):
            raise CheckpointError(f"{name} has no trained weights at {shipped}; train some with "
                                  f"procgen train {name} --data DIR --out DIR, or set PROCGEN_ASSETS")
        generator = load_model(shipped)
        if type(generator) is not cls:
            raise CheckpointError(f"{shipped} holds a {generator.name} model, not {name}")
        return generator.with_params(**params)
    if Path(name).is_dir():
        return load_model(name).with_params(**params)
    raise ParameterError(_unknown(name))


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"unknown generator {name!r}{hint}: it is neither a registered name "
            f"({', '.join(available())}) nor a folder holding a trained model")
