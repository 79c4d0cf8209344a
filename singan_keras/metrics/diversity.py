"""Diversity of generated samples, as measured in the SinGAN paper (§3, "Qualitative
evaluation" / Table 1 discussion).

The paper: "we compute the standard deviation (std) of the intensity values of each pixel over
100 generated images, averaged it over all pixels, and normalized by the std of the intensity
values of the training image" (≈ 0.5 when generating from the coarsest scale N, ≈ 0.35 from
N − 1). With samples $\\tilde x^{(k)}$, $k = 1..K$, and the training image $x$:

$$\\mathrm{diversity} = \\frac{\\operatorname{mean}_{i,j,c}\\,
    \\operatorname{std}_k\\big(\\tilde x^{(k)}_{ijc}\\big)}{\\operatorname{std}_{i,j,c}(x_{ijc})}$$

Choices the paper leaves open, fixed here: both stds are population stds (ddof = 0); the
mean runs over pixels *and* channels; the training image's std pools all its pixels and
channels. The ratio does not depend on the intensity range, as long as samples and training
image share it (the package uses [-1, 1]).
"""

from __future__ import annotations

import numpy as np

from singan_keras.errors import InputError

__all__ = ["diversity"]


def diversity(samples, real) -> float:
    """Mean per-pixel std across samples, divided by the std of the training image.

    Args:
        samples: `(N, H, W, C)` generated images (N ≥ 2), or a list of equally sized
            `(H, W, C)` images, in the same range as `real` (the package uses [-1, 1]).
        real: the training image `(H', W', C)`; only its std is used, so its size may differ
            from the samples' (e.g. samples generated at another size).

    Returns:
        The diversity as a Python float; 0 for identical samples.

    Raises:
        ValueError: if fewer than two samples are given, samples differ in shape, or `real`
            is constant (std 0).

    Example:
        >>> rng = np.random.default_rng(0)
        >>> real = rng.uniform(-1, 1, (32, 32, 3))
        >>> diversity(np.stack([real] * 4), real)
        0.0
    """
    samples = np.asarray(samples, dtype=np.float64)
    real = np.asarray(real, dtype=np.float64)
    if samples.ndim != 4 or samples.shape[0] < 2:
        raise ValueError(
            f"samples must be a batch (N, H, W, C) with N >= 2, got shape {samples.shape}."
        )
    real_std = real.std()
    if real_std == 0:
        raise InputError("the training image is constant (std 0); diversity is undefined.")
    per_pixel_std = samples.std(axis=0)  # std over the N samples at each (i, j, c)
    return float(per_pixel_std.mean() / real_std)
