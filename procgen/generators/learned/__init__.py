"""Learned generators: PyTorch models fitted to example data (rivers, levels).

They implement the same Generator interface as the hand-written ones in
``procgen.generators.handwritten``, keep their parameters as named weights (saved as
safetensors in a model folder, see ``procgen.generators.folder``), and draw every random
number from ``procgen.seeding.torch_generator(stream)``.
"""
from procgen.generators.learned import flow, vae  # noqa: F401
from procgen.generators.learned import gan, rcurve  # noqa: F401
from procgen.generators.learned import gru  # noqa: F401
from procgen.generators.learned import levels  # noqa: F401
