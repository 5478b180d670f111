"""procgen: procedural content generation for games, from seeds.

    >>> import procgen
    >>> river = procgen.get("river/coinflip", steps=128).generate("mossy-canyon")
    >>> river.save("river.png")

Importing procgen is cheap: the names below resolve on first access (PEP 562), so
``procgen --version`` or ``procgen list`` never loads numpy, torch or numba, and torch
loads only when a learned generator is first used.
"""

from __future__ import annotations

import importlib

from procgen._version import __version__
from procgen.errors import (CheckpointError, ContentError, OutputError, ParameterError, ProcgenError,
                            SeedError)

# typing.TYPE_CHECKING without importing typing: ``procgen`` runs before the command line
# can catch a Ctrl-C, so it imports only what the interpreter has already loaded.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from procgen.content import Content, Heightmap, RiverPath, Tile, TileMap
    from procgen.generators import Generator, GeneratorInfo, available, get, info, register
    from procgen.seeding import normalize_seed, text_seed

_LAZY = {
    **dict.fromkeys(("Content", "Heightmap", "RiverPath", "Tile", "TileMap"), "procgen.content"),
    **dict.fromkeys(("Generator", "GeneratorInfo", "available", "get", "info", "register"), "procgen.generators"),
    **dict.fromkeys(("normalize_seed", "text_seed"), "procgen.seeding"),
}
# Sub-packages reachable as attributes after a bare ``import procgen`` (procgen.content.load, ...).
_SUBMODULES = frozenset({
    "assets", "cli", "content", "datasets", "errors", "evaluate", "export", "fileio", "generators",
    "levels", "play", "sampling", "seeding",
})

__all__ = [
    "CheckpointError", "Content", "ContentError", "Generator", "GeneratorInfo", "Heightmap",
    "OutputError", "ParameterError", "ProcgenError", "RiverPath", "SeedError", "Tile", "TileMap",
    "__version__", "available", "get", "info", "normalize_seed", "register", "text_seed",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f"procgen.{name}")
    raise AttributeError(f"module 'procgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_SUBMODULES})
