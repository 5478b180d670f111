"""Crash-safe writes: a file appears whole under its final name or not at all."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from procgen.errors import OutputError, ProcgenError

# The temporary name beside a file being written: ".<name>.<pid, 8 hex><4 hex>.part" (the
# pid lets a later run tell a dead writer's leftover from a live writer's file).
PART_SUFFIX = ".part"
_PART_EXTRA = len("..") + 12 + len(PART_SUFFIX)
_PART_TAG = re.compile(r"([0-9a-f]{8})[0-9a-f]{4}")
# What tempfile.mkdtemp(prefix=f".{name}.old.") adds to a folder's name: model and report
# folders are staged beside their final name and swapped in.
STAGING_EXTRA = len("..old.") + 8


def check_name(path: str | os.PathLike[str], *, extra: int = 0) -> Path:
    """Refuse a path the file system cannot hold: a name part or the whole path too long, a NUL.

    ``extra``: bytes the caller adds to the last name (a temporary suffix).
    """
    target = Path(path)
    try:
        encoded = [os.fsencode(part) for part in target.parts]
    except (UnicodeEncodeError, ValueError):
        raise OutputError(f"'{_short(target)}' is not a valid file name (it holds a lone surrogate)") from None
    if any(b"\0" in part for part in encoded):
        raise OutputError(f"'{_short(target)}' is not a valid file name (it holds a NUL character)")
    limit = _name_max(target)
    for index, part in enumerate(encoded):
        room = limit - (extra if index == len(encoded) - 1 else 0)
        if len(part) > room:
            raise OutputError(f"the name '{_short(part.decode(errors='replace'))}' is {len(part)} bytes long; "
                              f"this file system allows {room} here: give a shorter name")
    if len(os.fsencode(os.path.abspath(target))) + extra >= _path_max(target):
        raise OutputError(f"the path '{_short(target)}' is longer than this file system allows; "
                          "give a shorter one")
    return target


def _existing_ancestor(path: Path) -> Path:
    for folder in path.absolute().parents:
        with contextlib.suppress(OSError):
            if folder.is_dir():
                return folder
    return Path("/")


def _name_max(path: Path) -> int:
    try:
        return os.pathconf(_existing_ancestor(path), "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows) or no answer
        return 255


def _path_max(path: Path) -> int:
    try:
        return os.pathconf(_existing_ancestor(path), "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        return 4096


def _short(text: object, keep: int = 60) -> str:
    # Escaped: a lone surrogate in a message would break printing it.
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8").replace("\0", "\\0")
    return text if len(text) <= keep else f"{text[:keep - 3]}..."


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Reject an output path that cannot be written, before any work is done."""
    target = check_name(path, extra=_PART_EXTRA)
    try:
        if target.is_dir():
            raise OutputError(f"output '{target}' is a folder; give a file name such as '{target}/out.png'")
        parent = target.parent
        if not parent.is_dir():
            raise OutputError(f"folder '{parent}' does not exist; create it first")
    except OSError as exc:  # e.g. a path through a file, or a loop of links
        raise OutputError(f"cannot use output '{_short(target)}': {exc.strerror or exc}") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"folder '{parent}' is not writable")
    return target


@contextlib.contextmanager
def created_folder(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Make ``folder`` and its missing ancestors for the body (every command's ``-o`` / ``--out``
    creates its parents); if the body fails, the folders made here that are still empty go
    again, so bad input found later leaves no trace.

    Commands wrap their work in ``with created_folder(Path(out).parent):``. Library calls
    (``save``, ``check_output_path``) still refuse a missing folder: only a user's command
    line is taken as asking for one.
    """
    target = check_name(folder)
    made = _make_folders(target)
    try:
        yield target
    except BaseException:
        _undo(made)
        raise


def _make_folders(target: Path) -> list[Path]:
    """Create ``target`` and its missing ancestors; the ones made, outermost first."""
    missing = [p for p in (target, *target.parents) if not _is_dir(p)]
    made = []
    for path in reversed(missing):
        try:
            path.mkdir()
        except FileExistsError:
            if not _is_dir(path):
                _undo(made)
                raise OutputError(f"'{_short(path)}' is a file, not a folder; give another output path") from None
            continue  # made meanwhile by someone else: theirs, not ours to remove
        except OSError as exc:  # a path through a file, no permission, a read-only file system
            _undo(made)
            raise OutputError(f"cannot create folder '{_short(path)}': {exc.strerror or exc}") from None
        made.append(path)
    return made


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _undo(made: list[Path]) -> None:
    # Deepest first; rmdir refuses a folder that now holds something, which then stays.
    for path in reversed(made):
        with contextlib.suppress(OSError):
            path.rmdir()


def staging_folder(target: Path) -> Path:
    """A new empty folder beside ``target`` to build it in (hidden; ``STAGING_EXTRA`` long)."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.new.", dir=target.parent))


def swap_folder(staging: Path, target: Path) -> None:
    """Rename the finished folder ``staging`` to ``target``; an old ``target`` is moved aside
    first (and put back if the swap fails), then deleted."""
    if not target.exists():
        os.replace(staging, target)
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    try:
        os.replace(target, aside / "old")
    except BaseException:
        aside.rmdir()
        raise
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(aside / "old", target)  # the old folder back; only then is the empty aside removed
        aside.rmdir()
        raise
    shutil.rmtree(aside, ignore_errors=True)


def remove_stale_parts(path: str | os.PathLike[str]) -> int:
    """Delete temporary files of ``path`` left by writers that died (a killed run); returns how many.

    A temporary file whose writer is still alive is kept: two runs may write one output.
    """
    target = Path(path)
    removed = 0
    prefix = f".{target.name}."
    with contextlib.suppress(OSError):
        for entry in os.scandir(target.parent):
            tag = entry.name[len(prefix):-len(PART_SUFFIX)]
            if (entry.name.startswith(prefix) and entry.name.endswith(PART_SUFFIX)
                    and _PART_TAG.fullmatch(tag) and not _alive(int(tag[:8], 16)) and entry.is_file()):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):  # no such process, or a pid no system has
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True


def _temp_name(target: Path) -> Path:
    return target.parent / f".{target.name}.{os.getpid() & 0xFFFFFFFF:08x}{secrets.token_hex(2)}{PART_SUFFIX}"


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.

    ``durable=False`` skips the fsync: the file is still whole or absent after a killed
    process, but a power cut may lose it (callers that verify hashes on rerun can afford that).
    """
    target = check_output_path(path)
    for attempt in range(8):  # a clash needs the same pid and 16 random bits: retry
        temp_name = _temp_name(target)
        try:
            # Not mkstemp: its 0600 mode would survive the rename; this honours the umask.
            handle = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write in '{target.parent}': {exc.strerror}") from exc
    else:
        raise OutputError(f"cannot write in '{target.parent}': {errno.errorcode[errno.EEXIST]}")
    try:
        with os.fdopen(handle, "wb") as stream:
            yield stream
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temp_name, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write '{target}': {exc.strerror or exc}") from exc
        raise


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(stream)`` on a temporary file and move it to ``path`` when it returns."""
    with atomic_open(path) as stream:
        write(stream)
    return Path(path)


def read_document(path: Path, *, kind: str, fmt: str, version: int, version_key: str = "version",
                  error: type[Exception] = OutputError) -> dict[str, Any]:
    """A JSON object whose ``format`` is ``fmt`` and whose ``version_key`` is ``version``.

    ``kind`` names the document in messages ("model file"); ``error`` is the caller's
    ProcgenError subclass. A missing file raises FileNotFoundError for the caller to word.
    """
    document = read_json(path, what="", error=error)
    if not isinstance(document, dict) or document.get("format") != fmt:
        raise error(f"'{path}' is not a procgen {kind}")
    if document.get(version_key) != version:
        raise error(f"'{path}' has {kind} version {document.get(version_key)!r}; this procgen reads version {version}")
    return document


def parse_json(text: str | bytes) -> Any:
    """``json.loads`` that fails only with ValueError, whose message fits in an error line.

    Beyond malformed JSON, hostile files can nest arrays past Python's recursion limit or
    write integers longer than the 4300 digits ``int()`` converts; both are bad input.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None
    except UnicodeDecodeError:
        raise ValueError("it is not UTF-8 text") from None
    except json.JSONDecodeError:
        raise
    except ValueError:  # only the integer-length limit reaches here
        raise ValueError("it holds a number too long to read (more than 4300 digits)") from None


def read_json(path: Path, *, what: str, error: type[ProcgenError]) -> Any:
    """The JSON in ``path``; ``error`` (a ProcgenError subclass) says what is wrong, naming the
    file as ``what`` ("legend"). A missing file raises FileNotFoundError for the caller to word."""
    named = f"{what} '{path}'" if what else f"'{path}'"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise error(f"cannot read {named}: {exc.strerror or exc}") from None
    try:
        return parse_json(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise error(f"{named} is not valid JSON (it is not UTF-8 text)") from None
    except ValueError as exc:
        raise error(f"{named} is not valid JSON ({exc})") from None
