"""What every content type shares: validation helpers, digests, equality and files.

A content type describes itself as named numpy arrays plus JSON-able metadata
(``_arrays`` / ``_meta``) and rebuilds itself from them (``_build``). From that one pair
the base class derives the SHA-256 digest, exact equality, and the lossless ``.json`` and
``.npz`` round trips; ``.png`` writes the ``to_image()`` preview.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, Any, ClassVar, TypeVar

import numpy as np
from PIL import Image

from procgen.errors import ContentError
from procgen.fileio import atomic_write, check_output_path, parse_json

C = TypeVar("C", bound="Content")

FILE_FORMAT = "procgen-content"
FILE_VERSION = 1
SAVE_SUFFIXES = (".png", ".json", ".npz")

_TYPES: dict[str, type[Content]] = {}


def frozen_array(value: Any, *, dtype: Any, name: str) -> np.ndarray:
    """A read-only, C-contiguous copy of ``value`` as ``dtype``; content never aliases input."""
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise ContentError(f"{name} must be numeric, got an array of {array.dtype}")
    array = np.array(array, dtype=dtype, order="C", copy=True)
    array.setflags(write=False)
    return array


class Content(ABC):
    """Base class of RiverPath, Heightmap and TileMap."""

    type_name: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "type_name" in cls.__dict__:
            _TYPES[cls.type_name] = cls

    # Each content type provides these three and to_image().
    @abstractmethod
    def _arrays(self) -> dict[str, np.ndarray]: ...

    @abstractmethod
    def _meta(self) -> dict[str, Any]: ...

    @classmethod
    @abstractmethod
    def _build(cls: type[C], arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> C: ...

    @abstractmethod
    def to_image(self) -> Image.Image: ...

    def digest(self) -> str:
        """SHA-256 over the exact bytes of the content: equal digests mean equal content."""
        h = hashlib.sha256(self.type_name.encode())
        h.update(json.dumps(self._meta(), sort_keys=True).encode())
        for key, array in sorted(self._arrays().items()):
            little = array.astype(array.dtype.newbyteorder("<"), copy=False)
            h.update(f"{key}:{little.dtype.str}:{little.shape}".encode())
            h.update(little.tobytes())
        return h.hexdigest()

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        mine, theirs = self._arrays(), other._arrays()  # type: ignore[attr-defined]
        return (
            self._meta() == other._meta()  # type: ignore[attr-defined]
            and mine.keys() == theirs.keys()
            and all(mine[k].dtype == theirs[k].dtype and np.array_equal(mine[k], theirs[k]) for k in mine)
        )

    def __hash__(self) -> int:
        return hash(self.digest())

    # ---- files -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict that reloads to identical content (floats print round-trip exact)."""
        arrays = {key: value.tolist() for key, value in self._arrays().items()}
        return {"format": FILE_FORMAT, "version": FILE_VERSION, "type": self.type_name,
                "meta": self._meta(), "arrays": arrays}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write ``.json`` or ``.npz`` (lossless) or ``.png`` (preview), atomically."""
        check_output_path(path)
        suffix = Path(path).suffix.lower()
        if suffix not in SAVE_SUFFIXES:
            raise ContentError(f"cannot save to '{path}': use one of {', '.join(SAVE_SUFFIXES)}")
        writer = {".png": self._write_png, ".json": self._write_json, ".npz": self._write_npz}[suffix]
        return atomic_write(path, writer)

    def _write_png(self, stream: IO[bytes]) -> None:
        self.to_image().save(stream, format="PNG")

    def _write_json(self, stream: IO[bytes]) -> None:
        stream.write(json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8"))

    def _write_npz(self, stream: IO[bytes]) -> None:
        header = {"format": FILE_FORMAT, "version": FILE_VERSION, "type": self.type_name, "meta": self._meta()}
        arrays = {f"array_{key}": value for key, value in self._arrays().items()}
        np.savez_compressed(stream, header=np.array(json.dumps(header)), **arrays)

    @classmethod
    def load(cls: type[C], path: str | os.PathLike[str]) -> C:
        """Read a ``.json`` or ``.npz`` content file, checking it holds this type."""
        content = load(path)
        if cls is not Content and not isinstance(content, cls):
            raise ContentError(f"'{path}' holds a {content.type_name}, not a {cls.type_name}")
        return content  # type: ignore[return-value]


def load(path: str | os.PathLike[str]) -> Content:
    """Read any procgen content file (``.json`` or ``.npz``) back into its content type."""
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix not in (".json", ".npz"):
        raise ContentError(f"cannot load '{source}': content files are .json or .npz")
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise ContentError(f"cannot read '{source}': {exc.strerror or exc}") from exc
    try:
        header, arrays = _parse_json(raw) if suffix == ".json" else _parse_npz(raw)
    except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ContentError(f"'{source}' is not a readable procgen content file ({exc})") from exc
    if header.get("format") != FILE_FORMAT:
        raise ContentError(f"'{source}' is not a procgen content file")
    if header.get("version") != FILE_VERSION:
        raise ContentError(f"'{source}' has content format version {header.get('version')!r}; "
                           f"this procgen reads version {FILE_VERSION}")
    kind = _TYPES.get(header.get("type"))  # type: ignore[arg-type]
    if kind is None:
        raise ContentError(f"'{source}' holds unknown content type {header.get('type')!r}")
    try:
        return kind._build(arrays, header.get("meta") or {})
    except ContentError as exc:
        raise ContentError(f"'{source}': {exc}") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ContentError(f"'{source}' has malformed {kind.type_name} data ({exc})") from exc


def _parse_json(raw: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    document = parse_json(raw.decode("utf-8"))
    if not isinstance(document, dict):
        raise ValueError("top level is not an object")
    arrays = {key: np.asarray(value) for key, value in (document.get("arrays") or {}).items()}
    return document, arrays


def _parse_npz(raw: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    # allow_pickle=False: a content file can never run code.
    with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
        header = parse_json(str(archive["header"]))
        arrays = {key[len("array_"):]: archive[key] for key in archive.files if key.startswith("array_")}
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header, arrays
