"""Input checks shared by the samplers: every bad input becomes a ParameterError."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from procgen.errors import ParameterError


def real_array(value: Any, name: str, *, allow_inf: bool = False) -> np.ndarray:
    """A float64 copy of ``value``; rejects non-numeric, boolean, complex, NaN and (unless
    ``allow_inf``, which query points such as cdf(-inf) need) infinite input."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ParameterError(f"{name} must be a numeric array, got {type(value).__name__}: {exc}") from exc
    if array.dtype.kind not in "iuf":
        raise ParameterError(f"{name} must be real numbers, got an array of {array.dtype}")
    array = np.array(array, dtype=np.float64, copy=True)
    if np.isnan(array).any():
        raise ParameterError(f"{name} must not contain NaN")
    if not allow_inf and np.isinf(array).any():
        raise ParameterError(f"{name} must be finite; it contains inf")
    return array


def frozen(array: np.ndarray) -> np.ndarray:
    """Mark ``array`` read-only so a frozen sampler cannot be changed through its arrays."""
    array.setflags(write=False)
    return array


def check_rng(rng: object) -> np.random.Generator:
    # Only explicit Generators: a seed or None here would bypass the stream contract.
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(
            f"rng must be a numpy.random.Generator, got {type(rng).__name__}; "
            "build one with procgen.seeding.make_rng(stream)"
        )
    return rng


def check_count(n: object) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, Integral) or int(n) < 0:
        raise ParameterError(f"n must be a non-negative int (how many samples), got {n!r}")
    return int(n)
