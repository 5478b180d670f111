"""The window models river/vae and river/flow on tiny synthetic data, plus the shipped ones."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import procgen
from procgen.assets import assets_dir
from procgen.errors import ContentError
from procgen.generators.folder import is_model_folder
from procgen.generators.learned.flow import FlowRiver
from procgen.generators.learned.base import split_sequences
from procgen.generators.learned.vae import VAERiver
from procgen.generators.learned.windows import (WindowRiver, from_latent, robust_scale, scoring_windows,
                                                to_latent, training_windows, window_starts)

TINY = {
    VAERiver: dict(window=8, latent=2, hidden=16),
    FlowRiver: dict(window=8, hidden=16, passes=2, transforms=2, bins=4),
}
TRAIN = dict(epochs=8, batch_size=64, lr=5e-3, patience=8, step_length=1.0)  # the meander rivers' step


def rivers(n: int = 40, steps: int = 100) -> list[procgen.content.RiverPath]:
    return procgen.get("river/meander", steps=steps, sigma=6.0, phi=0.8).generate_batch(range(n))


@pytest.fixture(scope="module", params=[VAERiver, FlowRiver], ids=lambda c: c.name)
def trained(request: pytest.FixtureRequest) -> WindowRiver:
    cls = request.param
    return cls(**TINY[cls], **TRAIN).fit(rivers())


# ---- windows -------------------------------------------------------------------------------
def test_windows_are_deterministic_and_cover_the_sequence() -> None:
    assert window_starts(10, 4, 2) == [0, 2, 4, 6]
    assert window_starts(11, 4, 2) == [0, 2, 4, 6, 7]  # one flush with the end
    assert window_starts(3, 4, 2) == []
    seqs = [np.arange(11.0), np.arange(3.0)]
    x = training_windows(seqs, 4, 2, mirror=True)  # (10, 4): 5 windows and their mirror images
    assert x.shape == (10, 4) and torch.equal(x[5:], -x[:5]) and x[4].tolist() == [7, 8, 9, 10]
    scored = scoring_windows(np.arange(10.0), 4)  # the tail of 2 turns is left out
    assert scored.shape == (2, 4) and scored.flatten().tolist() == list(range(8))
    with pytest.raises(ContentError, match="whole windows"):
        scoring_windows(np.arange(3.0), 4)


def test_latent_map_is_a_bijection_with_the_right_jacobian() -> None:
    x = torch.tensor([[-3.0, -0.2, 0.0, 0.01, 2.5]], dtype=torch.float64)  # (1, 5) radians
    u, log_det = to_latent(x, 0.1)
    assert torch.allclose(from_latent(u, 0.1), x, atol=1e-12)
    numeric = torch.autograd.functional.jacobian(lambda v: to_latent(v, 0.1)[0], x[0])  # (5, 5) diagonal
    assert float(log_det) == pytest.approx(float(torch.log(torch.diagonal(numeric)).sum()), abs=1e-9)
    assert robust_scale([np.array([0.1, -0.1, 0.1])]) == pytest.approx(0.1483, abs=1e-4)


# ---- training and the interface ------------------------------------------------------------
def test_training_lowers_validation_loss(trained: WindowRiver) -> None:
    untrained = type(trained)(trained.config)  # same settings and turn_scale, initial weights
    _, val_seq = split_sequences(rivers(), trained.config.step_length)
    val_x = untrained.training_data(val_seq)
    before = untrained.validation_loss(val_x, torch.Generator().manual_seed(0))
    after = trained.validation_loss(val_x, torch.Generator().manual_seed(0))
    assert after < before - 0.2, (before, after)
    report = trained.training_report
    assert report.best_validation == pytest.approx(after, abs=1e-5)
    # A meander river's turns spread about sigma = 6 degrees / sqrt(1 - 0.8^2) = 10 degrees.
    assert 0.1 < trained.config.turn_scale < 0.3


def test_save_load_round_trip_and_batches_exactly(trained: WindowRiver, tmp_path) -> None:
    loaded = procgen.get(str(trained.save(tmp_path / "m")))
    assert type(loaded) is type(trained) and loaded.config == trained.config
    assert all(np.array_equal(loaded._weights()[k], v) for k, v in trained._weights().items())
    path = rivers(1, 60)[0]
    assert loaded.log_prob(path) == trained.log_prob(path)  # bit for bit, IWAE included
    seeds = list(range(70))  # more than one sampling block of 64
    batch = loaded.with_params(steps=20).generate_batch(seeds)
    assert [r.digest() for r in batch] == [loaded.with_params(steps=20).generate(s).digest() for s in seeds]
    assert len(batch[0]) == 22 and batch[0] != batch[1]


def test_scored_steps_leave_the_tail_out(trained: WindowRiver) -> None:
    path = rivers(1, 30)[0]  # 29 turns at step 1 -> 3 windows of 8, 5 turns left out
    assert trained.scored_steps(path) == 24
    assert np.isfinite(trained.log_prob(path))
    with pytest.raises(ContentError, match="whole windows"):
        trained.log_prob(rivers(1, 6)[0])


@pytest.mark.parametrize("noisy", [False, True], ids=["default", "decoder-noise"])
def test_decode_draws_no_random_numbers(trained: WindowRiver, noisy: bool, monkeypatch) -> None:
    if noisy:
        if not isinstance(trained, VAERiver):
            pytest.skip("VAE only")
        trained = trained.with_params(decoder_noise=True)
    noise = {k: torch.from_numpy(v)[None] for k, v in trained.draw_noise(np.random.default_rng(3)).items()}  # (1, ...)
    with trained.inference():
        expected = trained.decode(noise)

    def refuse(*args, **kwargs):
        raise AssertionError("decode drew a random number")

    for name in ("randn", "rand", "randint", "randperm", "normal", "bernoulli", "multinomial"):
        monkeypatch.setattr(torch, name, refuse)
    with trained.inference():
        assert torch.equal(trained.decode(noise), expected)


# ---- the flow's exact likelihood -----------------------------------------------------------
def test_flow_log_prob_is_the_change_of_variables_formula() -> None:
    flow = FlowRiver(window=4, hidden=16, transforms=2, bins=4, passes=4, turn_scale=0.2, seed=5)
    x = 0.3 * torch.randn((3, 4), generator=torch.Generator().manual_seed(1), dtype=torch.float64)

    def to_base(window: torch.Tensor) -> torch.Tensor:  # (4,) radians -> (4,) base point
        u = torch.asinh(window / 0.2).float()
        return flow.module().transform(u).double()

    for row in x:
        jacobian = torch.autograd.functional.jacobian(to_base, row)  # (4, 4)
        with torch.no_grad():
            b = to_base(row)
            by_hand = float(-0.5 * (b ** 2).sum() - 2 * math.log(2 * math.pi) + torch.linalg.slogdet(jacobian)[1])
            assert float(flow.window_log_prob(row[None].float())[0]) == pytest.approx(by_hand, abs=2e-3)


def test_flow_density_integrates_to_one() -> None:
    flow = FlowRiver(window=2, hidden=16, transforms=2, bins=4, turn_scale=0.1, seed=2)
    # Integrate over u = asinh(x / s) (x = s sinh u, dx = s cosh u du), which covers the
    # heavy-tailed x-axis with an even grid.
    u = torch.linspace(-14.0, 14.0, 561, dtype=torch.float64)
    du = float(u[1] - u[0])
    uu = torch.cartesian_prod(u, u)  # (561^2, 2)
    x = from_latent(uu, 0.1)
    with torch.no_grad():
        density = flow.window_log_prob(x.float()).double().exp() * (0.1 * torch.cosh(uu)).prod(-1)
    assert float(density.sum() * du * du) == pytest.approx(1.0, abs=5e-3)


def test_flow_sampling_inverts_the_flow(trained: WindowRiver) -> None:
    if not isinstance(trained, FlowRiver):
        pytest.skip("flow only")
    base = torch.randn((5, trained.config.window), generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        u = trained.module().transform.inv(base)
        assert torch.allclose(trained.module().transform(u), base, atol=1e-4)


# ---- the VAE's importance-weighted likelihood ----------------------------------------------
def test_vae_iwae_is_above_the_elbo_and_deterministic(trained: WindowRiver) -> None:
    if not isinstance(trained, VAERiver):
        pytest.skip("VAE only")
    x = training_windows([np.asarray(s) for s in split_sequences(rivers(10), 1.0)[0]], 8, 8, False)
    with torch.no_grad():
        iwae, same_samples_elbo = trained.iwae(x, 256, torch.Generator().manual_seed(0))  # (N,) each
        elbo = -trained._neg_elbo(x, torch.Generator().manual_seed(1)).double()  # (N,) one fresh sample each
        many = torch.stack([-trained._neg_elbo(x, torch.Generator().manual_seed(s)).double() for s in range(32)])
    assert (iwae >= same_samples_elbo).all()  # Jensen, for every window
    # The ELBO with its closed-form KL, averaged over windows and 32 draws, lies below too.
    assert float(iwae.mean()) > float(many.mean()) and float(iwae.mean()) > float(elbo.mean())
    path = rivers(1, 60)[0]
    copy = type(trained)(trained.config)
    copy._set_weights(trained._weights())
    assert trained.log_prob(path) == trained.log_prob(path) == copy.log_prob(path)  # fixed importance samples


# ---- the shipped models --------------------------------------------------------------------
SHIPPED = [name for name in ("river/vae", "river/flow")
           if is_model_folder(assets_dir() / "models" / name.replace("/", "-"))]


# On the regional hold-out at full resolution, dequantized at 0.01 rad (procgen.evaluate's
# default), both window models beat the fitted meander: the flow by 0.14 nats/step and the
# VAE's importance-weighted estimate by 0.12 over all 297 held-out rivers.
MARGIN = {"river/flow": -0.08, "river/vae": -0.05}


@pytest.mark.skipif(not (assets_dir() / "data" / "rivers").is_dir() or not SHIPPED,
                    reason="needs the shipped river data and models")
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_against_the_fitted_meander_on_held_out_rivers(name: str) -> None:
    from procgen.datasets.rivers import load_rivers
    from procgen.evaluate.likelihood import heldout_nll

    data = load_rivers(assets_dir() / "data" / "rivers")
    holdout = data.split("holdout").paths()[:60]  # a fixed subset keeps the test fast
    meander = procgen.get("river/meander").fit(data.split("train").paths()[:300], step_length=data.step_length)
    model = procgen.get(name)
    assert model.config.step_length == data.step_length
    gap = heldout_nll(model, holdout).nats_per_step - heldout_nll(meander, holdout).nats_per_step
    assert gap < MARGIN[name]
