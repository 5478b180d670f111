"""The registry: stable names to generator classes, plus trained-model folders.

Built-in names come from the static table in ``catalog.py``, so listing them imports no
generator module (the learned ones load torch, which takes seconds). A built-in class is
imported on first use of its name; importing its module runs ``@register``. Classes
registered at run time (a game's own generators) sit beside them in ``_REGISTRY``.
"""

from __future__ import annotations

import difflib
import importlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from procgen.errors import CheckpointError, ParameterError
from procgen.generators.catalog import CATALOG, CatalogEntry

if TYPE_CHECKING:  # base.py loads numpy and PIL: not needed to name or list generators
    from procgen.generators.base import Generator
    from procgen.generators.config import ParamSpec

G = TypeVar("G", bound="type[Generator[Any]]")

_NAME = re.compile(r"[a-z][a-z0-9_-]*/[a-z][a-z0-9_-]*")
# Classes registered so far: built-in ones once their module is imported, others at run time.
_REGISTRY: dict[str, type[Generator[Any]]] = {}


def register(cls: G) -> G:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    if not _NAME.fullmatch(cls.name):
        raise ValueError(f"generator name {cls.name!r} must look like 'family/name' in lower case")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"generator name {cls.name!r} is already registered")
    builtin = CATALOG.get(cls.name)
    # A built-in name may not be taken before its module is imported: the name would then
    # mean one class or another depending on what happened to be imported first.
    if builtin is not None and builtin.module != cls.__module__:
        raise ValueError(f"generator name {cls.name!r} is taken by the built-in generator in {builtin.module}")
    cls.Config.generator_name = cls.name
    _REGISTRY[cls.name] = cls
    return cls


@dataclass(frozen=True)
class GeneratorInfo:
    """What ``procgen info`` shows about a registered generator."""

    name: str
    kind: str
    content: str
    description: str
    parameters: dict[str, ParamSpec]

    @property
    def defaults(self) -> dict[str, Any]:
        return {name: spec.default for name, spec in self.parameters.items()}


def available(kind: str | None = None) -> list[str]:
    """Registered generator names, sorted; optionally only ``"hand-written"`` or ``"learned"``.

    Imports no generator module: built-in names come from the catalog.
    """
    return sorted(name for name in {*CATALOG, *_REGISTRY} if kind is None or summary(name).kind == kind)


def summary(name: str) -> CatalogEntry:
    """Name, kind, content type name, description and module of ``name``, importing nothing."""
    cls = _REGISTRY.get(name)
    if cls is not None:
        return CatalogEntry(cls.name, cls.kind, cls.content_type.__name__, cls.description, cls.__module__)
    try:
        return CATALOG[name]
    except KeyError:
        raise ParameterError(_unknown(name)) from None


def generator_class(name: str) -> type[Generator[Any]]:
    """The class registered as ``name``, imported on first use; a ParameterError lists the names that exist."""
    cls = _REGISTRY.get(name)
    if cls is not None:
        return cls
    entry = CATALOG.get(name)
    if entry is None:
        raise ParameterError(_unknown(name))
    importlib.import_module(entry.module)  # runs the class's @register
    try:
        return _REGISTRY[name]
    except KeyError:
        raise RuntimeError(f"{entry.module} did not register {name}; "
                           "procgen/generators/catalog.py is out of date") from None


def info(name: str) -> GeneratorInfo:
    """What ``name`` is; a learned name's defaults are its shipped model's settings (what get() gives)."""
    cls = generator_class(name)
    params = cls.Config.params()
    shipped = cls.pretrained_folder()
    from procgen.generators.folder import is_model_folder, read_config

    if shipped is not None and is_model_folder(shipped):
        # Read as load_model reads it: a folder saved before an option existed gets the value
        # its Config.from_dict gives it (level/conditional's overworld folder: frame = 0).
        saved = cls.Config.from_dict(read_config(shipped)).to_dict()
        params = {k: replace(spec, default=saved.get(k, spec.default)) for k, spec in params.items()}
    return GeneratorInfo(cls.name, cls.kind, cls.content_type.__name__, cls.description, params)


def get(name: str, **params: Any) -> Generator[Any]:
    """A configured generator: a registered name, or a folder holding a trained model."""
    if not isinstance(name, str) or not name:
        raise ParameterError(f"generator name must be non-empty text, got {name!r}")
    from procgen.generators.folder import is_model_folder, load_model

    if name in _REGISTRY or name in CATALOG:
        cls = generator_class(name)
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
    names = available()
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (f"unknown generator {name!r}{hint}: it is neither a registered name "
            f"({', '.join(names)}) nor a folder holding a trained model")
