"""Input without pygame: actions, the seed-entry box, scripted key replay, random seeds.

Every demo turns keys into named actions through two tables: ``KEYS`` (pygame key
names, as ``pygame.key.name`` spells them) and ``LETTERS`` (one letter per action, for
``--keys`` scripts). A script is a string of letters; each letter is one step of
``key_frames`` frames: a held action (walking) is held for the whole step, any other
action fires once at the step's start. ``.`` waits one step. ``[text]`` types text into
the open seed box and presses Enter (``S[mossy-canyon]`` plays seed mossy-canyon).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Mapping

from procgen.errors import ParameterError, ProcgenError
from procgen.seeding import normalize_seed

MAX_SEED_TEXT = 64


def random_seed() -> int:
    """A fresh seed from the OS (the N key): only the seed is random, never a global RNG."""
    return secrets.randbits(64)


def next_seed(seed: int, step: int = 1) -> int:
    """The seed ``step`` after ``seed``, wrapping inside [0, 2**64)."""
    return (seed + step) % 2**64


def describe(error: BaseException) -> str:
    """One line for the HUD: procgen errors as they are, anything else marked as a bug."""
    if isinstance(error, ProcgenError):
        return str(error)
    return f"internal error: {type(error).__name__}: {error}"


class SeedEntry:
    """The 'type a seed' box: an int or any text, checked by the seed contract on Enter."""

    def __init__(self) -> None:
        self.active = False
        self.text = ""
        self.error = ""

    def open(self) -> None:
        self.active, self.text, self.error = True, "", ""

    def cancel(self) -> None:
        self.active, self.text, self.error = False, "", ""

    def type(self, text: str) -> None:
        printable = "".join(ch for ch in text if ch.isprintable())
        self.text = (self.text + printable)[:MAX_SEED_TEXT]
        self.error = ""

    def backspace(self) -> None:
        self.text = self.text[:-1]

    def submit(self) -> tuple[int, str] | None:
        """(seed, label) and the box closes; None (box stays open, ``error`` set) on a bad seed."""
        try:
            seed = normalize_seed(self.text)
        except ProcgenError as exc:
            self.error = str(exc)
            return None
        label = self.text.strip()
        self.cancel()
        return seed, label

    def handle(self, action: str) -> tuple[int, str] | None:
        """Apply an ``entry-*`` action; the chosen (seed, label) when it was a good submit."""
        if action == "entry-submit":
            return self.submit()
        if action == "entry-cancel":
            self.cancel()
        elif action == "entry-backspace":
            self.backspace()
        return None


# Keys the seed box takes for itself while it is open.
ENTRY_KEYS = {"return": "entry-submit", "enter": "entry-submit", "escape": "entry-cancel",
              "backspace": "entry-backspace"}


def route_key(key_name: str, keys: Mapping[str, str], entry_open: bool) -> str | None:
    """The action for a pressed key: the seed box's own keys while it is open, else the table."""
    if entry_open:
        return ENTRY_KEYS.get(key_name)  # other keys arrive as typed text
    return keys.get(key_name)


@dataclass(frozen=True)
class Step:
    """One scripted step: an action (or None to wait), or text to type into the seed box."""

    action: str | None = None
    text: str | None = None


def parse_script(script: str, letters: Mapping[str, str]) -> list[Step]:
    """``--keys`` text as steps; an unknown letter is a ParameterError naming the known ones."""
    steps: list[Step] = []
    i = 0
    while i < len(script):
        ch = script[i]
        if ch == "[":
            end = script.find("]", i)
            if end < 0:
                raise ParameterError(f"--keys: '[' at position {i} has no closing ']'")
            steps.append(Step(text=script[i + 1:end]))
            i = end + 1
            continue
        if ch == ".":
            steps.append(Step())
        elif ch.upper() in letters:
            steps.append(Step(action=letters[ch.upper()]))
        elif not ch.isspace():
            known = " ".join(f"{k}={v}" for k, v in letters.items())
            raise ParameterError(f"--keys: unknown key letter {ch!r}; use {known}, '.' to wait, [text] to type")
        i += 1
    return steps
