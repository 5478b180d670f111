"""Where the shipped data and weights live: the repository's ``assets/`` folder.

Set ``PROCGEN_ASSETS`` to use another folder (for example an installed copy).
"""

from __future__ import annotations

import os
from pathlib import Path


def assets_dir() -> Path:
    override = os.environ.get("PROCGEN_ASSETS")
    return Path(override) if override else Path(__file__).resolve().parent.parent / "assets"


def model_folder(name: str) -> Path:
    """The shipped model folder of generator ``name`` (``river/gru`` -> ``assets/models/river-gru``)."""
    return assets_dir() / "models" / name.replace("/", "-")
