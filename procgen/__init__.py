"""procgen: procedural content generation for games, from seeds.

    >>> import procgen
    >>> river = procgen.get("river/coinflip", steps=128).generate("mossy-canyon")
    >>> river.save("river.png")
"""

from procgen._version import __version__
from procgen.content import Content, Heightmap, RiverPath, Tile, TileMap
from procgen.errors import (CheckpointError, ContentError, OutputError, ParameterError, ProcgenError,
                            SeedError)
from procgen.generators import Generator, GeneratorInfo, available, get, info, register
from procgen.seeding import normalize_seed, text_seed

__all__ = [
    "CheckpointError", "Content", "ContentError", "Generator", "GeneratorInfo", "Heightmap",
    "OutputError", "ParameterError", "ProcgenError", "RiverPath", "SeedError", "Tile", "TileMap",
    "__version__", "available", "get", "info", "normalize_seed", "register", "text_seed",
]
