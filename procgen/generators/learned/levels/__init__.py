"""Learned level generators: torch models trained on a corpus of example levels.

See ``base.py`` for what every model shares (windows, sampling at any size, spawn and goal,
repair, the legend stored with the weights) and ``data.py`` for the training windows.
The registry imports each model's module on first use of its name, so torch loads only then.
"""
