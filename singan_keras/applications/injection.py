"""Injecting an image into a trained pyramid at scale n and generating the finer scales.

Paint-to-image (Fig. 11), editing (Fig. 12) and harmonization (Fig. 13) feed a user image in
at a coarse scale n (paper §4); this module validates the user's image and prepares it.
Like every generation, the scales then run through `singan_keras.sampling.run_pyramid`.

Index direction (as everywhere in singan_keras): scale 0 is the coarsest and scale K − 1 the
finest (the paper's n = N − k). From a start scale s the pyramid runs

    x~_s = G_s(σ_s z_s, x_in)                          x_in: the injected image at scale s
    x~_k = G_k(σ_k z_k, (x~_{k−1})↑r)                   k = s + 1 .. K − 1

with fresh noise z_k. The reference code prepares x_in from a full-size user image by
downscaling it to scale s − 1 and upsampling that to scale s (`injection_input`), so that it
has the blur of a coarse-scale output. Injecting the training image itself therefore gives
exactly `SinGAN.sample(start_scale=s, start_input="real")`.

Noise comes from numpy, one stream per image (`singan_keras.sampling.PerImageNoise`), drawn
scale by scale as `singan_keras.sampling.generate` draws it, so results are the same under
every backend.
"""

from __future__ import annotations

import os

import numpy as np

from singan_keras.errors import InputError
from singan_keras.imresize import imresize
from singan_keras.sampling import PerImageNoise, TrainedPyramid, run_batches

__all__ = [
    "allowed_sizes",
    "check_start_scale",
    "inject",
    "injection_input",
    "load_user_image",
    "to_finest",
]

ImageLike = str | os.PathLike | np.ndarray


# -- validating what the user gives ------------------------------------------------------------


def check_start_scale(model, start_scale: int, minimum: int, flag: str = "--start-scale") -> int:
    """Checks ``minimum <= start_scale <= K − 1``; the error names the flag and the range.

    Args:
        model: the trained `SinGAN`.
        start_scale: the scale the user asked for (0 = coarsest).
        minimum: the smallest allowed scale (1 for injection, 0 for animation).
        flag: the command-line flag to name in the error.

    Returns:
        `start_scale` as an int.

    Raises:
        ValueError: out of range, or not an integer.

    Example:
        >>> check_start_scale(model, 1, minimum=1)  # doctest: +SKIP
        1
    """
    last = model.num_scales - 1
    name = flag.lstrip("-").replace("-", "_")
    if last < minimum:
        raise InputError(
            f"this model has {model.num_scales} scale(s); {name} ({flag}) needs at least "
            f"{minimum + 1} trained scales."
        )
    if isinstance(start_scale, bool) or int(start_scale) != start_scale:
        raise InputError(f"{name} ({flag}) must be an integer, got {start_scale!r}.")
    if not minimum <= start_scale <= last:
        raise InputError(
            f"{name} ({flag}) must be between {minimum} and {last} for this model "
            f"({model.num_scales} scales, 0 = coarsest), got {start_scale}."
        )
    return int(start_scale)


def _as_rgb_array(image: ImageLike, flag: str) -> np.ndarray:
    from singan_keras.image_io import load_image

    if not isinstance(image, np.ndarray):
        return load_image(image)  # files always come back as (H, W, 3) in [-1, 1]
    array = np.asarray(image, dtype=np.float32)
    if array.ndim != 3 or array.shape[-1] != 3:
        raise InputError(
            f"{flag} must be an RGB image of shape (H, W, 3); got an array of shape "
            f"{array.shape} (channels: {array.shape[-1] if array.ndim == 3 else 'none'})."
        )
    if not np.all(np.isfinite(array)):
        raise InputError(f"{flag} contains NaN or infinite values.")
    if array.min() < -1.0 - 1e-4 or array.max() > 1.0 + 1e-4:
        raise InputError(
            f"{flag} pixel values must be in [-1, 1] (see singan_keras.load_image); got "
            f"[{array.min():.3g}, {array.max():.3g}]."
        )
    return np.clip(array, -1.0, 1.0)


def allowed_sizes(model) -> list[tuple[int, int]]:
    """(H, W) a user image may have: the training image's, or the finest trained scale's."""
    sizes = [tuple(model.schedule.input_shape), tuple(model.sizes[-1])]
    return list(dict.fromkeys(sizes))


def to_finest(model, image: np.ndarray) -> np.ndarray:
    """An (H, W, ...) array of one of `allowed_sizes` resized to the finest trained scale.

    A training-size image is resized exactly as `singan_keras.pyramid.build_pyramid` resizes
    the training image, so the training image itself maps onto ``model.reals[-1]``.
    """
    schedule = model.schedule
    finest = tuple(model.sizes[-1])
    if tuple(image.shape[:2]) == finest:
        return image.astype(np.float32)
    if schedule.resize_factor < 1.0:
        image = imresize(image, schedule.resized_shape, scale=schedule.resize_factor)
    if tuple(image.shape[:2]) != finest:  # an unfinished run: its finest scale is coarser
        relative = schedule.scale_relative_to_finest(len(model.sizes) - 1)
        image = imresize(image, finest, scale=relative)
    return image.astype(np.float32)


def load_user_image(model, image: ImageLike, flag: str) -> tuple[np.ndarray, np.ndarray]:
    """Loads and validates a user image for an application.

    Args:
        model: the trained `SinGAN`.
        image: a file path or an (H, W, 3) array in [-1, 1].
        flag: the command-line argument that gave it (named in errors).

    Returns:
        (the image as given, the image at the finest trained scale), float32.

    Raises:
        ValueError: wrong channel count, values outside [-1, 1], or a size that is neither
            the training image's nor the finest scale's.
        FileNotFoundError: a missing file.
    """
    array = _as_rgb_array(image, flag)
    sizes = allowed_sizes(model)
    if tuple(array.shape[:2]) not in sizes:
        choices = " or ".join(f"{h}x{w}" for h, w in sizes)
        raise InputError(
            f"{flag} must have the training image's size (height x width {choices}); got "
            f"{array.shape[0]}x{array.shape[1]}."
        )
    return array, to_finest(model, array)


# -- injecting ----------------------------------------------------------------------------------


def injection_input(model, image: np.ndarray, start_scale: int) -> np.ndarray:
    """The reference's injection of a finest-size image at scale n: down to n − 1, up to n.

    Args:
        model: the trained `SinGAN`.
        image: (H, W, 3) at the finest trained scale (see `load_user_image`).
        start_scale: n >= 1.

    Returns:
        (H_n, W_n, 3) float32: the input of G_n. For the training image this is
        ``model.reals[n − 1]`` upsampled, as in ``sample(start_input="real")``.
    """
    sizes, last = model.sizes, model.num_scales - 1
    factor = model.schedule.scale_factor ** (last - (start_scale - 1))
    coarse = imresize(image.astype(np.float32), sizes[start_scale - 1], scale=factor)
    return imresize(coarse, sizes[start_scale]).astype(np.float32)


def inject(
    model,
    image: np.ndarray,
    start_scale: int,
    *,
    num_samples: int = 1,
    seed: int | None = None,
) -> np.ndarray:
    """Generates the scales from `start_scale` on, with `image` fed in as their coarse input.

    Args:
        model: the trained `SinGAN`.
        image: (H_n, W_n, 3) input of G_n at scale n = `start_scale` (e.g. from
            `injection_input`).
        start_scale: n, 1 <= n <= K − 1.
        num_samples: images to draw.
        seed: noise seed (same images under every backend).

    Returns:
        (num_samples, H, W, 3) float32 at the finest scale.

    Example:
        >>> x_in = injection_input(model, model.reals[-1], 1)  # doctest: +SKIP
        >>> inject(model, x_in, 1, num_samples=2, seed=0).shape  # doctest: +SKIP
        (2, 21, 24, 3)
    """
    start_scale = check_start_scale(model, start_scale, minimum=1)
    if tuple(image.shape[:2]) != tuple(model.sizes[start_scale]):
        raise InputError(
            f"the injected image must have scale {start_scale}'s size "
            f"{model.sizes[start_scale]}, got {image.shape[:2]}."
        )
    noise = PerImageNoise.from_seed(seed, num_samples)
    return run_batches(TrainedPyramid.of(model), noise, start_scale=start_scale, start_image=image)
