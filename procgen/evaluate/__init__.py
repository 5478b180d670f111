"""Evaluation: measure generators against held-out data. Imports content and generators, never the CLI.

    >>> from procgen.evaluate import compare_rivers, write_report
    >>> report = compare_rivers([("gru", procgen.get("river/gru"))], my_holdout_paths, train=my_train_paths)
    >>> write_report(report, "out/report")
"""

from procgen.evaluate.compare import Comparison, GeneratorResult, compare_rivers
from procgen.evaluate.discriminator import TwoSampleResult, classifier_two_sample_test
from procgen.evaluate.level_metrics import (ExpressiveRange, LevelNovelty, PatternKL, diversity, expressive_range,
                                            independent_tiles, pattern_kl, playability_rate)
from procgen.evaluate.likelihood import HeldOutNLL, heldout_nll
from procgen.evaluate.novelty import Novelty, nearest_distances, novelty
from procgen.evaluate.playability import is_playable, reachable, repair
from procgen.evaluate.report import write_report
from procgen.evaluate.statistics import STATISTICS, river_statistics, statistic_distances, turn_windows

__all__ = [
    "STATISTICS", "Comparison", "ExpressiveRange", "GeneratorResult", "HeldOutNLL", "LevelNovelty", "Novelty",
    "PatternKL", "TwoSampleResult", "diversity", "expressive_range", "independent_tiles", "is_playable",
    "pattern_kl", "playability_rate", "reachable", "repair",
    "classifier_two_sample_test", "compare_rivers", "heldout_nll", "nearest_distances", "novelty",
    "river_statistics", "statistic_distances", "turn_windows", "write_report",
]
