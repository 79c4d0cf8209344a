"""The Fréchet distance between two Gaussians, the statistic behind FID and SIFID.

For $X_1 \\sim \\mathcal{N}(\\mu_1, \\Sigma_1)$ and $X_2 \\sim \\mathcal{N}(\\mu_2, \\Sigma_2)$,

$$d^2 = \\lVert \\mu_1 - \\mu_2 \\rVert_2^2
       + \\operatorname{Tr}\\big(\\Sigma_1 + \\Sigma_2 - 2 (\\Sigma_1 \\Sigma_2)^{1/2}\\big).$$

Computed in float64 with `scipy.linalg.sqrtm`, exactly as the official SIFID script (after
pytorch-fid) does: when the square root is not finite (a near-singular product, e.g. fewer
spatial positions than channels) it is retried with $\\epsilon I$ ($\\epsilon = 10^{-6}$) added
to both covariances; a complex result keeps its real part when every imaginary entry of the
diagonal is within $10^{-3}$ of zero, and raises otherwise.

Statistics are pure numpy: the backend only computes the features.

Reference: Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
Nash Equilibrium", NeurIPS 2017 (FID); Shaham et al., SinGAN, ICCV 2019, §3 (SIFID).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from singan_keras.errors import InputError

__all__ = ["feature_statistics", "frechet_distance"]

# Largest |imaginary part| on the diagonal of sqrtm(Σ1 Σ2) that is still treated as round-off
# (official SIFID / pytorch-fid: np.allclose(diag.imag, 0, atol=1e-3)).
IMAGINARY_TOLERANCE = 1e-3


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance of a set of feature vectors.

    Each row is one sample; for SIFID a sample is one spatial position of the feature map.

    Args:
        features: `(num_samples, num_channels)` array (any float dtype; computed in float64).

    Returns:
        `(mu, sigma)`: the `(num_channels,)` mean and the `(num_channels, num_channels)`
        covariance with the $1 / (n - 1)$ normalisation (`np.cov(..., rowvar=False)`).

    Raises:
        ValueError: if `features` is not 2-D or has fewer than two rows.

    Example:
        >>> mu, sigma = feature_statistics(np.random.rand(100, 8))
        >>> mu.shape, sigma.shape
        ((8,), (8, 8))
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(
            f"features must be a 2-D (num_samples, num_channels) array, got shape "
            f"{features.shape}; flatten the spatial axes first."
        )
    if features.shape[0] < 2:
        raise InputError(
            f"need at least 2 samples to estimate a covariance, got {features.shape[0]}; "
            "for SIFID use a larger image."
        )
    mu = features.mean(axis=0)
    sigma = np.cov(features, rowvar=False)  # ddof = 1: unbiased
    return mu, np.atleast_2d(sigma)


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = 1e-6,
) -> float:
    """Squared Fréchet (2-Wasserstein) distance between two Gaussians.

    $$d^2 = \\lVert \\mu_1 - \\mu_2 \\rVert_2^2
           + \\operatorname{Tr}\\big(\\Sigma_1 + \\Sigma_2 - 2 (\\Sigma_1 \\Sigma_2)^{1/2}\\big)$$

    Args:
        mu1: mean of the first Gaussian, shape `(d,)`.
        sigma1: covariance of the first Gaussian, shape `(d, d)`.
        mu2: mean of the second Gaussian, shape `(d,)`.
        sigma2: covariance of the second Gaussian, shape `(d, d)`.
        eps: added to both diagonals when the first matrix square root is not finite
            (official value `1e-6`).

    Returns:
        The distance as a Python float (FID/SIFID report this squared distance).

    Raises:
        ValueError: on mismatched shapes, or when the matrix square root keeps an imaginary
            diagonal component above `1e-3` (not round-off: the inputs are not valid
            covariances).

    Example:
        >>> frechet_distance(np.zeros(2), np.eye(2), np.ones(2), np.eye(2))
        2.0
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape:
        raise ValueError(f"mean vectors differ in shape: {mu1.shape} vs {mu2.shape}.")
    dim = mu1.shape[0]
    if sigma1.shape != (dim, dim) or sigma2.shape != (dim, dim):
        raise ValueError(
            f"covariances must be ({dim}, {dim}) to match the means, got {sigma1.shape} and "
            f"{sigma2.shape}."
        )

    diff = mu1 - mu2

    # (Σ1 Σ2)^{1/2}; the product of two PSD matrices has a real, non-negative spectrum, but a
    # near-singular product may give a non-finite root: retry on Σ + εI (official behaviour).
    covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(dim) * eps
        covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))

    # Round-off may leave a small imaginary part; anything larger is a real error.
    if np.iscomplexobj(covmean):
        largest = np.max(np.abs(np.diagonal(covmean).imag))
        if largest > IMAGINARY_TOLERANCE:
            raise ValueError(
                f"the matrix square root has an imaginary diagonal component of {largest:.3g} "
                f"(> {IMAGINARY_TOLERANCE}); the covariances are not positive semi-definite "
                "or are badly conditioned."
            )
        covmean = covmean.real

    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))
