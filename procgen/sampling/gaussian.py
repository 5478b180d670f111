"""Correlated Gaussian sampling by one affine map: x = mu + L z, with L L^T = Sigma.

z is standard normal, so x has mean mu and covariance L L^T = Sigma. L is the Cholesky
factor, which exists exactly when Sigma is symmetric positive definite; a designer's
Sigma that is not is rejected up front rather than sampled wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular

from procgen.errors import ParameterError
from procgen.sampling._checks import check_count, check_rng, frozen, real_array

_LOG_2PI = float(np.log(2.0 * np.pi))


@dataclass(frozen=True, eq=False)
class AffineGaussian:
    """N(mean, L L^T). Build with :meth:`from_covariance`; direct construction takes L."""

    mean: np.ndarray        # (d,) float64, read-only
    scale_tril: np.ndarray  # (d, d) lower-triangular L, positive diagonal, read-only

    def __post_init__(self) -> None:
        mean = _check_mean(self.mean)
        tril = real_array(self.scale_tril, "scale_tril")
        d = mean.shape[0]
        if tril.shape != (d, d):
            raise ParameterError(f"scale_tril must have shape ({d}, {d}) to match mean, got {tril.shape}")
        if np.any(np.triu(tril, 1) != 0.0):
            raise ParameterError("scale_tril must be lower triangular; use from_covariance(mean, cov)")
        if np.any(np.diag(tril) <= 0.0):
            raise ParameterError("scale_tril must have a positive diagonal; use from_covariance(mean, cov)")
        object.__setattr__(self, "mean", frozen(mean))
        object.__setattr__(self, "scale_tril", frozen(tril))

    @classmethod
    def from_covariance(cls, mean: Any, cov: Any, *, rtol: float = 1e-8) -> AffineGaussian:
        """Validate ``cov`` (symmetric within ``rtol``, positive definite) and factor it."""
        mu = _check_mean(mean)
        sigma = _check_covariance(cov, mu.shape[0], rtol)
        return cls(mu, _cholesky(sigma))

    @property
    def dim(self) -> int:
        return int(self.mean.shape[0])

    @property
    def covariance(self) -> np.ndarray:
        """Sigma = L L^T, shape (d, d)."""
        return self.scale_tril @ self.scale_tril.T

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws as an (n, d) array; all randomness comes from ``rng``."""
        rng, n = check_rng(rng), check_count(n)
        z = rng.standard_normal((n, self.dim))  # (n, d)
        # Row-vector form of x = mu + L z for all n draws at once.
        return self.mean + z @ self.scale_tril.T  # (n, d)

    def log_prob(self, x: Any) -> np.ndarray:
        """Exact log density for points x of shape (..., d); returns shape (...)."""
        points = real_array(x, "x")
        if points.ndim < 1 or points.shape[-1] != self.dim:
            raise ParameterError(f"x must have shape (..., {self.dim}), got {points.shape}")
        diff = (points - self.mean).reshape(-1, self.dim)  # (m, d)
        # Solving L y = x - mu gives the Mahalanobis term |y|^2 without forming Sigma^-1.
        y = solve_triangular(self.scale_tril, diff.T, lower=True, check_finite=False)  # (d, m)
        half_log_det = np.sum(np.log(np.diag(self.scale_tril)))
        logp = -0.5 * np.sum(y * y, axis=0) - half_log_det - 0.5 * self.dim * _LOG_2PI  # (m,)
        return logp.reshape(points.shape[:-1])


def _check_mean(mean: Any) -> np.ndarray:
    mu = real_array(mean, "mean")
    if mu.ndim != 1 or mu.shape[0] < 1:
        raise ParameterError(f"mean must be a non-empty 1-D array (d,), got shape {mu.shape}")
    return mu


def _check_covariance(cov: Any, d: int, rtol: float) -> np.ndarray:
    sigma = real_array(cov, "cov")
    if sigma.shape != (d, d):
        raise ParameterError(f"cov must have shape ({d}, {d}) to match mean, got {sigma.shape}")
    scale = float(np.max(np.abs(sigma)))
    asym = float(np.max(np.abs(sigma - sigma.T)))
    if asym > rtol * scale:
        raise ParameterError(
            f"cov is not symmetric (largest |cov - cov.T| is {asym:.3g}); "
            "a covariance matrix must equal its transpose, e.g. use (cov + cov.T) / 2"
        )
    # Tiny asymmetry within tolerance: average it out so L L^T is the intended matrix.
    return 0.5 * (sigma + sigma.T)


def _cholesky(sigma: np.ndarray) -> np.ndarray:
    try:
        tril = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        raise _not_positive_definite(sigma) from None
    # A pivot that survived only by rounding leaves a factor dominated by noise.
    pivots = np.diag(tril) ** 2
    if pivots.min() <= sigma.shape[0] * np.finfo(np.float64).eps * np.max(np.diag(sigma)):
        raise _not_positive_definite(sigma)
    return tril


def _not_positive_definite(sigma: np.ndarray) -> ParameterError:
    smallest = float(np.linalg.eigvalsh(sigma)[0])
    return ParameterError(
        f"cov is not positive definite (smallest eigenvalue {smallest:.3g}); every variance must "
        "be positive and correlations must be consistent (|corr| < 1, no variable a combination "
        "of others); add a small multiple of the identity or lower the correlations"
    )
