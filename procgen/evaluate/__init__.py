"""Evaluation: measure generators against held-out data. Imports content and generators, never the CLI."""

from procgen.evaluate.likelihood import HeldOutNLL, heldout_nll

__all__ = ["HeldOutNLL", "heldout_nll"]
