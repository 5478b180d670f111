"""The one exception family procgen raises for bad input.

Every message says what was wrong and how to fix it; the command line prints it as a
single line and exits 2.
"""

from __future__ import annotations


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
