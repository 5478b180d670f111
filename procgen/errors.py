"""The one exception family procgen raises for bad input.

Every message says what was wrong and how to fix it; the command line prints it as a
single line and exits 2.
"""

from __future__ import annotations

_SHOWN = 40  # characters of a bad value quoted in a message


class ProcgenError(Exception):
    """Bad input to procgen: a seed, a parameter, a file, a checkpoint, an output path."""


class SeedError(ProcgenError, ValueError):
    """A seed that is not an int in [0, 2**64) or non-empty text."""


class ParameterError(ProcgenError, ValueError):
    """An unknown generator, an unknown parameter, or a parameter value out of range."""


class ContentError(ProcgenError, ValueError):
    """Content that breaks its type's invariants, or a content file that cannot be read."""


class CheckpointError(ProcgenError):
    """A trained-model folder that is missing, corrupt, truncated or mismatched."""


class OutputError(ProcgenError):
    """An output path that cannot be written."""


def shown(value: object) -> str:
    """``value`` quoted for a message, cut short; safe for ints too long for ``repr``."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<an int of {value.bit_length()} bits>"
    text = repr(value)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN - 4]}...{text[-1]} ({len(text)} characters)"
