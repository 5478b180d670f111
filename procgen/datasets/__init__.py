"""Datasets for training and evaluating learned generators. Imports only content, errors and fileio.

``procgen.datasets.rivers``: real rivers as turning-angle sequences (the shipped World
Data Bank II dataset, and a user's own GeoJSON / CSV / npz paths).
"""

from procgen.datasets.levels import LevelCorpus, load_corpus, save_vglc
from procgen.datasets.river_build import BuildSummary, build_rivers, region_of
from procgen.datasets.rivers import MIN_STEPS, SPLITS, STEP_KM, RiverSet, default_rivers_path, load_rivers, split_of

__all__ = ["MIN_STEPS", "SPLITS", "STEP_KM", "BuildSummary", "LevelCorpus", "RiverSet", "build_rivers",
           "default_rivers_path", "load_corpus", "load_rivers", "region_of", "save_vglc", "split_of"]
