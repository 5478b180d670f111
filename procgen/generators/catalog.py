"""The built-in generators, listed as plain data so naming one imports nothing.

``procgen list``, ``procgen --version`` and ``procgen.available()`` read this table
instead of importing every generator module: the learned ones pull in torch, zuko and
numba, which take seconds to load. The registry imports an entry's ``module`` on first
use of the name; importing it runs the class's ``@register``, which is the single place a
class is bound to its name.

Adding a built-in generator means adding its row here. ``tests/test_startup.py`` imports
every module and checks each row against the real class, so this table cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["hand-written", "learned"]


@dataclass(frozen=True)
class CatalogEntry:
    """What can be said about a generator without importing it."""

    name: str
    kind: Kind
    content: str  # the content type's class name: "RiverPath", "Heightmap", "TileMap"
    description: str
    module: str  # importing this module registers the class


_HANDWRITTEN = "procgen.generators.handwritten"
_LEARNED = "procgen.generators.learned"

_ENTRIES = (
    CatalogEntry("landscape/eroded", "hand-written", "Heightmap",
                 "terrain worn by rain: fbm noise after droplet-based hydraulic erosion", f"{_HANDWRITTEN}.eroded"),
    CatalogEntry("landscape/fbm", "hand-written", "Heightmap",
                 "rolling terrain: octaves of seeded gradient noise (fractal Brownian motion), endless or tileable",
                 f"{_HANDWRITTEN}.fbm"),
    CatalogEntry("landscape/island", "hand-written", "Heightmap",
                 "an island: noise terrain with a radial falloff to sea at the map edges", f"{_HANDWRITTEN}.island"),
    CatalogEntry("level/overworld", "hand-written", "TileMap",
                 "top-down level: biomes, rivers from any river generator, a road from spawn to goal",
                 f"{_HANDWRITTEN}.overworld"),
    CatalogEntry("level/wfc", "hand-written", "TileMap",
                 "WaveFunctionCollapse, overlapping model: N x N patterns of a level corpus, "
                 "min-entropy observation, propagation and backtracking; fixed tiles, a guaranteed path",
                 f"{_HANDWRITTEN}.wfc"),
    CatalogEntry("river/coinflip", "hand-written", "RiverPath",
                 "the seeds' river: step forward, flip a coin to turn left or right, repeat", f"{_HANDWRITTEN}.coinflip"),
    CatalogEntry("river/downhill", "hand-written", "RiverPath",
                 "a river from a high source flowing downhill (filled depressions) to the sea or edge",
                 f"{_HANDWRITTEN}.downhill"),
    CatalogEntry("river/meander", "hand-written", "RiverPath",
                 "a river whose turns persist (AR(1) curvature), so it swings in smooth bends", f"{_HANDWRITTEN}.meander"),
    CatalogEntry("level/columns", "learned", "TileMap",
                 "platformer levels column by column: each column a whole slice of a training level, "
                 "chosen by an MLP over the columns before it; pipes kept whole", f"{_LEARNED}.levels.columns"),
    CatalogEntry("level/conditional", "learned", "TileMap",
                 "a conditional VAE mapping given level parameters (shares of tags such as water or forest) "
                 "to a level of any size", f"{_LEARNED}.levels.conditional"),
    CatalogEntry("level/gan", "learned", "TileMap",
                 "WGAN-GP convolutional generator of tile levels from a spatial noise grid (implicit: no likelihood)",
                 f"{_LEARNED}.levels.gan"),
    CatalogEntry("level/transformer", "learned", "TileMap",
                 "autoregressive tile model: a tiny transformer reads each tile's causal neighbourhood (rows above, "
                 "tiles to the left) and a density control; sampled tile by tile in scan order; exact log_prob",
                 f"{_LEARNED}.levels.transformer"),
    CatalogEntry("level/vae", "learned", "TileMap",
                 "a convolutional variational autoencoder over one-hot tiles with a spatial latent grid; "
                 "a level of any size is one decode of a grid of prior noise", f"{_LEARNED}.levels.vae"),
    CatalogEntry("river/flow", "learned", "RiverPath",
                 "a neural spline flow over 64-turn windows of real rivers' turning angles (exact log_prob)",
                 f"{_LEARNED}.flow"),
    CatalogEntry("river/gan", "learned", "RiverPath",
                 "WGAN-GP generator of turning-angle windows (implicit: no log_prob)", f"{_LEARNED}.gan"),
    CatalogEntry("river/gru", "learned", "RiverPath",
                 "a GRU over turning angles with a mixture density per turn; ask for a sinuosity", f"{_LEARNED}.gru"),
    CatalogEntry("river/rcurve", "learned", "RiverPath",
                 "one river fitted as a noisy curve X = f(Z) + N(0, sigma^2 I); makes smooth variations of it",
                 f"{_LEARNED}.rcurve"),
    CatalogEntry("river/vae", "learned", "RiverPath",
                 "a variational autoencoder over 64-turn windows of real rivers' turning angles", f"{_LEARNED}.vae"),
)

CATALOG: dict[str, CatalogEntry] = {entry.name: entry for entry in _ENTRIES}
