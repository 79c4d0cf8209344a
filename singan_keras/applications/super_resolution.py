"""Single-image super-resolution (paper §4, Fig. 10).

SinGAN is trained on the low-resolution image itself, with a pyramid whose scale factor is
the upsampling step; at test time the image is upsampled by that step and passed, with
noise, through the *finest* generator G_finest — k times, so that the k steps multiply to
the requested factor s:

    k = round(log(1/s) / log((1/2)^(1/3))) = round(3·log2 s)      (at least 1)
    r = s^(1/k)                                                  (so that r^k = s)
    x_j = G_finest(σ_finest z_j, x_{j−1} ↑ r),  j = 1 .. k,      x_0 = the low-res image

The authors: "an upsampling factor of 2^(1/3) between levels ... ×4 needs the upsampling
process 6 times" (×2 → k = 3, ×4 → 6, ×2.5 → 4, r = 1.2574).

The SR training mode (`super_resolution_config`) is the official one:

* α (reconstruction weight) = 100 (official ``post_config``: ``if opt.mode == 'SR':
  opt.alpha = 100``; the default is 10);
* ``min_size`` = 18 (official ``adjust_scales2image_SR``);
* nominal pyramid factor r0 = 1/r = s^(−1/k) (official ``SR.py``: ``opt.scale_factor =
  1 / in_scale`` from ``calc_init_scale``). As in the official code the *actual* factor
  between training scales is then recomputed from the image size and ``min_size``; only the
  test-time steps use r exactly.

Named deviations: every step's size is ``round(size · s^(j/k))`` so the output is exactly
``round(input × s)`` (official: ``ceil`` per step, then a crop to ``int(s · size)``); every
step gets 3-channel noise (official: the first step gets one channel repeated, because its
sampler treats that step as a coarsest scale); the official SR schedule counts scales with
``int`` instead of ``ceil`` (one scale fewer for some sizes).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from singan_keras.applications.injection import load_user_image
from singan_keras.config import TrainConfig, preset
from singan_keras.errors import InputError
from singan_keras.imresize import imresize
from singan_keras.layout import to_internal, to_numpy_nhwc
from singan_keras.sampling import PerImageNoise, TrainedPyramid, run_batches

__all__ = [
    "SR_MIN_SIZE",
    "SR_RECONSTRUCTION_WEIGHT",
    "super_resolution_config",
    "super_resolution_steps",
    "super_resolve",
]

SR_RECONSTRUCTION_WEIGHT = 100.0  # official: opt.alpha = 100 in SR mode
SR_MIN_SIZE = 18  # official: adjust_scales2image_SR
_BASE_STEP = 0.5 ** (1.0 / 3.0)  # official calc_init_scale: (1/2)^(1/3)


def _check_factor(factor: float) -> float:
    try:
        factor = float(factor)
    except (TypeError, ValueError):
        raise InputError(f"factor (--factor) must be a number > 1, got {factor!r}.") from None
    if not math.isfinite(factor) or factor <= 1.0:
        raise InputError(f"factor (--factor) must be a finite number > 1, got {factor}.")
    return factor


def super_resolution_steps(factor: float) -> tuple[int, float]:
    """(k, r): how many upsampling steps and the factor of each, with r^k = factor.

    Example:
        >>> [super_resolution_steps(s)[0] for s in (2, 4, 2.5)]
        [3, 6, 4]
        >>> round(super_resolution_steps(4)[1] ** 6, 12)
        4.0
    """
    factor = _check_factor(factor)
    steps = max(1, round(math.log(1.0 / factor) / math.log(_BASE_STEP)))
    return steps, factor ** (1.0 / steps)


def super_resolution_config(factor: float = 4.0, base: str = "paper", **overrides) -> TrainConfig:
    """The SR training mode: a preset with α = 100, ``min_size`` 18 and r0 = s^(−1/k).

    Args:
        factor: the super-resolution factor s the model is meant for (> 1).
        base: the preset to start from (``"paper"``, ``"quick"``, ``"official"``).
        **overrides: further `TrainConfig` fields (applied last).

    Returns:
        A `TrainConfig`.

    Example:
        >>> config = super_resolution_config(4)
        >>> config.reconstruction_weight, config.min_size, round(config.scale_factor, 4)
        (100.0, 18, 0.7937)
    """
    _, step = super_resolution_steps(factor)
    values = dict(
        scale_factor=1.0 / step,
        min_size=SR_MIN_SIZE,
        reconstruction_weight=SR_RECONSTRUCTION_WEIGHT,
    )
    values.update(overrides)
    return preset(base, **values)


def super_resolve(
    model,
    factor: float = 4.0,
    *,
    image=None,
    seed: int | None = None,
) -> np.ndarray:
    """Super-resolves the training image (or one of its size) by `factor` (paper Fig. 10).

    Args:
        model: a `SinGAN` trained on the low-resolution image, ideally with
            `super_resolution_config(factor)` (a warning says when it was not).
        factor: the upsampling factor s > 1, integer or not.
        image: the low-resolution image; default the model's finest training image. A file
            or (H, W, 3) array of the training image's or the finest scale's size.
        seed: noise seed; the same seed gives the same image under every backend.

    Returns:
        (round(H·s), round(W·s), 3) float32 array in about [-1, 1], where (H, W) is the
        finest scale's size.

    Raises:
        ValueError: factor <= 1, or an image of the wrong size or channel count.

    Example:
        >>> from singan_keras import SinGAN
        >>> from singan_keras.applications import super_resolution_config, super_resolve
        >>> model = SinGAN.train("coffee", super_resolution_config(4))  # doctest: +SKIP
        >>> super_resolve(model, 4, seed=0).shape  # doctest: +SKIP
        (668, 1000, 3)
    """
    steps, step = super_resolution_steps(factor)
    if not model.generators:
        raise InputError("This SinGAN has no trained scale yet.")
    config = model.config
    expected = 1.0 / step
    if (
        # 2 %: a model trained for x4 (r0 = 0.7937) serves x2 and x2.5 (0.7953) as well; the
        # factor used in training is recomputed from the image size anyway.
        not math.isclose(config.scale_factor, expected, rel_tol=0.02)
        or config.reconstruction_weight != SR_RECONSTRUCTION_WEIGHT
    ):
        warnings.warn(
            f"this model was not trained in the SR mode for x{factor:g} (scale_factor "
            f"{config.scale_factor:.4f}, alpha {config.reconstruction_weight:g}; expected "
            f"{expected:.4f} and {SR_RECONSTRUCTION_WEIGHT:g}: train it with "
            "super_resolution_config(factor)); results may be poor.",
            UserWarning,
            stacklevel=2,
        )
    if image is None:
        current = model.reals[-1].astype(np.float32)
    else:
        current = load_user_image(model, image, "IMAGE")[1]
    height, width = current.shape[:2]
    # r^j, and exactly s at the last step: x_j = G_finest(σ z_j, x_{j−1} ↑ r), j = 1 .. k
    sizes = [
        (round(height * factor ** (j / steps)), round(width * factor ** (j / steps)))
        for j in range(1, steps + 1)
    ]
    chain = TrainedPyramid(
        [model.generators[-1]] * steps, [model.noise_amplitudes[-1]] * steps, sizes
    )
    noise = PerImageNoise.from_seed(seed, 1, single_channel_coarsest=False)
    return run_batches(chain, noise, start_image=current, upsample=upsample_with_imresize)[0]


def upsample_with_imresize(images, size: tuple[int, int]):
    """x ↑ r of super-resolution's steps: numpy `imresize`, image by image (float64 inside,
    so it can differ from the float32 `resize_images` of the pyramid in the last bit)."""
    return to_internal(np.stack([imresize(image, size) for image in to_numpy_nhwc(images)]))
