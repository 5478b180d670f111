"""Tile identity in a level legend: each char's optional display name and preview colour.

Tags say what a tile *does* (walkable, spawn, ...); they cannot tell grass from road, which
are both ``passable``. So a legend may add two objects parallel to ``tiles``, each keyed by
the legend's chars and each optional per char::

    {"tiles":  {",": ["passable", "grass"], "#": ["passable", "road"], "^": ["solid", "mountain"]},
     "names":  {",": "grass", "#": "road"},
     "colors": {",": "#68a448", "#": "#c4a878"},
     "view": "top-down"}

They are parallel objects rather than a richer per-char entry so that ``tiles`` stays
char -> list of tags everywhere: every consumer of tags reads it unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from procgen.content import Tile
from procgen.errors import ContentError

__all__ = ["IDENTITY_KEYS", "color_hex", "identity_entries", "legend_identity", "parse_color", "tileset_identity"]

IDENTITY_KEYS = ("names", "colors")
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
RGB = tuple[int, int, int]


def parse_color(text: Any, where: str, char: str) -> RGB:
    """``"#rrggbb"`` as an (r, g, b) tuple; anything else is a ContentError naming ``where`` and ``char``."""
    if not isinstance(text, str) or not _HEX_COLOR.fullmatch(text):
        raise ContentError(f"{where}: colour of tile {char!r} must be a \"#rrggbb\" hex string such as "
                           f"\"#5a9e3a\", got {text!r}")
    return (int(text[1:3], 16), int(text[3:5], 16), int(text[5:7], 16))


def color_hex(color: Sequence[int]) -> str:
    """(r, g, b) as the legend's ``"#rrggbb"`` (lower case, so written legends are stable)."""
    return "#{:02x}{:02x}{:02x}".format(*color)


def _per_char(legend: Mapping[str, Any], key: str, chars: Sequence[str], where: str) -> dict[str, Any]:
    """The legend's ``key`` object (empty when absent), refused if it names a char ``tiles`` lacks."""
    entry = legend.get(key)
    if entry is None:
        return {}
    if not isinstance(entry, Mapping):
        raise ContentError(f"{where}: legend \"{key}\" must be an object (tile char -> value), got {entry!r}")
    unknown = sorted(set(entry) - set(chars), key=str)
    if unknown:
        raise ContentError(f"{where}: legend \"{key}\" has chars {unknown} that \"tiles\" lacks")
    return dict(entry)


def legend_identity(legend: Mapping[str, Any], chars: Sequence[str],
                    where: str) -> tuple[dict[str, str], dict[str, RGB]]:
    """The checked (names, colours) by char of a legend whose ``tiles`` hold ``chars``."""
    names = _per_char(legend, "names", chars, where)
    for char, name in names.items():
        if not isinstance(name, str) or not name.strip() or not name.isprintable():
            raise ContentError(f"{where}: name of tile {char!r} must be non-empty printable text, got {name!r}")
    seen: dict[str, str] = {}
    for char in sorted(names):  # unique, or two tiles would share one Tile.name
        if names[char] in seen:
            raise ContentError(f"{where}: tiles {seen[names[char]]!r} and {char!r} are both named {names[char]!r}; "
                               "tile names must be unique")
        seen[names[char]] = char
    colors = {char: parse_color(text, where, char) for char, text in
              _per_char(legend, "colors", chars, where).items()}
    return names, colors


def identity_entries(legend: Mapping[str, Any], where: str = "legend") -> dict[str, Any]:
    """The legend's ``names`` / ``colors`` objects (only those it has), checked, to carry into
    another legend; colours come back as lower-case ``"#rrggbb"``."""
    tiles = legend.get("tiles")
    names, colors = legend_identity(legend, list(tiles) if isinstance(tiles, Mapping) else [], where)
    entries: dict[str, Any] = {}
    if names:
        entries["names"] = dict(sorted(names.items()))
    if colors:
        entries["colors"] = {char: color_hex(rgb) for char, rgb in sorted(colors.items())}
    return entries


def tileset_identity(tileset: Sequence[Tile]) -> dict[str, Any]:
    """``names`` and ``colors`` legend entries that give back ``tileset``'s tile names and colours."""
    return {"names": {t.char: t.name for t in tileset}, "colors": {t.char: color_hex(t.color) for t in tileset}}
