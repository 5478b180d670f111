"""Samplers that turn explicit numpy Generators into designer-shaped random values.

Bottom layer: imports only numpy, scipy and procgen.errors / procgen.seeding.

    >>> from procgen.seeding import make_rng, seed_sequence
    >>> rng = make_rng(seed_sequence(42, "forest/trees"))
    >>> heights = InverseTransform.from_table([0, 10, 30], [0.0, 1.0, 0.2]).sample(rng, 100)
    >>> offsets = AffineGaussian.from_covariance([0, 0], [[4, 1], [1, 2]]).sample(rng, 100)
"""

from procgen.sampling.gaussian import AffineGaussian
from procgen.sampling.inverse import InverseTransform

__all__ = ["AffineGaussian", "InverseTransform"]
