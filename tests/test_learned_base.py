"""The learned-generator base and the shared training loop, on a tiny torch model."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

import procgen
from procgen.errors import CheckpointError
from procgen.generators import param, registry
from procgen.generators.learned.base import LearnedRiver, LearnedRiverConfig, split_sequences


@dataclass(frozen=True, kw_only=True)
class TinyConfig(LearnedRiverConfig):
    hidden: int = param(8, "hidden units", ge=1)


class TinyRiver(LearnedRiver):
    """Turns i.i.d. Gaussian with a learned mean and scale (through a small MLP on a constant)."""

    name = "test/tiny"
    description = "test model"
    Config = TinyConfig
    explicit = True

    def build(self) -> nn.Module:
        return nn.Sequential(nn.Linear(1, self.config.hidden), nn.Tanh(), nn.Linear(self.config.hidden, 2))

    def _params(self) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.module(torch.ones(1, 1))[0]
        return out[0], nn.functional.softplus(out[1]) + 1e-3

    def draw_noise(self, rng):
        return {"eps": rng.standard_normal(self.config.steps)}

    def decode(self, noise):
        mu, sigma = self._params()
        return mu + sigma * noise["eps"]  # (B, steps)

    def training_data(self, sequences):
        return torch.from_numpy(np.concatenate(sequences)).float()  # (N,) single turns

    def _nll(self, x):
        mu, sigma = self._params()
        return (0.5 * ((x - mu) / sigma) ** 2 + torch.log(sigma) + 0.5 * math.log(2 * math.pi)).mean()

    def training_step(self, batch, optimizers, generator):
        (opt,) = optimizers
        opt.zero_grad()
        loss = self._nll(batch)
        loss.backward()
        opt.step()
        return {"nll": float(loss.detach())}

    def validation_loss(self, data, generator):
        return float(self._nll(data))

    def log_prob_turns(self, turns):
        return float(-self._nll(torch.as_tensor(turns, dtype=torch.float32)) * len(turns))


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setitem(registry._REGISTRY, TinyRiver.name, TinyRiver)
    TinyConfig.generator_name = TinyRiver.name
    return TinyRiver


def data(n: int = 30):
    meander = procgen.get("river/meander", steps=120, mean_turn=5.0, sigma=10.0)
    return meander.generate_batch(range(n))


def test_fit_learns_save_load_and_batches_exactly(tiny, tmp_path) -> None:
    trained = tiny(epochs=60, lr=0.05, batch_size=256, patience=60).fit(data(), out=tmp_path / "m")
    mu, sigma = trained._params()
    # Early stopping on the validation rivers keeps a mean between theirs and the training
    # rivers' (30 short rivers: the two differ by 3 degrees).
    means = [float(np.concatenate(part).mean()) for part in split_sequences(data(), 1.0)]
    assert min(means) - 0.01 <= float(mu.detach()) <= max(means) + 0.01
    report = json.loads((tmp_path / "m" / "training" / "training.json").read_text())
    assert report["best_epoch"] >= 1 and report["history"]
    loaded = procgen.get(str(tmp_path / "m"))
    assert isinstance(loaded, TinyRiver) and loaded.generate(3) == trained.generate(3)
    seeds = list(range(70))  # more than one sampling block
    assert [r.digest() for r in loaded.generate_batch(seeds)] == [loaded.generate(s).digest() for s in seeds]
    assert np.isfinite(loaded.log_prob(data(1)[0]))


def test_training_is_deterministic_and_resume_matches(tiny, tmp_path) -> None:
    a = tiny(epochs=5, patience=10).fit(data(), out=tmp_path / "a")
    b = tiny(epochs=5, patience=10).fit(data())
    assert all(np.array_equal(a._weights()[k], b._weights()[k]) for k in a._weights())
    # Stop after one epoch (time limit), resume to the end: the same weights as one run.
    tiny(epochs=5, patience=10, max_minutes=1e-9).fit(data(), out=tmp_path / "c")
    resumed = tiny(epochs=5, patience=10).fit(data(), out=tmp_path / "c", resume=True)
    assert resumed.training_report.epochs == 5
    assert all(np.array_equal(a._weights()[k], resumed._weights()[k]) for k in a._weights())
    with pytest.raises(CheckpointError, match="other settings"):
        tiny(epochs=5, lr=0.5).fit(data(), out=tmp_path / "c", resume=True)


def test_untrained_names_and_broken_checkpoints_fail_clearly(tiny, tmp_path) -> None:
    with pytest.raises(CheckpointError, match="no trained weights"):
        procgen.get("test/tiny")
    (tmp_path / "m" / "training").mkdir(parents=True)
    (tmp_path / "m" / "training" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot resume"):
        tiny(epochs=2).fit(data(), out=tmp_path / "m", resume=True)


def test_construction_and_generation_leave_global_rng_alone(tiny) -> None:
    torch.manual_seed(123)
    state = torch.random.get_rng_state().clone()
    model = tiny()
    model.generate(1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert all(np.array_equal(tiny()._weights()[k], model._weights()[k]) for k in model._weights())


class _Foreign:
    """A Python object: a weights-only load refuses to build it, so no code runs."""


def _checkpoint(tiny, tmp_path):
    tiny(epochs=1, patience=10).fit(data(), out=tmp_path / "m")
    path = tmp_path / "m" / "training" / "checkpoint.pt"
    return path, torch.load(path, weights_only=True)


@pytest.mark.parametrize("field, value", [
    ("bad_epochs", "3"), ("bad_epochs", 2.5), ("config", 5), ("module", [1, 2]), ("generator", "state"),
    ("report", '{"epochs": "one"}'), ("report", '{"epochs": 1, "history": [3]}'), ("report", "[" * 50_000),
    ("report", '{"surprise": 1}'), ("best", {"0.weight": "x"}), ("optimizers", [])])
def test_a_resume_checkpoint_with_fields_of_the_wrong_type_is_refused(tiny, tmp_path, field, value) -> None:
    path, state = _checkpoint(tiny, tmp_path)
    torch.save({**state, field: value}, path)
    with pytest.raises(CheckpointError, match="cannot resume") as caught:
        tiny(epochs=2, patience=10).fit(data(), out=tmp_path / "m", resume=True)
    assert "\n" not in str(caught.value)


def test_a_pickled_object_in_a_checkpoint_is_refused_in_one_line(tiny, tmp_path) -> None:
    path, state = _checkpoint(tiny, tmp_path)
    torch.save({**state, "report": _Foreign()}, path)
    with pytest.raises(CheckpointError, match="Python objects") as caught:
        tiny(epochs=2, patience=10).fit(data(), out=tmp_path / "m", resume=True)
    assert "\n" not in str(caught.value)
