"""Which seeds an export covers: a range ``START:STOP[:STEP]`` or a file of seeds.

A seeds file holds one seed per line, an int or text (``mossy-canyon``); blank lines and
lines starting with ``#`` are skipped. Every seed is checked before any work, and an
error names the file and line, so a typo never leaves half an export behind.
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from procgen.errors import SeedError, shown
from procgen.seeding import SEED_LIMIT, normalize_seed

_RANGE = re.compile(r"\s*([0-9]+)\s*:\s*([0-9]+)\s*(?::\s*([0-9]+)\s*)?")
# A text seed names its asset's files (seed-mossy-canyon.png) only when the text is safe
# wherever game assets travel: ASCII letters, digits, '-' and '_' (no '.', which could
# forge another asset's suffix such as ".height16"; no separators, spaces, control or
# non-ASCII characters, which some file systems or tools mangle), 64 characters at most.
# Windows device names (CON, NUL, COM1...) are harmless behind the "seed-" prefix. Any
# other text seed's files are named by its number; the manifest keeps both either way.
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Seed:
    """One seed of an export: its int value and, for a text seed, the text as given."""

    value: int
    text: str | None = None

    @property
    def name_text(self) -> str | None:
        """The text to name files by: the seed's text when safe (see _SAFE_TEXT), else None."""
        text = None if self.text is None else self.text.strip()
        # All digits: an int seed's own name (seed-12) must stay the int's.
        return text if text and _SAFE_TEXT.fullmatch(text) and not text.isdigit() else None


class SeedList(Sequence[Seed]):
    """An ordered, duplicate-free list of seeds; a range stays lazy (0:10**9 costs nothing)."""

    def __init__(self, values: range | Sequence[Seed], source: str) -> None:
        self._values = values
        self.source = source
        self._clashing: set[str] | None = None  # casefolded texts two seeds share; made on first use

    def file_stem(self, seed: Seed) -> str:
        """The stem of ``seed``'s file names: ``seed-<text>`` for a safe text seed, else
        ``seed-<number>``. Texts equal but for case (Canyon, canyon) would be one file on
        macOS and Windows, so each of them is named by its number."""
        text = seed.name_text
        if text is None or text.casefold() in self._clashes():
            return f"seed-{seed.value}"
        return f"seed-{text}"

    def _clashes(self) -> set[str]:
        if self._clashing is None:
            texts = () if isinstance(self._values, range) else (s.name_text for s in self._values)
            counts = Counter(t.casefold() for t in texts if t)
            self._clashing = {t for t, n in counts.items() if n > 1}
        return self._clashing

    def __len__(self) -> int:
        return len(self._values)

    def __getitem__(self, index):  # type: ignore[override]
        item = self._values[index]
        if isinstance(index, slice):
            return SeedList(item, self.source)
        return Seed(item) if isinstance(item, int) else item

    def __iter__(self) -> Iterator[Seed]:
        for item in self._values:
            yield Seed(item) if isinstance(item, int) else item


def as_seed_list(values: SeedList | Iterable[int | str | Seed]) -> SeedList:
    """Seeds given as a SeedList, or as ints, text or Seeds (checked, no repeats)."""
    if isinstance(values, SeedList):
        return values
    seeds: list[Seed] = []
    seen: set[int] = set()
    for item in values:
        seed = item if isinstance(item, Seed) else _given_seed(item)
        if seed.value in seen:
            raise SeedError(f"seed {shown(item)} is listed twice (it is seed {seed.value}); list each seed once")
        seen.add(seed.value)
        seeds.append(seed)
    return SeedList(seeds, "list")


def _given_seed(item: int | str) -> Seed:
    value = normalize_seed(item)
    return Seed(value, item if isinstance(item, str) and not re.fullmatch(r"\s*[+-]?[0-9]+\s*", item) else None)


def parse_seeds(spec: str | os.PathLike[str]) -> SeedList:
    """``START:STOP[:STEP]`` (STOP excluded) or the path of a seeds file."""
    text = os.fspath(spec)
    match = _RANGE.fullmatch(text)
    if match:
        return _range(text, *match.groups())
    path = Path(text)
    if ":" in text and not _is_file(path):
        raise SeedError(f"bad seed range {shown(text)}: use START:STOP or START:STOP:STEP with ints "
                        "0 <= START < STOP <= 2**64, e.g. 0:10000")
    if not _is_file(path):
        raise SeedError(f"--seeds {shown(text)} is neither a range START:STOP[:STEP] (e.g. 0:10000) nor a "
                        "seeds file; for one seed use N:N+1")
    return _read_file(path)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, or one with a NUL
        return False


def _range(text: str, start: str, stop: str, step: str | None) -> SeedList:
    quoted = shown(text)
    if any(len(part.lstrip("0")) > len(str(SEED_LIMIT)) for part in (start, stop, step or "1")):
        # Checked before int(), which refuses text of more than 4300 digits.
        raise SeedError(f"bad seed range {quoted}: seeds are ints in [0, 2**64), so STOP is at most 2**64")
    first, last, stride = int(start), int(stop), int(step or 1)
    if stride < 1:
        raise SeedError(f"bad seed range {quoted}: STEP must be at least 1")
    if first >= last:
        raise SeedError(f"bad seed range {quoted}: START must be below STOP (STOP is excluded)")
    if last > SEED_LIMIT:
        raise SeedError(f"bad seed range {quoted}: seeds are ints in [0, 2**64), so STOP is at most 2**64")
    seeds = range(first, last, stride)
    if seeds.stop - seeds.start > sys.maxsize:  # len() of the range would overflow
        raise SeedError(f"bad seed range {quoted}: more seeds than one export can count; split it")
    return SeedList(seeds, text)


def _read_file(path: Path) -> SeedList:
    try:
        # utf-8-sig: Windows editors start a UTF-8 file with a byte-order mark.
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise SeedError(f"seeds file '{path}' is not UTF-8 text") from None
    except OSError as exc:
        raise SeedError(f"cannot read seeds file '{path}': {exc.strerror or exc}") from None
    seeds: list[Seed] = []
    first_line: dict[int, int] = {}
    for number, line in enumerate(lines, start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        seed = _line_seed(path, number, entry)
        if seed.value in first_line:
            raise SeedError(f"'{path}' line {number}: seed {shown(entry)} repeats line {first_line[seed.value]} "
                            f"(both are seed {seed.value}); list each seed once")
        first_line[seed.value] = number
        seeds.append(seed)
    if not seeds:
        raise SeedError(f"seeds file '{path}' lists no seeds (one int or text seed per line, # for comments)")
    return SeedList(seeds, str(path))


def _line_seed(path: Path, number: int, entry: str) -> Seed:
    try:
        value = normalize_seed(entry)
    except SeedError as exc:
        raise SeedError(f"'{path}' line {number}: {exc}") from None
    is_number = re.fullmatch(r"[+-]?[0-9]+", entry) is not None
    return Seed(value, None if is_number else entry)
