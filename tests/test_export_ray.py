"""--backend ray against a local Ray instance: the same files and manifest as a local run."""

from __future__ import annotations

from pathlib import Path

import pytest

import procgen
from procgen.errors import ParameterError
from procgen.export import export, parse_seeds

FORMATS = "png,tmj,json"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ray_backend_matches_a_local_run(tmp_path) -> None:
    pytest.importorskip("ray")
    generator = procgen.get("level/overworld", width=32, height=24)
    local = export(generator, parse_seeds("0:6"), FORMATS, tmp_path / "local", workers=0)
    ray = export(generator, parse_seeds("0:6"), FORMATS, tmp_path / "ray", workers=2, backend="ray")
    assert local.written == ray.written == 6
    assert tree(tmp_path / "ray") == tree(tmp_path / "local")


def test_a_missing_ray_is_one_clear_error(tmp_path, monkeypatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ParameterError, match=r"pip install 'procgen\[ray\]'"):
        export(procgen.get("river/coinflip"), parse_seeds("0:2"), "json", tmp_path / "out", backend="ray", workers=1)
    assert not (tmp_path / "out").exists()
