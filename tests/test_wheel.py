"""The wheel works outside the repository: it carries the shipped models and data (issue 15, item 8).

The wheel is built as ``python -m build`` builds it (an sdist, then a wheel from the sdist),
from a copy of the source tree so the build never writes into this checkout, and with
``--no-isolation`` so no network is needed (the dev extras pin ``build`` and ``setuptools``).
It is installed with ``pip --target`` into a folder outside the repository: the repository's
virtual environment lends its already-installed dependencies, while ``PYTHONPATH`` puts the
installed procgen first, ahead of the editable one. The commands run from another folder
with no ``PROCGEN_ASSETS``, so nothing can be found through the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("build", reason="the wheel test needs `build`: pip install -e '.[dev]'")

ROOT = Path(__file__).resolve().parent.parent
# What a fresh clone would not have, or what never goes into a build: leave it out of the copy.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", "runs", "out", "checkpoint.pt")

pytestmark = pytest.mark.slow


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding procgen installed from its freshly built wheel, and nothing else."""
    work = tmp_path_factory.mktemp("wheel")
    source, dist, target = work / "source", work / "dist", work / "site"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(source)], cwd=work)
    wheel, = dist.glob("procgen-*.whl")
    _run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
          "--target", str(target), str(wheel)], cwd=work)
    return target


def _env(target: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PROCGEN_ASSETS", "PYTHONPATH")}
    return {**env, "PYTHONPATH": str(target)}


def test_the_wheel_carries_every_shipped_asset(installed: Path) -> None:
    packaged = installed / "procgen" / "_assets"
    for part in ("models", "data", "levels"):
        shipped = {p.relative_to(ROOT / "assets" / part) for p in (ROOT / "assets" / part).rglob("*")
                   if p.is_file() and p.name != "checkpoint.pt" and "__pycache__" not in p.parts}
        assert shipped, part
        assert shipped <= {p.relative_to(packaged / part) for p in (packaged / part).rglob("*")}, part


def test_the_installed_wheel_generates_learned_content_outside_the_repository(installed: Path, tmp_path) -> None:
    env = _env(installed)
    where = _run([sys.executable, "-c", "import procgen, procgen.assets as a; "
                  "print(procgen.__file__); print(a.assets_dir())"], cwd=tmp_path, env=env)
    module, assets = (Path(line) for line in where.split())
    assert module.is_relative_to(installed) and assets.is_relative_to(installed), where
    procgen_command = [sys.executable, str(installed / "bin" / "procgen")]
    for name, out in (("river/gru", "x.png"), ("level/transformer", "y.png")):
        _run([*procgen_command, "generate", name, "--seed", "1", "-o", out], cwd=tmp_path, env=env)
        assert (tmp_path / out).stat().st_size > 0, name
