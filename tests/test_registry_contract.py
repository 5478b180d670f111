"""The contract every registered generator keeps, tested over the whole registry."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import procgen
from golden_hashes import GOLDEN_SEEDS, compute, load
from procgen.errors import ParameterError, SeedError

NAMES = procgen.available()
BAD_SEEDS = [-1, 2**64, 1.5, 3.0, float("nan"), True, None, "", "   ", b"7", [1], "-5"]


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return request.param


def test_registry_lists_the_starter_generators() -> None:
    assert {"river/coinflip", "landscape/fbm"} <= set(NAMES)


def test_info_describes_each_generator(name: str) -> None:
    entry = procgen.info(name)
    generator = procgen.get(name)
    assert entry.kind in ("hand-written", "learned") and entry.kind == generator.kind
    assert entry.content == generator.content_type.__name__
    assert entry.description
    assert entry.defaults == generator.config.to_dict()
    assert all(spec.help for spec in entry.parameters.values())


def test_same_seed_same_content(name: str) -> None:
    generator = procgen.get(name)
    first, second = generator.generate(42), generator.generate(42)
    assert first == second and first.digest() == second.digest()
    assert generator.generate(43) != first
    assert procgen.get(name).generate("mossy-canyon") == generator.generate("mossy-canyon")


def test_same_content_in_another_process(name: str) -> None:
    script = f"import json, sys; sys.path.insert(0, {os.path.dirname(__file__)!r}); " \
             f"from golden_hashes import compute; print(json.dumps(compute({name!r})))"
    # A different hash seed proves nothing depends on Python's salted hash().
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout) == compute(name)


def test_batch_equals_single_calls(name: str) -> None:
    generator = procgen.get(name)
    seeds = [0, 1, "mossy-canyon", 2**64 - 1, np.uint64(5)]
    batch = generator.generate_batch(seeds)
    assert len(batch) == len(seeds)
    assert all(b == generator.generate(s) for b, s in zip(batch, seeds))
    assert generator.generate_batch([]) == []


def test_golden_hashes(name: str) -> None:
    golden = load()
    assert name in golden, f"no golden hashes for {name}: run python tests/golden_hashes.py --update"
    assert set(golden[name]) == {str(s) for s in GOLDEN_SEEDS}
    assert compute(name) == golden[name], (
        f"{name} now makes different content for shared seeds; if that is deliberate, note it "
        "in the changelog and run python tests/golden_hashes.py --update")


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_bad_seeds_raise_seed_error(name: str, seed: object) -> None:
    generator = procgen.get(name)
    with pytest.raises(SeedError):
        generator.generate(seed)  # type: ignore[arg-type]
    with pytest.raises(SeedError):
        generator.generate_batch([0, seed])  # type: ignore[list-item]


def test_generate_batch_rejects_a_bare_string(name: str) -> None:
    with pytest.raises(SeedError):
        procgen.get(name).generate_batch("abc")


def _bad_values(spec: procgen.generators.ParamSpec) -> list[object]:
    """Values no parameter of this type and bounds may take."""
    bad: list[object] = [None, [1]]
    if spec.type in (int, float):
        bad += ["3", True]
        if spec.type is int:
            bad.append(2.5)
        else:
            bad += [math.nan, math.inf]
        b = spec.bounds
        step = 1 if spec.type is int else 1e-9 * max(1.0, abs(b.get("ge", b.get("le", 1.0))))
        bad += [b["ge"] - step] if "ge" in b else []
        bad += [b["le"] + step] if "le" in b else []
        bad += [b["gt"]] if "gt" in b else []
        bad += [b["lt"]] if "lt" in b else []
    elif spec.type is bool:
        bad += [1, "yes"]
    elif spec.type is str:
        bad += [3] + (["not-a-choice"] if "choices" in spec.bounds else [])
    return bad


def test_bad_parameters_raise_parameter_error(name: str) -> None:
    with pytest.raises(ParameterError, match="parameters are"):
        procgen.get(name, no_such_parameter=1)
    for spec in procgen.info(name).parameters.values():
        for value in _bad_values(spec):
            with pytest.raises(ParameterError, match=spec.name):
                procgen.get(name, **{spec.name: value})


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_content_round_trips_through_files(name: str, suffix: str, tmp_path) -> None:
    content = procgen.get(name).generate(7)
    path = content.save(tmp_path / f"content{suffix}")
    loaded = type(content).load(path)
    assert loaded == content and loaded.digest() == content.digest()
    assert procgen.content.load(path) == content


def test_preview_is_a_non_blank_image(name: str, tmp_path) -> None:
    content = procgen.get(name).generate(7)
    image = content.to_image()
    assert isinstance(image, Image.Image) and min(image.size) >= 16
    assert len(np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)) > 1
    saved = content.save(tmp_path / "preview.png")
    with Image.open(saved) as reread:
        assert reread.format == "PNG" and reread.size == image.size


def test_model_folder_is_used_like_a_name(name: str, tmp_path) -> None:
    generator = procgen.get(name)
    folder = generator.save(tmp_path / "my-model")
    loaded = procgen.get(str(folder))
    assert type(loaded) is type(generator) and loaded.config == generator.config
    assert loaded.generate("shared-seed") == generator.generate("shared-seed")


def test_generate_leaves_global_random_state_alone(name: str) -> None:
    generator = procgen.get(name)
    expected = generator.generate(3)
    np.random.seed(1)
    random.seed(1)
    torch.manual_seed(1)
    states = (np.random.get_state()[1].copy(), random.getstate(), torch.random.get_rng_state().clone())
    assert generator.generate(3) == expected
    np.random.seed(2)
    assert generator.generate(3) == expected
    np.random.seed(1)
    assert np.array_equal(np.random.get_state()[1], states[0])
    assert random.getstate() == states[1] and torch.equal(torch.random.get_rng_state(), states[2])
