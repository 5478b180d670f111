"""Hand-written generators: algorithms a designer can read and tune."""

# Importing a module registers its generators.
from procgen.generators.handwritten import (  # noqa: F401
    coinflip, downhill, eroded, fbm, island, meander, overworld,
)
