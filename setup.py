"""Build step for the wheel: the shipped models and datasets become package data.

Everything else about the package is in pyproject.toml. In the repository the data lives in
``assets/`` (tests, docs and the README name those paths); a wheel has no repository beside
it, so building copies ``assets/{models,data,levels}`` into the package as
``procgen/_assets``, where :func:`procgen.assets.assets_dir` looks first. Editable installs
skip the copy and keep reading ``assets/`` in place. The sdist carries ``assets/`` too
(MANIFEST.in), so ``python -m build`` (sdist, then a wheel from it) gets the same wheel.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("models", "data", "levels")
# Resumable-training checkpoints are local scratch, never shipped (see .gitignore).
SKIPPED = shutil.ignore_patterns("checkpoint.pt", "__pycache__", "*.pyc", ".*")


class BuildWithAssets(build_py):
    """``build_py`` that also copies the shipped assets into ``procgen/_assets``."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads assets/ where it is
        target = Path(self.build_lib) / "procgen" / "_assets"
        shutil.rmtree(target, ignore_errors=True)  # no stale files from an earlier build
        for name in SHIPPED:
            source = ROOT / "assets" / name
            if not source.is_dir():
                raise SystemExit(f"setup.py: {source} is missing; the wheel would ship without it")
            shutil.copytree(source, target / name, ignore=SKIPPED)


setup(cmdclass={"build_py": BuildWithAssets})
