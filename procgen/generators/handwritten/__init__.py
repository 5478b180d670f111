"""Hand-written generators: algorithms a designer can read and tune."""

from procgen.generators.handwritten import coinflip, fbm  # noqa: F401  (registers them)
from procgen.generators.handwritten import meander  # noqa: F401,E402
from procgen.generators.handwritten import eroded, island  # noqa: F401  (landscapes; register them)
