"""Classifier two-sample test: can a small network tell generated rivers from real ones?

The seeds' idea of a "discriminator" evaluation (a GAN's critic turned into a metric): take
held-out real turning-angle windows and generated ones, train a classifier on half of
each, and report its accuracy on the other half. Accuracy 0.5 means the classifier found
nothing to tell them apart by; the binomial test says whether it did better than chance.
A low accuracy is only as convincing as the classifier is capable, so the network sees
both the raw turns (a small 1-D conv, which picks up local shape and autocorrelation)
and hand-made summaries known to separate river models (turn size, spread, lag-1 and
lag-2 autocorrelation, how far the heading wanders, sinuosity of the window).

Everything random (balancing, the split, weight init, mini-batch order) comes from
``seed``, and torch runs on one thread, so the figure is the same on any machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import binomtest
from torch import nn

from procgen.errors import ParameterError
from procgen.generators.learned.core import init_parameters, one_thread

MIN_PER_CLASS = 10
BATCH_SIZE = 64
LEARNING_RATE = 3e-3
CHANNELS = 8
HIDDEN = 16
CLIP = 8.0          # scaled turns beyond this many robust scales carry no extra signal
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class TwoSampleResult:
    """Held-out accuracy of a real-vs-generated classifier, with its uncertainty."""

    accuracy: float      # held-out accuracy of the classifier (0.5 = indistinguishable)
    ci_low: float        # 95% Wilson interval
    ci_high: float
    n_test: int          # test examples (both classes)
    p_value: float       # one-sided binomial test of accuracy > 0.5


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval: stays inside [0, 1] and behaves near 0 and 1, unlike Wald."""
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _checked(windows: np.ndarray, what: str) -> np.ndarray:
    try:
        array = np.asarray(windows, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{what} windows must be numeric, got {type(windows).__name__}") from exc
    if array.ndim != 2:
        raise ParameterError(f"{what} windows must have shape (count, width), got {array.shape}")
    if array.shape[0] < MIN_PER_CLASS:
        raise ParameterError(f"{what} needs at least {MIN_PER_CLASS} windows, got {array.shape[0]}")
    if array.shape[1] < 4:
        raise ParameterError(f"{what} windows need at least 4 turns each, got width {array.shape[1]}")
    if not np.isfinite(array).all():
        raise ParameterError(f"{what} windows contain NaN or infinite turns")
    return array


def _lag_autocorr(centred: np.ndarray, lag: int) -> np.ndarray:
    """Per-window autocorrelation at ``lag``; 0 for a constant window."""
    num = (centred[:, lag:] * centred[:, :-lag]).mean(axis=1)
    var = (centred ** 2).mean(axis=1)
    return np.where(var > 1e-12, num / np.maximum(var, 1e-12), 0.0)


def summary_features(turns: np.ndarray) -> np.ndarray:
    """(n, W) turns -> (n, 8) per-window statistics that distinguish river models cheaply."""
    centred = turns - turns.mean(axis=1, keepdims=True)                        # (n, W)
    heading = np.cumsum(turns, axis=1)                                         # (n, W)
    chord = np.hypot(np.cos(heading).sum(axis=1), np.sin(heading).sum(axis=1))  # (n,) unit steps
    return np.stack([
        np.abs(turns).mean(axis=1),
        turns.std(axis=1),
        turns.mean(axis=1),
        _lag_autocorr(centred, 1),
        _lag_autocorr(centred, 2),
        heading.std(axis=1),
        np.abs(heading).max(axis=1),
        chord / turns.shape[1],          # straightness = 1 / sinuosity of the window
    ], axis=1)


def _robust_scale(turns: np.ndarray) -> float:
    # Mean absolute deviation rather than the MAD: real turns have many exact zeros
    # (a long step along one straight source segment), which can make the MAD zero.
    spread = float(np.abs(turns - np.median(turns)).mean()) * math.sqrt(math.pi / 2)
    return spread if spread > 1e-12 else 1.0


class Discriminator(nn.Module):
    """1-D conv over the turns (global mean and max pooling) joined with the summaries."""

    def __init__(self, n_summary: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv1d(2, CHANNELS, kernel_size=5, padding=2), nn.ReLU(),
            nn.Conv1d(CHANNELS, CHANNELS, kernel_size=5, padding=4, dilation=2), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Linear(2 * CHANNELS + n_summary, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))

    def forward(self, turns: torch.Tensor, summary: torch.Tensor) -> torch.Tensor:
        # turns (B, W) scaled; the |turn| channel makes variance a linear feature for the conv
        x = torch.stack([turns, turns.abs()], dim=1)                           # (B, 2, W)
        h = self.conv(x)                                                       # (B, C, W)
        pooled = torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1)             # (B, 2C)
        return self.head(torch.cat([pooled, summary], dim=1)).squeeze(1)      # (B,) logits


def _split(real: np.ndarray, generated: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    """Balanced classes, each split 50/50: (train_x, train_y, test_x, test_y)."""
    rng = np.random.Generator(np.random.PCG64(seed))
    n = min(len(real), len(generated))
    half = n // 2
    parts = []
    for windows in (real, generated):
        chosen = windows[rng.permutation(len(windows))[:n]]                   # (n, W)
        parts.append((chosen[:half], chosen[half:]))
    train_x = np.concatenate([parts[0][0], parts[1][0]])
    test_x = np.concatenate([parts[0][1], parts[1][1]])
    train_y = np.concatenate([np.ones(half), np.zeros(half)])                 # real = 1
    test_y = np.concatenate([np.ones(n - half), np.zeros(n - half)])
    return train_x, train_y, test_x, test_y


class _Features:
    """Scaling fitted on the training part only, so nothing leaks from the test half."""

    def __init__(self, train_x: np.ndarray) -> None:
        self.centre = float(np.median(train_x))
        self.scale = _robust_scale(train_x)
        summary = summary_features(train_x)
        self.mean = summary.mean(axis=0)
        std = summary.std(axis=0)
        self.std = np.where(std > 1e-12, std, 1.0)

    def __call__(self, x: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        turns = np.clip((x - self.centre) / self.scale, -CLIP, CLIP)
        summary = np.clip((summary_features(x) - self.mean) / self.std, -CLIP, CLIP)
        return torch.from_numpy(turns).float(), torch.from_numpy(summary).float()


def _train(model: Discriminator, turns: torch.Tensor, summary: torch.Tensor, labels: torch.Tensor,
           epochs: int, generator: torch.Generator) -> None:
    optimiser = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(epochs):
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(labels), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            optimiser.zero_grad()
            loss_fn(model(turns[batch], summary[batch]), labels[batch]).backward()
            optimiser.step()


def classifier_two_sample_test(real: np.ndarray, generated: np.ndarray, *, seed: int = 0,
                               epochs: int = 30) -> TwoSampleResult:
    """Held-out accuracy of a classifier trained to tell ``real`` from ``generated`` windows.

    real (N, W) and generated (M, W) are turning-angle windows in radians. The larger class
    is subsampled to the smaller's size, each class is split 50/50 into train and test
    (both from ``seed``), a small classifier is trained on train and scored on test.
    """
    real = _checked(real, "real")
    generated = _checked(generated, "generated")
    if real.shape[1] != generated.shape[1]:
        raise ParameterError(f"real and generated windows differ in width: {real.shape[1]} vs {generated.shape[1]}")
    if not isinstance(epochs, int) or epochs < 1:
        raise ParameterError(f"epochs must be a positive integer, got {epochs!r}")
    train_x, train_y, test_x, test_y = _split(real, generated, seed)
    features = _Features(train_x)
    with one_thread():
        generator = torch.Generator().manual_seed(int(seed) % 2**63)
        # Building draws default weights from the global RNG: fork it so the caller's state
        # is untouched, then overwrite every weight from the seeded generator.
        with torch.random.fork_rng(devices=[]):
            model = Discriminator(n_summary=len(features.mean))
        init_parameters(model, generator)
        _train(model, *features(train_x), torch.from_numpy(train_y).float(), epochs, generator)
        model.eval()
        with torch.no_grad():
            predicted = (model(*features(test_x)) > 0).numpy()                # (n_test,) bool
    correct = int((predicted == (test_y > 0.5)).sum())
    n_test = len(test_y)
    low, high = wilson_interval(correct, n_test)
    p_value = float(binomtest(correct, n_test, 0.5, alternative="greater").pvalue)
    return TwoSampleResult(correct / n_test, low, high, n_test, p_value)
