"""Rules of tile levels, below the generators: reachability, repair, spawn and goal placement.

Generators use these so ``generate`` can return playable levels; ``procgen.evaluate``
uses them to measure playability. Imports only content, datasets, errors and numpy/scipy.
"""

from procgen.levels.playability import VIEWS, is_playable, reachable, repair

__all__ = ["VIEWS", "is_playable", "reachable", "repair"]
