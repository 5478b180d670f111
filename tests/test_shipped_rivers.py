"""The shipped river models: trained on the shipped full-resolution data, and whole as folders."""

from __future__ import annotations

import numpy as np
import pytest

import procgen
from procgen.assets import model_folder
from procgen.datasets.rivers import load_rivers

LEARNED = ["river/gru", "river/flow", "river/vae", "river/gan", "river/rcurve"]


@pytest.mark.parametrize("name", LEARNED)
def test_each_shipped_river_model_was_trained_on_the_shipped_split(name: str) -> None:
    counts = load_rivers().counts()
    card = (model_folder(name) / "MODEL_CARD.md").read_text()
    assert (f"{counts['train']} training, {counts['validation']} validation, {counts['holdout']} held-out rivers"
            in card), "retrain the model on assets/data/rivers (its card names another split)"


@pytest.mark.parametrize("name", LEARNED)
def test_each_shipped_river_model_saves_loads_and_scores(name: str, tmp_path) -> None:
    model = procgen.get(name)
    again = procgen.get(str(model.save(tmp_path / "copy")))
    assert again.generate("mossy-canyon") == model.generate("mossy-canyon")
    held = load_rivers(split="holdout").paths()[:3]
    if model.explicit:
        scores = [model.log_prob(river) for river in held]
        assert np.isfinite(scores).all() and scores == [again.log_prob(river) for river in held]
    else:
        with pytest.raises(procgen.ParameterError):
            model.log_prob(held[0])
