"""Seeds and random streams: the determinism contract of DESIGN.md, in one place.

A seed is an int in [0, 2**64) or text. Text maps to an int by a stable, documented
hash that any language can reproduce:

    seed = int.from_bytes(sha256(utf8(NFC(text.strip()))).digest()[:8], "little")

except that text which is a decimal integer ("42", "-1") is read as that integer, so
``procgen generate ... --seed 42`` and ``generate(42)`` agree and ``--seed -1`` is
rejected rather than silently hashed.

Each generate call builds its own stream: a ``numpy.random.SeedSequence`` keyed by the
seed and the generator's stable name. Sub-parts take named child streams, so adding or
swapping one part never shifts the random numbers another part sees.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from numbers import Integral
from typing import TYPE_CHECKING, Union

import numpy as np

from procgen.errors import SeedError, shown

if TYPE_CHECKING:
    import torch

Seed = Union[int, str]

SEED_LIMIT = 2**64
_DECIMAL = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = len(str(SEED_LIMIT))  # more significant digits than this is out of range, whatever they are


def text_seed(text: str) -> int:
    """The documented stable hash of a text seed (no decimal-integer shortcut)."""
    canonical = unicodedata.normalize("NFC", text.strip())
    try:
        encoded = canonical.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates: from the API, or bytes that were not UTF-8 on the command line
        # (Python hands those to argv as surrogate escapes).
        raise SeedError(f"seed text {shown(text)} is not valid Unicode: it holds a lone surrogate "
                        "(on the command line: bytes that are not UTF-8); give UTF-8 text") from None
    return int.from_bytes(hashlib.sha256(encoded).digest()[:8], "little")


def normalize_seed(seed: object) -> int:
    """Map an int or text seed to an int in [0, 2**64); raise SeedError otherwise."""
    if isinstance(seed, (bool, np.bool_)):
        raise SeedError(f"seed must be an int or text, not the bool {seed!r}; use 0 or 1")
    if isinstance(seed, Integral):
        return _checked_int(int(seed), seed)
    if isinstance(seed, str):
        stripped = seed.strip()
        if not stripped:
            raise SeedError("seed text is empty; give a number like 42 or a word like 'mossy-canyon'")
        if _DECIMAL.fullmatch(stripped):
            return _decimal(stripped, seed)
        return text_seed(stripped)
    raise SeedError(
        f"seed must be an int in [0, 2**64) or non-empty text, not {type(seed).__name__} {shown(seed)}"
    )


def _decimal(digits: str, given: str) -> int:
    # Decide by length before int(): Python refuses to convert text of more than 4300 digits.
    significant = digits.lstrip("+-").lstrip("0")
    if len(significant) > _MAX_DIGITS:
        raise SeedError(f"seed {shown(given)} is out of range ({len(significant)} digits); "
                        "seeds are ints in [0, 2**64) or text")
    sign = "-" if digits.startswith("-") else ""
    return _checked_int(int(sign + (significant or "0")), given)


def _checked_int(value: int, given: object) -> int:
    if not 0 <= value < SEED_LIMIT:
        raise SeedError(f"seed {shown(given)} is out of range; seeds are ints in [0, 2**64) or text")
    return value


def _words(value: int, count: int) -> list[int]:
    return [(value >> (32 * i)) & 0xFFFFFFFF for i in range(count)]


def _name_words(name: str) -> list[int]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return _words(int.from_bytes(digest[:16], "little"), 4)


def seed_sequence(seed: Seed, name: str) -> np.random.SeedSequence:
    """The root stream for one generate call of the generator called ``name``."""
    value = normalize_seed(seed)
    # Fixed-width words: SeedSequence zero-pads short entropy, so variable-length
    # encodings of (seed, name) could collide.
    entropy = _words(value, 2) + _name_words(name)
    return np.random.SeedSequence(entropy)


def child(stream: np.random.SeedSequence, part: str) -> np.random.SeedSequence:
    """A named child stream; independent of its siblings and of the order they are made."""
    return np.random.SeedSequence(
        stream.entropy, spawn_key=tuple(stream.spawn_key) + tuple(_name_words(part))
    )


def make_rng(stream: np.random.SeedSequence) -> np.random.Generator:
    """A fresh numpy Generator (PCG64) on ``stream``."""
    return np.random.Generator(np.random.PCG64(stream))


def torch_generator(stream: np.random.SeedSequence) -> "torch.Generator":
    """A fresh CPU torch.Generator on ``stream`` (torch is imported only when needed)."""
    import torch

    generator = torch.Generator(device="cpu")
    generator.manual_seed(int(stream.generate_state(1, np.uint64)[0]))
    return generator
