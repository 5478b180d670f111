"""Make ``assets/levels/platformer-14``: 24 side-view levels in VGLC's Super Mario Bros format.

The real Super Mario Bros levels are Nintendo's and cannot ship with procgen, so a learned
side-view model is trained on this stand-in instead: levels drawn by this seeded script in
the same characters and tags (VGLC's ``smb.json``), 14 rows by 160-220 columns, CC0.

A level is a row of *pieces* laid left to right between two flat runs of ``EDGE`` columns
(spawn and goal stand there, and no pit may come that close to an end). Each piece draws its
own 14 rows, ground included, so pieces never reach into each other: a flat run, a field of
pipes, pits, floating block platforms, a staircase, cannons. Which pieces a level favours is
drawn per level, so levels differ in character, not only in detail.

Every level is checked the way procgen checks a learned model's levels (spawn and goal by
``place_endpoints``, the side-view jump model, no broken pipe, ground under 85% of columns);
a level that fails is drawn again from the next child stream, so the output stays a pure
function of the seed.

    python scripts/make_platformer_corpus.py [--out DIR] [--seed SEED]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from procgen.content import Tile
from procgen.datasets.levels import build_tileset
from procgen.evaluate.mario_agent import SMB_LEGEND
from procgen.levels.endpoints import place_endpoints
from procgen.levels.pipes import broken_pipes, pipe_roles
from procgen.levels.playability import is_playable
from procgen.seeding import child, make_rng, seed_sequence

ROWS = 14
GROUND = 12  # ground fills rows 12-13; the player walks on row 11
LEVELS = 24
WIDTHS = (160, 220)  # inclusive
EDGE = 10  # flat, pit-free columns at each end
MIN_GROUND = 0.85  # share of columns with ground on the bottom row
TRIES = 200
SEED = "platformer-14"
OUT = Path(__file__).resolve().parent.parent / "assets" / "levels" / "platformer-14"

# VGLC's smb.json tags, from the one copy procgen keeps (the Mario agent's legend). Pipe parts
# are *named* by their role tags because procgen.levels.pipes finds the four roles in names.
LEGEND: dict[str, object] = {
    "tiles": SMB_LEGEND["tiles"],
    "names": {
        "X": "ground", "S": "brick", "-": "sky", "?": "question block", "Q": "empty question block",
        "E": "enemy", "<": "top-left pipe", ">": "top-right pipe", "[": "left pipe", "]": "right pipe",
        "o": "coin", "B": "cannon top", "b": "cannon bottom"},
    "colors": {
        "X": "#b4541c", "S": "#c84c0c", "-": "#5c94fc", "?": "#fca044", "Q": "#8c5a2c", "E": "#8c3c1c",
        "<": "#58d854", ">": "#58d854", "[": "#00a800", "]": "#00a800", "o": "#fcd800",
        "B": "#202020", "b": "#585858"},
    "view": "side-view",
}

Piece = np.ndarray  # (ROWS, width) array of one-char strings
Rng = np.random.Generator


def ground(width: int) -> Piece:
    """Sky over two rows of ground: every piece starts from this."""
    piece = np.full((ROWS, width), "-", dtype="<U1")
    piece[GROUND:] = "X"
    return piece


def put(piece: Piece, row: int, col: int, char: str) -> None:
    """Write ``char`` into an empty sky cell only, so decorations never cut into terrain."""
    if piece[row, col] == "-":
        piece[row, col] = char


def coins(piece: Piece, rng: Rng, row: int, lo: int, hi: int) -> None:
    """A short run of coins in the air somewhere in columns [lo, hi)."""
    if hi - lo >= 2:
        start = int(rng.integers(lo, hi - 1))
        for col in range(start, min(hi, start + int(rng.integers(2, 6)))):
            put(piece, row, col, "o")


def enemies(piece: Piece, rng: Rng, lo: int, hi: int, most: int) -> None:
    """Up to ``most`` enemies in columns [lo, hi), each standing on the ground or a block below it
    (never on a pipe or cannon, where a walker could not stay)."""
    for col in rng.choice(np.arange(lo, hi), size=min(most, max(0, hi - lo)), replace=False):
        solid = np.flatnonzero(piece[:, col] != "-")
        if solid.size and solid[0] > 1 and piece[solid[0], col] in "XS?Q":  # ground or blocks
            put(piece, int(solid[0]) - 1, int(col), "E")


def flat(rng: Rng) -> Piece:
    """A plain run of ground with a few walking enemies and maybe coins overhead."""
    piece = ground(int(rng.integers(8, 17)))
    enemies(piece, rng, 2, piece.shape[1] - 2, int(rng.integers(0, 3)))
    if rng.random() < 0.4:
        coins(piece, rng, int(rng.integers(7, 10)), 2, piece.shape[1] - 2)
    return piece


def blocks(rng: Rng) -> Piece:
    """Floating bricks and question blocks at row 8 or 9, sometimes a second tier 4 rows up."""
    piece = ground(int(rng.integers(12, 23)))
    width = piece.shape[1]
    row = int(rng.integers(8, 10))
    length = int(rng.integers(3, min(9, width - 4) + 1))
    start = int(rng.integers(2, width - 2 - length + 1))
    # Mostly bricks with a question block here and there, as in SMB; some rows all "?".
    share = 0.25 if rng.random() < 0.75 else 1.0
    for col in range(start, start + length):
        piece[row, col] = ("?" if rng.random() < 0.9 else "Q") if rng.random() < share else "S"
    if length >= 4 and rng.random() < 0.45:
        top = row - 4
        inner = int(rng.integers(2, length - 1))
        first = start + int(rng.integers(0, length - inner + 1))
        piece[top, first:first + inner] = rng.choice(["S", "?"], size=inner, p=[0.6, 0.4])
        coins(piece, rng, top - 1, first, first + inner)
    elif rng.random() < 0.5:
        coins(piece, rng, row - 2, start, start + length)
    if rng.random() < 0.4:  # an enemy walking on the platform
        enemies(piece, rng, start, start + length, 1)
    enemies(piece, rng, 2, width - 2, int(rng.integers(0, 3)))
    return piece


def pipes(rng: Rng) -> Piece:
    """A pipe field: whole pipes 2-4 tiles tall on solid ground, enemies between them."""
    piece = ground(int(rng.integers(14, 31)))
    col = 2
    while col + 2 <= piece.shape[1] - 2:
        height = int(rng.integers(2, 5))
        piece[GROUND - height, col:col + 2] = ["<", ">"]
        piece[GROUND - height + 1:GROUND, col] = "["
        piece[GROUND - height + 1:GROUND, col + 1] = "]"
        gap = int(rng.integers(3, 8))
        if rng.random() < 0.5:
            enemies(piece, rng, col + 2, min(col + 2 + gap, piece.shape[1] - 2), 1)
        col += 2 + gap
    return piece


def pits(rng: Rng) -> Piece:
    """One to three pits 2-5 wide with ground between them, coins over some."""
    gaps = [(int(rng.integers(2, 6)), int(rng.integers(4, 9))) for _ in range(int(rng.integers(1, 4)))]
    piece = ground(2 + sum(pit + land for pit, land in gaps))
    col = 2
    for pit, land in gaps:
        piece[GROUND:, col:col + pit] = "-"
        if rng.random() < 0.4:
            coins(piece, rng, int(rng.integers(7, 9)), col, col + pit)
        col += pit
        if rng.random() < 0.3:
            enemies(piece, rng, col + 1, col + land - 1, 1)
        col += land
    return piece


def stairs(rng: Rng) -> Piece:
    """An X-block staircase 4-5 high; down the other side, across a gap to a mirrored stair
    (SMB 1-1), or ending in a drop to a short pit."""
    height = int(rng.integers(4, 6))
    style = rng.choice(["pyramid", "gap", "drop"])
    gap = int(rng.integers(2, 4)) if style != "pyramid" else 0
    down = height if style != "drop" else 0
    piece = ground(2 + height + gap + down + 3)
    for step in range(height):
        piece[GROUND - 1 - step:GROUND, 2 + step:] = "X"  # each step fills to the end; trimmed below
    col = 2 + height  # the top is two columns wide: the last step and the first step down
    piece[:GROUND, col:] = "-"
    if gap:
        piece[GROUND:, col:col + gap] = "-"
        col += gap
    for step in range(down):
        piece[GROUND - height + step:GROUND, col + step] = "X"
    return piece


def cannons(rng: Rng) -> Piece:
    """One or two cannons (a ``B`` over ``b`` bodies down to the ground), 1-3 tiles tall."""
    piece = ground(int(rng.integers(10, 17)))
    for col in sorted(rng.choice(np.arange(2, piece.shape[1] - 2, 4), size=int(rng.integers(1, 3)), replace=False)):
        height = int(rng.integers(1, 4))
        piece[GROUND - height, col] = "B"
        piece[GROUND - height + 1:GROUND, col] = "b"
    enemies(piece, rng, 2, piece.shape[1] - 2, int(rng.integers(0, 2)))
    return piece


PIECES: dict[str, Callable[[Rng], Piece]] = {
    "flat": flat, "blocks": blocks, "pipes": pipes, "pits": pits, "stairs": stairs, "cannons": cannons}


def draw_level(rng: Rng) -> Piece:
    """One level: flat start, pieces by this level's own mix, flat run to the end."""
    width = int(rng.integers(WIDTHS[0], WIDTHS[1] + 1))
    mix = rng.dirichlet(np.full(len(PIECES), 1.5))  # this level's character
    parts = [ground(EDGE)]
    used = EDGE
    while True:
        piece = PIECES[rng.choice(list(PIECES), p=mix)](rng)
        if used + piece.shape[1] > width - EDGE:
            break
        parts.append(piece)
        used += piece.shape[1]
    parts.append(ground(width - used))  # at least EDGE columns: the last piece that fit left room
    return np.concatenate(parts, axis=1)


def checked(level: Piece, tileset: tuple[Tile, ...]) -> bool:
    """Playable under the default side-view jump model, no broken pipe, ground mostly whole."""
    ids = np.vectorize({t.char: i for i, t in enumerate(tileset)}.__getitem__, otypes=[np.int32])(level)
    tilemap = place_endpoints(ids, tileset, LEGEND, "side-view")
    air = np.array([t.walkable for t in tileset])
    return (is_playable(tilemap, view="side-view")
            and broken_pipes(ids, pipe_roles(tileset), air=air) == 0
            and float(np.mean(level[-1] == "X")) >= MIN_GROUND)


def make_corpus(out: Path, seed: str = SEED) -> list[Path]:
    """Write the legend and the LEVELS levels into ``out``; the files written."""
    tileset = build_tileset(LEGEND)
    root = seed_sequence(seed, "platformer-14")
    out.mkdir(parents=True, exist_ok=True)
    legend_file = out / "smb.json"
    legend_file.write_text(json.dumps(LEGEND, indent=1) + "\n", encoding="utf-8")
    written = [legend_file]
    for index in range(LEVELS):
        stream = child(root, f"level-{index}")
        for attempt in range(TRIES):  # a redraw takes a fresh child stream: reproducible
            level = draw_level(make_rng(child(stream, f"try-{attempt}")))
            if checked(level, tileset):
                break
        else:
            raise RuntimeError(f"level {index}: no playable draw in {TRIES} tries")
        path = out / f"platformer-{index:02d}.txt"
        path.write_text("".join("".join(row) + "\n" for row in level), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default: %(default)s)")
    parser.add_argument("--seed", default=SEED, help="corpus seed (default: %(default)s)")
    args = parser.parse_args(argv)
    for path in make_corpus(args.out, args.seed):
        print(path)


if __name__ == "__main__":
    main()
