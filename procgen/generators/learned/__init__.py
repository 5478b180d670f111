"""Learned generators: PyTorch models fitted to example data (rivers, levels).

They implement the same Generator interface as the hand-written ones in
``procgen.generators.handwritten``, keep their parameters as named weights (saved as
safetensors in a model folder, see ``procgen.generators.folder``), and draw every random
number from ``procgen.seeding.torch_generator(stream)``.

The modules are not imported here, because they import torch (seconds): the registry
imports one the first time its generator's name is used (see ``catalog.py``).
"""
