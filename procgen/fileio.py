"""Crash-safe writes: a file appears whole under its final name or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from procgen.errors import OutputError


def check_output_path(path: str | os.PathLike[str]) -> Path:
    """Reject an output path that cannot be written, before any work is done."""
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"output '{target}' is a folder; give a file name such as '{target}/out.png'")
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"folder '{parent}' does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"folder '{parent}' is not writable")
    return target


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[IO[bytes]]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success.

    ``durable=False`` skips the fsync: the file is still whole or absent after a killed
    process, but a power cut may lose it (callers that verify hashes on rerun can afford that).
    """
    target = check_output_path(path)
    temp_name = target.parent / f".{target.name}.{secrets.token_hex(6)}.part"
    try:
        # Not mkstemp: its 0600 mode would survive the rename; this honours the umask.
        handle = os.open(temp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise OutputError(f"cannot write in '{target.parent}': {exc.strerror}") from exc
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
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"'{path}' is not valid JSON ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != fmt:
        raise error(f"'{path}' is not a procgen {kind}")
    if document.get(version_key) != version:
        raise error(f"'{path}' has {kind} version {document.get(version_key)!r}; this procgen reads version {version}")
    return document
