"""Generators: hand-written and learned, side by side, behind one interface."""

from procgen.generators import handwritten, learned  # noqa: F401  (registers the generators)
from procgen.generators.base import Generator
from procgen.generators.config import GeneratorConfig, ParamSpec, param
from procgen.generators.folder import load_model, save_model
from procgen.generators.registry import GeneratorInfo, available, generator_class, get, info, register

__all__ = [
    "Generator", "GeneratorConfig", "GeneratorInfo", "ParamSpec", "available", "generator_class",
    "get", "info", "load_model", "param", "register", "save_model",
]
