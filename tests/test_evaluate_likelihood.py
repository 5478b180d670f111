import math

import numpy as np
import pytest

import procgen
from procgen.errors import ParameterError
from procgen.evaluate import heldout_nll


def test_nll_per_step_is_the_innovation_entropy_on_own_samples() -> None:
    model = procgen.get("river/meander", steps=400, sigma=8.0, phi=0.6)
    paths = model.generate_batch(range(60))
    sigma = math.radians(8.0)
    entropy = 0.5 * math.log(2 * math.pi * math.e * sigma**2)
    raw = heldout_nll(model, paths, resolution=0.0)
    assert raw.nats_per_step == pytest.approx(entropy, abs=3 * raw.stderr + 0.01)
    assert raw.paths == 60 and raw.steps == 60 * 399 and 0 < raw.stderr < 0.05


def test_dequantization_caps_what_exact_values_can_earn() -> None:
    # A coin-flip walk with no noise hits +-turn_angle exactly; a tiny-noise model then
    # earns huge raw densities, which the 0.01 rad resolution caps near log(1/0.01).
    sharp = procgen.get("river/coinflip", steps=300, turn_noise=0.001)
    paths = procgen.get("river/coinflip", steps=300).generate_batch(range(20))
    raw, fair = heldout_nll(sharp, paths, resolution=0.0), heldout_nll(sharp, paths)
    assert raw.nats_per_step < -6.0
    assert fair.nats_per_step > -math.log(1 / 0.01) - 0.1
    assert heldout_nll(sharp, paths) == fair  # deterministic


def test_models_without_a_turn_density_are_refused() -> None:
    with pytest.raises(ParameterError, match="density"):
        heldout_nll(procgen.get("river/downhill"), [])
    with pytest.raises(ParameterError, match="resolution"):
        heldout_nll(procgen.get("river/meander"), [], resolution=-1)
