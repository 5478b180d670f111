"""The export folder: checked before any work, then prepared for a crash-safe run."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from pathlib import Path
from typing import Iterator

from procgen.errors import OutputError
from procgen.fileio import atomic_open, check_name
from procgen.export.manifest import MANIFEST

# fileio.atomic_open's temporary names: ".<name>.<12 hex digits>.part"
_PART = re.compile(r"\..+\.[0-9a-f]{12}\.part")
# Held (flock) by the export writing into the folder; the kernel drops it when that process
# dies, so a killed export's leftover file never blocks the next one.
LOCK = ".procgen-export.lock"


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
        if not (folder / MANIFEST).is_file() and any(e.name != LOCK for e in folder.iterdir()):
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


@contextlib.contextmanager
def export_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s export lock (creating the folder if needed) while the body runs;
    refuse with an OutputError when another export holds it. A folder this made and nothing
    filled is removed again."""
    made = not folder.exists()
    try:
        folder.mkdir(exist_ok=True)
        handle = _acquire(folder / LOCK)
    except OSError as exc:
        raise OutputError(f"cannot write in '{folder}': {exc.strerror or exc}") from None
    except OutputError:
        _remove_if_empty(folder, made)
        raise
    try:
        yield
    except BaseException:
        if made:
            _discard_unrecorded(folder)
        raise
    finally:
        # Unlink while still holding it: a newcomer then makes a fresh file, never shares this one.
        with contextlib.suppress(OSError):
            os.unlink(folder / LOCK)
        if handle is not None:
            os.close(handle)
        _remove_if_empty(folder, made)


def _acquire(path: Path) -> int | None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        return None
    while True:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 32).decode(errors="replace").strip() or "?"
            os.close(handle)
            raise OutputError(f"another export (process {holder}) is writing into '{path.parent}'; wait for "
                              "it to finish or export into another folder") from None
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(handle).st_ino == os.stat(path).st_ino:  # not a file its holder just unlinked
                os.ftruncate(handle, 0)
                os.write(handle, f"{os.getpid()}\n".encode())
                return handle
        os.close(handle)


def _discard_unrecorded(folder: Path) -> None:
    """Empty a folder this export made if it failed before recording any asset: nothing in it
    can be resumed, and bad input found while generating leaves no trace."""
    with contextlib.suppress(OSError):
        if (folder / MANIFEST).stat().st_size > 0:
            return
    for entry in folder.iterdir():
        if entry.name == LOCK:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def _remove_if_empty(folder: Path, made: bool) -> None:
    if made:
        with contextlib.suppress(OSError):
            folder.rmdir()


def renamed_asset(folder: Path, hashes: dict[str, str], written: str, wanted: str) -> dict[str, str]:
    """Rename an asset's own files from stem ``written`` (workers name files by the int seed)
    to ``wanted`` (a text seed's name); returns ``hashes`` keyed by the final names.

    Each rename is atomic and happens before the manifest records the asset, so a killed run
    leaves at worst an unrecorded ``written`` file, which the next run writes again and moves.
    Shared files (in a subfolder) keep their names.
    """
    if written == wanted:
        return hashes
    final = {}
    for name, sha in hashes.items():
        if "/" not in name and name.startswith(written + "."):
            name_now = wanted + name[len(written):]
            try:
                os.replace(folder / name, folder / name_now)
            except OSError as exc:
                raise OutputError(f"cannot rename '{folder / name}': {exc.strerror or exc}") from None
            name = name_now
        final[name] = sha
    return final
