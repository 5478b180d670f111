"""Content: small validated dataclasses over numpy arrays. Imports nothing above it."""

from procgen.content.base import SAVE_SUFFIXES, Content, load
from procgen.content.heightmap import Heightmap
from procgen.content.river import RiverPath
from procgen.content.tilemap import Tile, TileMap

__all__ = ["SAVE_SUFFIXES", "Content", "Heightmap", "RiverPath", "Tile", "TileMap", "load"]
