"""Model folders: weights plus JSON config, loadable wherever a generator name is."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest

import procgen
from procgen.content import RiverPath
from procgen.errors import CheckpointError, OutputError
from procgen.generators import Generator, GeneratorConfig, param, registry
from procgen.seeding import make_rng


@dataclass(frozen=True, kw_only=True)
class AffineConfig(GeneratorConfig):
    points: int = param(8, "points per path", ge=2)


class AffineRiver(Generator[RiverPath]):
    """x = mu + L z per point: the seeds' one-layer generator network, with weights."""

    name = "test/affine"
    kind = "learned"
    description = "test generator with weights"
    content_type = RiverPath
    Config = AffineConfig

    def __init__(self, config=None, /, **params) -> None:
        super().__init__(config, **params)
        self.mu = np.zeros(2)
        self.L = np.eye(2)

    def _generate(self, stream):
        z = make_rng(stream).standard_normal((self.config.points, 2))  # (N, 2)
        return RiverPath(self.mu + z @ self.L.T)

    def _weights(self):
        return {"mu": self.mu, "L": self.L}

    def _set_weights(self, weights):
        if set(weights) != {"mu", "L"} or weights["mu"].shape != (2,) or weights["L"].shape != (2, 2):
            raise CheckpointError(f"expected mu (2,) and L (2, 2), got { {k: v.shape for k, v in weights.items()} }")
        self.mu, self.L = weights["mu"], weights["L"]


@pytest.fixture
def trained(monkeypatch, tmp_path):
    monkeypatch.setitem(registry._REGISTRY, AffineRiver.name, AffineRiver)
    AffineConfig.generator_name = AffineRiver.name
    generator = AffineRiver(points=16)
    generator.mu, generator.L = np.array([3.0, -1.0]), np.array([[2.0, 0.0], [0.5, 0.1]])
    (tmp_path / "runs").mkdir()
    return generator, generator.save(tmp_path / "runs" / "my-rivers")


def test_folder_round_trip_keeps_weights_and_config(trained) -> None:
    generator, folder = trained
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.safetensors"]
    loaded = procgen.get(str(folder))
    assert isinstance(loaded, AffineRiver) and loaded.config.points == 16
    assert np.array_equal(loaded.L, generator.L) and loaded.generate(5) == generator.generate(5)
    assert AffineRiver.load(folder).generate("x") == generator.generate("x")
    # Parameters apply on top of a loaded model, weights kept.
    assert len(procgen.get(str(folder), points=4).generate(1)) == 4


def test_save_replaces_an_earlier_model_whole(trained) -> None:
    generator, folder = trained
    generator.mu = np.array([100.0, 100.0])
    generator.save(folder)
    assert procgen.get(str(folder)).generate(1) == generator.generate(1)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["my-rivers"]  # no staging left


def test_save_refuses_to_clobber_a_foreign_folder(trained, tmp_path) -> None:
    generator, _ = trained
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"meow")
    with pytest.raises(OutputError, match="refusing"):
        generator.save(tmp_path / "photos")
    with pytest.raises(OutputError, match="does not exist"):
        generator.save(tmp_path / "a" / "b")


def _corrupt(folder, how: str) -> None:
    model, weights = folder / "model.json", folder / "weights.safetensors"
    doc = json.loads(model.read_text())
    if how == "truncated":
        weights.write_bytes(weights.read_bytes()[:40])
    elif how == "flipped":
        data = bytearray(weights.read_bytes())
        data[-1] ^= 0xFF
        weights.write_bytes(bytes(data))
    elif how == "missing-weights":
        weights.unlink()
    elif how == "bad-json":
        model.write_text("{")
    elif how == "no-json":
        model.unlink()
    elif how == "unknown-generator":
        model.write_text(json.dumps({**doc, "generator": "river/nope"}))
    elif how == "bad-config":
        model.write_text(json.dumps({**doc, "config": {"points": -3}}))
    elif how == "unknown-param":
        model.write_text(json.dumps({**doc, "config": {"wiggle": 1}}))
    elif how == "future-format":
        model.write_text(json.dumps({**doc, "format_version": 99}))
    elif how == "mismatched-weights":
        from safetensors.numpy import save_file
        from procgen.generators.folder import _sha256

        save_file({"mu": np.zeros(3)}, str(weights))
        model.write_text(json.dumps({**doc, "weights": {"file": weights.name, "sha256": _sha256(weights)}}))


@pytest.mark.parametrize("how", ["truncated", "flipped", "missing-weights", "bad-json", "no-json",
                                 "unknown-generator", "bad-config", "unknown-param", "future-format",
                                 "mismatched-weights"])
def test_broken_folders_raise_a_clear_checkpoint_error(trained, how: str) -> None:
    _, folder = trained
    _corrupt(folder, how)
    with pytest.raises(CheckpointError) as info:
        procgen.get(str(folder))
    assert str(folder) in str(info.value)


def test_hand_written_generators_take_no_weights(tmp_path) -> None:
    folder = procgen.get("river/coinflip", steps=12).save(tmp_path / "coin")
    assert sorted(p.name for p in folder.iterdir()) == ["model.json"]
    with pytest.raises(CheckpointError, match="no weights"):
        procgen.get("river/coinflip")._set_weights({"w": np.zeros(1)})


def test_a_plain_folder_is_not_a_model(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="model.json"):
        procgen.get(str(tmp_path))
