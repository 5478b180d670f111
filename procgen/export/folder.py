"""The export folder: checked before any work, then prepared for a crash-safe run."""

from __future__ import annotations

import os
import re
from pathlib import Path

from procgen.errors import OutputError
from procgen.fileio import atomic_open, check_name
from procgen.export.manifest import MANIFEST

# fileio.atomic_open's temporary names: ".<name>.<12 hex digits>.part"
_PART = re.compile(r"\..+\.[0-9a-f]{12}\.part")


def check_folder(path: str | os.PathLike[str]) -> Path:
    """Refuse a folder the export cannot use; creates nothing, so bad input leaves no trace."""
    folder = check_name(path)
    try:
        return _check_folder(folder)
    except OSError as exc:  # e.g. a path through a file
        raise OutputError(f"cannot use output folder '{folder}': {exc.strerror or exc}") from None


def _check_folder(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"output '{folder}' is a file; --out takes a folder")
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f"output folder '{folder}' is not writable")
        if not (folder / MANIFEST).is_file() and any(folder.iterdir()):
            raise OutputError(f"output folder '{folder}' is not empty and holds no {MANIFEST}; "
                              "give a new or empty folder (or an earlier export to resume it)")
        return folder
    parent = folder.parent
    if not parent.is_dir():
        raise OutputError(f"folder '{parent}' does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"folder '{parent}' is not writable, so '{folder.name}' cannot be created there")
    return folder


def prepare_folder(folder: Path) -> None:
    """Create the folder and its manifest (marking it as an export), and clear torn temp files."""
    try:
        folder.mkdir(exist_ok=True)
        (folder / MANIFEST).touch()
    except OSError as exc:
        raise OutputError(f"cannot write in '{folder}': {exc.strerror or exc}") from None
    for place in (folder, *(p for p in folder.iterdir() if p.is_dir())):
        for entry in place.iterdir():
            if _PART.fullmatch(entry.name) and entry.is_file():
                entry.unlink(missing_ok=True)  # left by a killed run; never a finished file


def write_atomic(path: Path, data: bytes) -> None:
    """``data`` to a temporary name beside ``path``, then renamed over it: whole or absent.

    Unlike procgen.fileio this does not fsync each file (two fsyncs per asset would cost
    more than rendering a small level): a killed process cannot tear a renamed file, and
    after a power cut the manifest's SHA-256 check finds any file the disk lost and the
    next run redoes it. The manifest itself is fsynced after every record.
    """
    with atomic_open(path, durable=False) as stream:
        stream.write(data)
