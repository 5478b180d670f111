"""Model folders: a generator's config as JSON plus its weights as safetensors.

A folder holds ``model.json`` and, when the generator has weights,
``weights.safetensors``. Loading reads JSON and raw tensors only, so a model file can
never execute code; a SHA-256 in ``model.json`` catches truncated or corrupt weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from procgen._version import __version__
from procgen.errors import CheckpointError, OutputError, ProcgenError
from procgen.fileio import STAGING_EXTRA, check_name, read_document
from procgen.generators.base import Generator

MODEL_FILE = "model.json"
WEIGHTS_FILE = "weights.safetensors"
TRAINING_DIR = "training"  # a run's checkpoint and report; kept when the model is re-saved
FORMAT = "procgen-model"
FORMAT_VERSION = 1


def is_model_folder(path: str | os.PathLike[str]) -> bool:
    return (Path(path) / MODEL_FILE).is_file()


def save_model(generator: Generator[Any], folder: str | os.PathLike[str]) -> Path:
    """Write ``folder`` whole, replacing an earlier model there; never a half-written folder."""
    target = Path(folder)
    check_model_target(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        document: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "generator": generator.name,
            "kind": generator.kind, "procgen_version": __version__,
            "config": generator.config.to_dict(), "weights": None,
        }
        weights = generator._weights()
        if weights:
            from safetensors.numpy import save_file

            save_file({k: np.ascontiguousarray(v) for k, v in weights.items()}, str(staging / WEIGHTS_FILE))
            document["weights"] = {"file": WEIGHTS_FILE, "sha256": _sha256(staging / WEIGHTS_FILE)}
        (staging / MODEL_FILE).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        _swap_in(staging, target)
    except OSError as exc:
        raise OutputError(f"cannot write model folder '{target}': {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def check_model_target(target: Path) -> None:
    """Refuse a target that is a file or someone else's non-empty folder; before any work."""
    check_name(target, extra=STAGING_EXTRA)
    try:
        _check_model_target(target)
    except OSError as exc:  # e.g. a path through a file
        raise OutputError(f"cannot use model folder '{target}': {exc.strerror or exc}") from None


def _check_model_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise OutputError(f"'{target}' is a file; a model is saved to a folder")
    ours = is_model_folder(target) or (target / TRAINING_DIR).is_dir()
    if target.is_dir() and any(target.iterdir()) and not ours:
        raise OutputError(f"'{target}' is a non-empty folder without {MODEL_FILE}; refusing to overwrite it")
    if not target.parent.is_dir():
        raise OutputError(f"folder '{target.parent}' does not exist; create it first")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise OutputError(f"folder '{target.parent}' is not writable")


def _swap_in(staging: Path, target: Path) -> None:
    old = None
    if target.exists():
        # Keep what else lives in the folder (training state, model card) across a re-save.
        for entry in target.iterdir():
            if entry.name not in (MODEL_FILE, WEIGHTS_FILE):
                os.replace(entry, staging / entry.name)
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        os.replace(target, old / "model")
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def load_model(folder: str | os.PathLike[str]) -> Generator[Any]:
    """Rebuild the generator saved in ``folder``; a CheckpointError says what is wrong."""
    from procgen.generators.registry import generator_class

    source = Path(folder)
    document = _read_document(source)
    name = document.get("generator")
    try:
        cls = generator_class(name) if isinstance(name, str) else None
    except ProcgenError:
        cls = None
    if cls is None:
        raise CheckpointError(f"'{source}' is a model of unknown generator {name!r}; "
                              "it may need a newer procgen")
    try:
        generator = cls(cls.Config.from_dict(document.get("config", {})))
        generator._set_weights(_read_weights(source, document.get("weights")))
    except CheckpointError as exc:
        raise CheckpointError(f"'{source}': {exc}") from exc
    except ProcgenError as exc:
        raise CheckpointError(f"'{source}' has an invalid {name} config: {exc}") from exc
    return generator


def read_config(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The saved config of a model folder as plain data (no weights are read)."""
    config = _read_document(Path(folder)).get("config", {})
    if not isinstance(config, dict):
        raise CheckpointError(f"'{folder}': the config in {MODEL_FILE} is not an object")
    return config


def _read_document(source: Path) -> dict[str, Any]:
    if not source.is_dir():
        raise CheckpointError(f"model folder '{source}' does not exist")
    path = source / MODEL_FILE
    if not path.is_file():
        raise CheckpointError(f"'{source}' holds no {MODEL_FILE}; model folders are written by "
                              "Generator.save() or procgen train")
    return read_document(path, kind="model file", fmt=FORMAT, version=FORMAT_VERSION,
                         version_key="format_version", error=CheckpointError)


def _read_weights(source: Path, entry: Any) -> dict[str, np.ndarray]:
    if entry is None:
        return {}
    if not isinstance(entry, dict) or entry.get("file") != WEIGHTS_FILE:
        raise CheckpointError(f"malformed weights entry in {MODEL_FILE}: {entry!r}")
    path = source / WEIGHTS_FILE
    if not path.is_file():
        raise CheckpointError(f"weights file {WEIGHTS_FILE} is missing")
    if _sha256(path) != entry.get("sha256"):
        raise CheckpointError(f"{WEIGHTS_FILE} is corrupt or truncated (its SHA-256 does not match "
                              f"{MODEL_FILE}); save or train the model again")
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{WEIGHTS_FILE} cannot be read ({exc})") from exc


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


