"""Hand-written generators: algorithms a designer can read and tune.

The modules are not imported here: ``procgen.generators.registry`` imports one the first
time its generator's name is used (the noise and erosion kernels load numba).
"""
