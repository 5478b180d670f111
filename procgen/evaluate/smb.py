"""The field's standard platformer corpus as VGLC distributes it, built at run time.

The real Super Mario Bros levels (Nintendo's) never ship with procgen: mario-gpt's wheel
holds them as one 14-row string (:func:`procgen.evaluate.mario_agent.real_smb_corpus`),
and :func:`write_vglc` writes 14 x 200 pieces of it into a folder exactly as the Video
Game Level Corpus lays out its SMB folder: one ``.txt`` per level and a legend named
``smb.json`` with no ``view`` key. The split is the issue's: 28 pieces to train on, 8 held
out (every 9th piece from the 5th and from the 9th, so both games are held out).

    >>> from procgen.evaluate.smb import smb_pieces, write_vglc
    >>> train, held_out = smb_pieces()  # doctest: +SKIP
    >>> write_vglc("smb-train", train)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from procgen.content import TileMap
from procgen.datasets.levels import build_tileset
from procgen.evaluate.mario_agent import SMB_LEGEND, padded, pieces, real_smb_corpus, real_smb_levels
from procgen.fileio import atomic_write
from procgen.levels.endpoints import place_endpoints

WIDTH = 200
HELD_OUT = frozenset(i for i in range(36) if i % 9 in (4, 8))


def smb_pieces(width: int = WIDTH) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(training, held-out) pieces of the joined real corpus, name to 14 rows of ``width``."""
    train, held_out = {}, {}
    for i, rows in enumerate(pieces(real_smb_corpus(), width)):
        (held_out if i in HELD_OUT else train)[f"smb-{i:02d}"] = rows
    return train, held_out


def real_level_cuts() -> dict[str, list[str]]:
    """Each real level whole (``full:NAME``) and its first 200 columns (``first200:NAME``, for
    the levels that long): the set the jump model is checked on against the agent."""
    levels = real_smb_levels()
    out = {f"full:{name}": rows for name, rows in levels.items()}
    out.update({f"first200:{name}": [r[:WIDTH] for r in rows] for name, rows in levels.items()
                if len(rows[0]) >= WIDTH})
    return out


def write_vglc(folder: str | os.PathLike[str], levels: dict[str, list[str]]) -> Path:
    """``levels`` as a VGLC folder: ``NAME.txt`` per level and ``smb.json`` (tags only, no view)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    legend = {"tiles": SMB_LEGEND["tiles"]}  # as VGLC ships it: the view is left to the reader
    atomic_write(out / "smb.json", lambda f: f.write(json.dumps(legend, indent=1).encode()))
    for name, rows in levels.items():
        text = "\n".join(rows) + "\n"
        atomic_write(out / f"{name}.txt", lambda f, text=text: f.write(text.encode("ascii")))
    return out


def as_tilemap(rows: list[str], pad: int = 3) -> TileMap:
    """A level's rows as the TileMap the agent plays: ``pad`` columns of flat ground at both
    ends (:func:`~procgen.evaluate.mario_agent.padded`), spawn and goal by the side-view rule."""
    tileset = build_tileset(SMB_LEGEND)
    lookup = {tile.char: i for i, tile in enumerate(tileset)}
    grid = np.array([[lookup[c] for c in row] for row in padded(rows, pad)], dtype=np.int32)
    return place_endpoints(grid, tileset, SMB_LEGEND, "side-view")
