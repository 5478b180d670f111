"""Where the shipped data and weights live.

In the repository (and an editable install) that is the repository's ``assets/`` folder; an
installed wheel carries the same files as package data in ``procgen/_assets`` (copied there
by setup.py at build time). Set ``PROCGEN_ASSETS`` to use another folder.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
PACKAGED = _PACKAGE / "_assets"  # only in a built wheel
REPOSITORY = _PACKAGE.parent / "assets"


def assets_dir() -> Path:
    """``$PROCGEN_ASSETS``, else the wheel's packaged copy, else the repository's ``assets/``."""
    override = os.environ.get("PROCGEN_ASSETS")
    if override:
        return Path(override)
    return PACKAGED if PACKAGED.is_dir() else REPOSITORY


def model_folder(name: str) -> Path:
    """The shipped model folder of generator ``name`` (``river/gru`` -> ``assets/models/river-gru``)."""
    return assets_dir() / "models" / name.replace("/", "-")
