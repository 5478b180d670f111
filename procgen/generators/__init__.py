"""Generators: hand-written and learned, side by side, behind one interface.

Importing this package imports no generator module: names come from the static catalog
and each generator's module is imported the first time its name is used (see
``registry.py``). ``Generator``, the config helpers and the model-folder functions load
numpy and PIL, so they are attributes resolved on first access (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from procgen.generators.catalog import CATALOG, CatalogEntry
from procgen.generators.registry import GeneratorInfo, available, generator_class, get, info, register, summary

if TYPE_CHECKING:
    from procgen.generators.base import Generator
    from procgen.generators.config import GeneratorConfig, ParamSpec, param
    from procgen.generators.folder import load_model, save_model

_LAZY = {
    "Generator": "procgen.generators.base",
    "GeneratorConfig": "procgen.generators.config",
    "ParamSpec": "procgen.generators.config",
    "param": "procgen.generators.config",
    "load_model": "procgen.generators.folder",
    "save_model": "procgen.generators.folder",
}

__all__ = [
    "CATALOG", "CatalogEntry", "Generator", "GeneratorConfig", "GeneratorInfo", "ParamSpec", "available",
    "generator_class", "get", "info", "load_model", "param", "register", "save_model", "summary",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
