"""What the turn-based river generators share: walking turns into a path and reading turns back.

Both river/coinflip and river/meander are models of the sequence of turning angles
between equal-length steps. To score or fit them on any river (whatever its point
spacing) the river is first resampled to the model's step length, then its turning
angles are read off; :func:`observed_turns` is that one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from procgen.content import RiverPath
from procgen.content.river import walk, wrap_angle  # walk lives with RiverPath; re-exported
from procgen.errors import ContentError, ParameterError

__all__ = ["gaussian_logpdf", "observed_turns", "turns_of_paths", "walk", "wrap_angle"]

LOG_2PI = float(np.log(2 * np.pi))


def observed_turns(path: RiverPath, step_length: float, *, min_turns: int = 1) -> np.ndarray:
    """(n,) turning angles in radians of ``path`` resampled every ``step_length``.

    Raises ContentError if the resampled path has fewer than ``min_turns`` turns, i.e. is
    shorter than ``min_turns + 1`` steps.
    """
    if not isinstance(path, RiverPath):
        raise ParameterError(f"expected a RiverPath, got {type(path).__name__}")
    try:
        turns = path.resample(step_length).turning_angles()
    except ContentError:
        turns = np.zeros(0)
    if turns.shape[0] < min_turns:
        need = (min_turns + 1) * step_length
        raise ContentError(f"a river of length {path.length:g} is too short to score: with step_length "
                           f"{step_length:g} it needs length >= {need:g} (at least {min_turns} turn"
                           f"{'s' if min_turns != 1 else ''})")
    return turns


def turns_of_paths(paths: Sequence[RiverPath], step_length: float, *, min_turns: int = 1) -> list[np.ndarray]:
    """Observed turns of each path, for fitting; a clear error for an empty or wrong list."""
    if isinstance(paths, RiverPath):
        raise ParameterError("fit takes a list of RiverPaths; wrap a single path as [path]")
    paths = list(paths)
    if not paths:
        raise ParameterError("fit needs at least one RiverPath, got an empty list")
    out = []
    for i, path in enumerate(paths):
        try:
            out.append(observed_turns(path, step_length, min_turns=min_turns))
        except ContentError as error:
            raise ContentError(f"path {i}: {error}") from None
        except ParameterError as error:
            raise ParameterError(f"path {i}: {error}") from None
    return out


def gaussian_logpdf(x: Any, mean: Any, sd: Any) -> np.ndarray:
    """log N(x; mean, sd**2), broadcast elementwise."""
    z = (np.asarray(x) - mean) / sd
    return -0.5 * (z * z + LOG_2PI) - np.log(sd)
