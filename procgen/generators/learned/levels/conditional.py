"""level/conditional: a generator that maps given level parameters to a level (a conditional VAE).

The seeds' "rendered chairs" idea: a network that turns given parameters (there: chair
type, viewpoint) into content. Here the parameters c are the shares of some tags in a
window (how much of it is water, forest, ...), computed by
``procgen.generators.learned.levels.data.tag_shares`` over the legend's tags.

Model. The VAE of ``vae.py``, framed by default (``frame`` > 0: windows cut from levels
framed with BORDER, a level latent g, a level drawn on its canvas; see ``framed.py``), c
standardised by the training table's mean and sd. Framed, c joins g as one level vector the
decoder reads at every cell (p(x | z, g, c)); the encoder reads the window alone, q(z, g | x),
which is no loss since c is the window's own tag shares, over its level tiles. Unframed
(``frame = 0``, the shipped overworld model), c is given to both networks as constant maps,
appended to the encoder's input and to the decoder's input at each of its three
resolutions: q(z | x, c) and p(x | z, c). Training maximises the conditional ELBO

    log p(x | c) >= E_q[log p(x | z, c)] - KL(q(z | x, c) || N(0, I)),

each training window conditioned on its own tag shares. Since c is free to the decoder and
z costs nats, the decoder learns to read the shares from c.

Parameters. ``parameters`` names the tags (comma separated). Left empty, fit chooses them
before it builds the network: the tags other than passable/spawn/goal that cover at least
1% of the tiles of the corpus's training levels (markers stripped), most common first (ties
by name), skipping a tag that marks exactly the same tiles as one already chosen (``wall``
beside ``solid``), at most 4; the list goes into the config, so it is saved with the model.
The network has one condition map per parameter (4 placeholder maps before fit).

Targets. ``targets`` ("water=0.4,forest=0.2") fixes some parameters. The others are taken
from the table of training-window parameters kept in ``self.extras``: a row is chosen by
the seed's uniform among the NEAREST rows closest (Euclidean, over the given tags) to the
targets, so what is not asked for stays consistent with what is (more water, less grass),
and the given values then replace that row's. With no targets the row is any row of the
table: the generator then samples the training windows' mix of parameters.

Sampling is that of level/vae (argmax by default, ``temperature`` > 0 samples). Each of the
base's ``draws`` (generate and test) takes its own row, so with targets the untargeted
parameters of a kept level lean to rows whose levels can be crossed. The conditional ELBO
``elbo(level)`` scores a level given its own tag shares, a bound on log p(x | c(x)).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from procgen.errors import ParameterError
from procgen.generators.config import param
from procgen.datasets.levels import LevelCorpus, load_corpus
from procgen.generators.learned.levels.data import split_corpus, tag_shares, terrain
from procgen.generators.learned.levels.vae import FramedVAEConfig, VAELevel
from procgen.generators.registry import register

MAX_CHOSEN = 4  # most parameters fit chooses (and the condition maps of an untrained model)
MIN_SHARE = 0.01  # a tag fit chooses covers at least this share of the training levels' tiles
NOT_PARAMETERS = ("passable", "spawn", "goal")  # tags fit never chooses
NEAREST = 32  # table rows nearest the targets the seed chooses among
TABLE_ROWS = 4096  # most training-window rows kept in the table
MIN_SCALE = 0.01  # floor on a parameter's sd when standardising (a near-constant tag)


def choose_parameters(corpus: LevelCorpus) -> list[str]:
    """The module docstring's rule, over the tiles of the corpus's training levels (markers stripped)."""
    counts = np.bincount(np.concatenate([grid.ravel() for grid in terrain(split_corpus(corpus)["train"], corpus)]),
                         minlength=len(corpus.tileset)).astype(np.float64)  # (T,)
    carriers = [set(corpus.legend["tiles"][tile.char]) for tile in corpus.tileset]  # tags of each tile id
    tags = sorted(set().union(*carriers) - set(NOT_PARAMETERS))
    masks = {tag: tuple(tag in c for c in carriers) for tag in tags}
    share = {tag: float(counts[list(masks[tag])].sum() / counts.sum()) for tag in tags}
    chosen: list[str] = []
    for tag in sorted(tags, key=lambda t: (-share[t], t)):
        if share[tag] < MIN_SHARE or len(chosen) == MAX_CHOSEN:
            break
        if all(masks[tag] != masks[other] for other in chosen):  # not the same tiles as a chosen tag
            chosen.append(tag)
    if not chosen:
        raise ParameterError("no tag besides passable/spawn/goal covers 1% of the training levels' tiles; "
                             "name the parameters with --set parameters=TAG,...")
    return chosen


def parse_parameters(text: str) -> list[str]:
    """Tags of a ``parameters`` string ("water, forest" -> ["water", "forest"]); "" -> []."""
    if not text.strip():
        return []
    tags = [tag.strip() for tag in text.split(",")]
    for tag in tags:
        if not tag or "=" in tag:
            raise ParameterError(f"parameter parameters must be comma-separated tag names, got {text!r}")
    if len(set(tags)) != len(tags):
        raise ParameterError(f"parameter parameters names a tag twice: {text!r}")
    return tags


def parse_targets(text: str) -> dict[str, float]:
    """``targets`` text ("water=0.4, forest=0.2") as {tag: share}; "" -> {}."""
    if not text.strip():
        return {}
    targets: dict[str, float] = {}
    for item in text.split(","):
        tag, sep, value = item.partition("=")
        tag = tag.strip()
        try:
            share = float(value)
        except ValueError:
            share = math.nan
        if not sep or not tag or not (0.0 <= share <= 1.0):
            raise ParameterError(f"parameter targets must be tag=share items with shares in [0, 1] "
                                 f"(e.g. water=0.4,forest=0.2), got {item.strip()!r}")
        if tag in targets:
            raise ParameterError(f"parameter targets gives {tag!r} twice")
        targets[tag] = share
    return targets


@dataclass(frozen=True, kw_only=True)
class ConditionalLevelConfig(FramedVAEConfig):
    parameters: str = param("", "comma-separated tags whose shares are the level parameters; "
                                "empty: fit chooses up to 4 common tags and stores them here")
    targets: str = param("", "shares asked for, e.g. water=0.4,forest=0.2; the other parameters are drawn "
                             "by the seed from the training windows'")

    def validate(self) -> None:
        super().validate()
        tags = parse_parameters(self.parameters)
        unknown = [tag for tag in parse_targets(self.targets) if tags and tag not in tags]
        if unknown:
            raise ParameterError(f"parameter targets names {', '.join(map(repr, unknown))}, not a model "
                                 f"parameter; the parameters are {', '.join(tags)}")


@register
class ConditionalLevel(VAELevel):
    name = "level/conditional"
    description = ("a conditional VAE mapping given level parameters (shares of tags such as water or forest) "
                   "to a level of any size")
    Config = ConditionalLevelConfig
    config: ConditionalLevelConfig

    def parameter_tags(self) -> list[str]:
        return parse_parameters(self.config.parameters)

    def conditions(self) -> int:
        return len(self.parameter_tags()) or MAX_CHOSEN  # untrained and unchosen: placeholder maps

    # ---- the parameter table ----------------------------------------------------------
    def table(self) -> torch.Tensor:
        """(N, K) training-window parameters (one zero row before fit)."""
        if "table" in self.extras:
            return torch.from_numpy(np.asarray(self.extras["table"], dtype=np.float32)).to(torch.get_default_dtype())
        return torch.zeros((1, self.conditions()))

    def standardised(self, shares: torch.Tensor) -> torch.Tensor:
        """(B, K) shares as the networks take them: minus the table mean, over its sd."""
        if "mean" not in self.extras:
            return shares
        # Stored as float32; computed in the default dtype (float64 on the portable generate path).
        mean = torch.from_numpy(np.asarray(self.extras["mean"], dtype=np.float32)).to(shares.dtype)
        scale = torch.from_numpy(np.asarray(self.extras["scale"], dtype=np.float32)).to(shares.dtype)
        return (shares - mean) / scale

    def window_conditions(self, x: torch.Tensor) -> torch.Tensor:
        tags = self.parameter_tags()
        if not tags:
            return torch.zeros((x.shape[0], self.conditions()))
        return self.standardised(tag_shares(x, self.tag_masks(tags), border=self.framed))  # (B, K)

    def parameters_for(self, pick: torch.Tensor) -> torch.Tensor:
        """(K,) shares of one level: the targets, the rest from a table row chosen by ``pick`` in [0, 1)."""
        table, tags = self.table(), self.parameter_tags()  # (N, K)
        targets = parse_targets(self.config.targets)
        unknown = [tag for tag in targets if tag not in tags]
        if unknown:
            raise ParameterError(f"parameter targets names {', '.join(map(repr, unknown))}, not a model "
                                 f"parameter; the parameters are {', '.join(tags) or 'not chosen yet (fit)'}")
        given = torch.tensor([tags.index(tag) for tag in targets], dtype=torch.long)  # (G,)
        values = torch.tensor(list(targets.values()), dtype=table.dtype)  # (G,)
        rows = torch.arange(len(table))
        if len(given):
            distance = ((table[:, given] - values) ** 2).sum(dim=1)  # (N,)
            rows = torch.sort(distance, stable=True).indices[:NEAREST]
        chosen = table[rows[min(int(float(pick) * len(rows)), len(rows) - 1)]].clone()  # (K,)
        chosen[given] = values
        return chosen

    # ---- sampling ---------------------------------------------------------------------
    def draw_noise(self, rng: np.random.Generator, height: int, width: int) -> dict[str, np.ndarray]:
        noise = super().draw_noise(rng, height, width)
        noise["pick"] = rng.random(())  # which table row supplies untargeted parameters
        return noise

    def noise_condition(self, noise: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.standardised(self.parameters_for(noise["pick"])[None])  # (1, K); zeros before fit

    # ---- training -----------------------------------------------------------------------
    def fit(self, data: LevelCorpus | str | os.PathLike[str], *, out: Any = None, resume: bool = False,
            progress: bool = False, **params: Any) -> "ConditionalLevel":
        """Train on ``data``; with no ``parameters`` given, choose them first (module docstring)."""
        corpus = data if isinstance(data, LevelCorpus) else load_corpus(data)
        if not parse_parameters(params.get("parameters", self.config.parameters)):
            params["parameters"] = ",".join(choose_parameters(corpus))
        return super().fit(corpus, out=out, resume=resume, progress=progress, **params)  # type: ignore[return-value]

    def prepare(self, train_x: torch.Tensor) -> None:
        super().prepare(train_x)
        tags = self.parameter_tags()
        if not tags:  # fit chooses them; only a caller that skips fit gets here
            raise ParameterError("parameter parameters is empty; train with fit, which chooses them")
        known = {tag for chars in self.legend["tiles"].values() for tag in chars}
        missing = [tag for tag in tags if tag not in known]
        if missing:
            raise ParameterError(f"parameter parameters names {', '.join(map(repr, missing))}, not a tag of "
                                 f"this corpus's legend (its tags: {', '.join(sorted(known))})")
        shares = tag_shares(train_x, self.tag_masks(tags), border=self.framed)  # (N, K)
        keep = torch.linspace(0, len(shares) - 1, min(len(shares), TABLE_ROWS)).round().long()
        self.extras["table"] = shares[keep].numpy().astype(np.float32)  # (N', K) evenly spaced rows
        self.extras["mean"] = shares.mean(dim=0).numpy().astype(np.float32)
        self.extras["scale"] = shares.std(dim=0).clamp(min=MIN_SCALE).numpy().astype(np.float32)
        self.extras["parameters"] = np.frombuffer(",".join(tags).encode("utf-8"), dtype=np.uint8).copy()

    def _set_weights(self, weights: dict[str, np.ndarray]) -> None:
        super()._set_weights(weights)
        stored = self.extras.get("parameters")
        if stored is None:
            return
        trained = np.asarray(stored, dtype=np.uint8).tobytes().decode("utf-8", errors="replace")
        if parse_parameters(trained) != self.parameter_tags():
            raise ParameterError(f"parameter parameters is fixed by fit: this model was trained on {trained!r}, "
                                 f"not {self.config.parameters!r}")
