"""``manifest.jsonl``: one JSON record per exported asset, and resuming from it.

A record says which seed, generator, config, procgen version and options made an asset,
its content digest, the formats it covers and the SHA-256 of every file. Records are
appended (and fsynced) only after all of an asset's files are in place, so a record never
names a missing file. Killing an export at any moment leaves at worst a torn last line,
which the next run drops; that run skips every asset whose record and files still match
and redoes the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator

from procgen.errors import OutputError
from procgen.fileio import atomic_write, parse_json

MANIFEST = "manifest.jsonl"
IDENTITY = ("generator", "config", "weights", "procgen", "options")  # what must match to resume
Entry = tuple[tuple[str, ...], dict[str, str]]  # a record's formats and files (name -> SHA-256)


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file's bytes, or None when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def record_line(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def make_record(identity: dict[str, Any], seed: int, text: str | None, content: str, digest: str,
                formats: Iterable[str], files: dict[str, str]) -> dict[str, Any]:
    """The manifest record of one asset (identical whichever worker or backend made it)."""
    record = {**identity, "seed": seed, "content": content, "digest": digest,
              "formats": sorted(formats), "files": dict(sorted(files.items()))}
    if text is not None:
        record["seed_text"] = text
    return record


class Manifest:
    """The records of an export folder, indexed by seed; appends go straight to disk."""

    def __init__(self, folder: Path, identity: dict[str, Any]) -> None:
        self.folder = folder
        self.path = folder / MANIFEST
        self.identity = identity
        self.index: dict[int, Entry] = {}  # seed -> (formats, files), of records not yet looked at
        self.replaced = 0  # records appended for seeds that already had one
        self._verified: dict[tuple[str, str], bool] = {}  # shared files are checked once per run
        self._stream: Any = None

    # ---- reading ----------------------------------------------------------------------------
    def load(self) -> None:
        """Read an existing manifest; refuse one written with other settings (before any work)."""
        if not self.path.exists():
            return
        for record in self._records():
            self._check_identity(record)
            self.index[record["seed"]] = (tuple(record["formats"]), record["files"])

    def _records(self) -> Iterator[dict[str, Any]]:
        """The well-formed records, streamed; a torn or garbled line is skipped (its asset is redone)."""
        try:
            with open(self.path, "rb") as stream:
                yield from filter(None, map(_parse, stream))
        except OSError as exc:
            raise OutputError(f"cannot read '{self.path}': {exc.strerror or exc}") from None

    def _check_identity(self, record: dict[str, Any]) -> None:
        for key in IDENTITY:
            if record.get(key) != self.identity[key]:
                raise OutputError(
                    f"'{self.folder}' holds an export with another {key} ({_short(record.get(key))} instead of "
                    f"{_short(self.identity[key])}); export into a new folder, or delete {MANIFEST} to start over")

    def take(self, seed: int) -> Entry | None:
        """Remove and return ``seed``'s record (formats, files): each seed is looked at once per
        run, so the index shrinks as the run goes and memory stays flat."""
        return self.index.pop(seed, None)

    def is_complete(self, entry: Entry, formats: Iterable[str], names: Iterable[str]) -> bool:
        """Whether a record covers ``formats``, lists the files ``names``, and all its files
        still match their hashes."""
        if not (set(formats) <= set(entry[0]) and set(names) <= set(entry[1])):
            return False
        return all(self._matches(name, sha) for name, sha in entry[1].items())

    def _matches(self, name: str, sha: str) -> bool:
        shared = "/" in name
        if shared and (name, sha) in self._verified:
            return self._verified[(name, sha)]
        ok = file_sha256(self.folder / name) == sha
        if shared:
            self._verified[(name, sha)] = ok
        return ok

    # ---- writing ----------------------------------------------------------------------------
    def open(self) -> None:
        """Drop a torn or garbled line (rewriting the manifest atomically), then open it for appending."""
        if self.path.exists() and not self._clean():
            self._rewrite(lambda index, record: True)
        self._stream = open(self.path, "ab")

    def _clean(self) -> bool:
        with open(self.path, "rb") as stream:
            return all(line.endswith(b"\n") and _parse(line) is not None for line in stream if line.strip())

    def append(self, record: dict[str, Any], *, replaces: bool = False) -> None:
        """Add one record and force it to disk (its files were written before it).
        ``replaces``: the seed had an earlier record, which close() then drops."""
        self.replaced += replaces
        self._stream.write(record_line(record))
        self._stream.flush()
        os.fsync(self._stream.fileno())

    def close(self) -> None:
        """Close; if records were replaced, keep only each seed's last one (atomically)."""
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self.replaced:
            last = {record["seed"]: index for index, record in enumerate(self._records())}
            self._rewrite(lambda index, record: last[record["seed"]] == index)
            self.replaced = 0

    def _rewrite(self, keep: Callable[[int, dict[str, Any]], bool]) -> None:
        """Rewrite the manifest with the well-formed records ``keep`` accepts, streamed and atomic."""
        def write(stream: IO[bytes]) -> None:
            for index, record in enumerate(self._records()):
                if keep(index, record):
                    stream.write(record_line(record))
        atomic_write(self.path, write)


def _parse(line: bytes) -> dict[str, Any] | None:
    """A manifest line's record, or None for a blank, torn or garbled one."""
    try:
        record = parse_json(line)
    except ValueError:  # also nesting too deep and integers too long: garbled all the same
        return None
    if (isinstance(record, dict) and isinstance(record.get("seed"), int)
            and isinstance(record.get("files"), dict) and isinstance(record.get("formats"), list)):
        return record
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."
