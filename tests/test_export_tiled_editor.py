"""The Tiled editor itself opens an exported map: ``tiled --export-map`` re-saves it.

Skipped where Tiled is not installed (Debian: apt-get install tiled).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import zlib

import numpy as np
import pytest

import procgen
from procgen.export import ExportOptions, export, parse_seeds

TILED = shutil.which("tiled")


def gids(layer: dict) -> np.ndarray:
    """A saved tile layer's gids: Tiled keeps the layer format it read (a list, or base64 + zlib)."""
    if layer.get("encoding") == "base64":
        assert layer.get("compression") == "zlib"
        return np.frombuffer(zlib.decompress(base64.b64decode(layer["data"])), dtype="<u4")
    return np.array(layer["data"])


@pytest.mark.skipif(TILED is None, reason="the Tiled editor (tiled) is not installed")
@pytest.mark.parametrize("data", ["csv", "zlib"])
def test_tiled_opens_and_re_exports_an_exported_map(tmp_path, data: str) -> None:
    generator = procgen.get("level/overworld", width=40, height=30)
    export(generator, parse_seeds("7:8"), "tmx,tmj", tmp_path / "out", workers=0,
           options=ExportOptions(tiled_data=data))
    level = generator.generate(7)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    for source in ("seed-7.tmx", "seed-7.tmj"):
        target = tmp_path / f"resaved-{source.replace('.', '-')}.tmj"  # one suffix: Tiled picks the format by it
        result = subprocess.run([TILED, "--export-map", "--embed-tilesets", str(tmp_path / "out" / source),
                                 str(target)], capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        saved = json.loads(target.read_text())
        tiles = next(layer for layer in saved["layers"] if layer["type"] == "tilelayer")
        assert np.array_equal(gids(tiles).reshape(level.shape), level.tiles + 1)
        tileset = saved["tilesets"][0]
        chars = {t["id"]: next(p["value"] for p in t["properties"] if p["name"] == "char") for t in tileset["tiles"]}
        assert [chars[i] for i in range(len(level.tileset))] == [t.char for t in level.tileset]
        objects = {layer["name"]: layer["objects"] for layer in saved["layers"] if layer["type"] == "objectgroup"}
        assert {o["name"] for o in objects["markers"]} == {"spawn", "goal"}
        assert all(len(o["polyline"]) >= 2 for o in objects["rivers"])
