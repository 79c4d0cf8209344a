"""Injecting an image into a trained pyramid at scale n and generating the finer scales.

This is the one sampler the applications share (paper §4): paint-to-image (Fig. 11),
editing (Fig. 12) and harmonization (Fig. 13) feed a user image in at a coarse scale n,
animation (Fig. 1) feeds chosen noise maps, super-resolution runs the finest generator on
growing images. Each of those lives in its own module and calls the functions here.

Index direction (as everywhere in singan_keras): scale 0 is the coarsest and scale K − 1 the
finest (the paper's n = N − k). From a start scale s the pyramid runs

    x~_s = G_s(σ_s z_s, x_in)                          x_in: the injected image at scale s
    x~_k = G_k(σ_k z_k, (x~_{k−1})↑r)                   k = s + 1 .. K − 1

with fresh noise z_k. The reference code prepares x_in from a full-size user image by
downscaling it to scale s − 1 and upsampling that to scale s (`injection_input`), so that it
has the blur of a coarse-scale output. Injecting the training image itself therefore gives
exactly `SinGAN.sample(start_scale=s, start_input="real")`.

Noise comes from numpy, one stream per image (``SeedSequence(seed).spawn``), drawn scale by
scale in the same order as `singan_keras.sampling.generate`, so results are the same under
every backend.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import keras
import numpy as np

from singan_keras.errors import InputError
from singan_keras.imresize import imresize, resize_images
from singan_keras.layout import data_format, to_internal, to_numpy_nhwc
from singan_keras.sampling import draw_noise, without_gradients

__all__ = [
    "allowed_sizes",
    "apply_generator",
    "check_start_scale",
    "fresh_noise",
    "inject",
    "injection_input",
    "load_user_image",
    "run_scales",
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


# -- the shared sampler ------------------------------------------------------------------------


@without_gradients
def apply_generator(generator: keras.Model, noise_amplitude: float, noise, previous) -> np.ndarray:
    """One generator step x~ = G(σ z, x_prev) on numpy NHWC arrays (any spatial size).

    Args:
        generator: a trained G_k.
        noise_amplitude: σ_k.
        noise: (N, H, W, 3) standard-normal noise z.
        previous: (N, H, W, 3) upsampled previous output; None at the coarsest scale (zeros).

    Returns:
        (N, H, W, 3) float32 numpy array.
    """
    noise = to_internal(np.asarray(noise, np.float32) * np.float32(noise_amplitude))
    previous = keras.ops.zeros_like(noise) if previous is None else to_internal(previous)
    return to_numpy_nhwc(generator([noise, previous], training=False))


def fresh_noise(
    sizes: Sequence[tuple[int, int]], start_scale: int, num_samples: int, seed: int | None
) -> list[np.ndarray]:
    """Standard-normal noise for scales ``start_scale ..`` of `sizes`, one stream per image.

    Image i's maps are drawn from ``SeedSequence(seed).spawn(num_samples)[i]`` scale after
    scale, exactly as `singan_keras.sampling.generate` draws them; the coarsest scale's map
    is one channel repeated three times (reference).

    Returns:
        A list with one (num_samples, H_k, W_k, 3) array per scale k >= start_scale.
    """
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(num_samples)]
    per_image = [
        [draw_noise(rng, 1, sizes[k], k == 0)[0] for k in range(start_scale, len(sizes))]
        for rng in rngs
    ]
    return [np.stack(maps) for maps in zip(*per_image, strict=True)]


def run_scales(
    model,
    start_scale: int,
    start_image: np.ndarray | None,
    noise: Sequence[np.ndarray],
    batch_size: int = 16,
) -> np.ndarray:
    """Runs G_s .. G_{K−1} from an injected image with the given noise maps.

    Args:
        model: the trained `SinGAN`.
        start_scale: s, the first scale to run.
        start_image: the input of G_s, (H_s, W_s, 3) (shared by all images) or
            (N, H_s, W_s, 3); None only when s = 0 (the coarsest has no image input).
        noise: standard-normal maps, one (N, H_k, W_k, 3) array per scale k >= s; their
            sizes set the output size.
        batch_size: images through the networks at once.

    Returns:
        (N, H, W, 3) float32 numpy array of the finest scale, about [-1, 1].
    """
    if start_image is None and start_scale != 0:
        raise ValueError("start_image is needed when start_scale > 0.")
    if len(noise) != model.num_scales - start_scale:
        raise ValueError(
            f"need one noise map per scale from {start_scale} to {model.num_scales - 1}; "
            f"got {len(noise)}."
        )
    count = noise[0].shape[0]
    outputs = []
    for first in range(0, count, batch_size):
        last = min(first + batch_size, count)
        image = None
        if start_image is not None:
            image = np.asarray(start_image, np.float32)
            if image.ndim == 3:
                image = np.repeat(image[None], last - first, axis=0)
            else:
                image = image[first:last]
        for offset, k in enumerate(range(start_scale, model.num_scales)):
            z = noise[offset][first:last]
            if image is not None and image.shape[1:3] != z.shape[1:3]:
                # x~_{k−1} ↑ r: the same MATLAB-bicubic map the sampler and training use
                resized = resize_images(to_internal(image), z.shape[1:3], data_format())
                image = to_numpy_nhwc(resized)
            image = apply_generator(model.generators[k], model.noise_amplitudes[k], z, image)
        outputs.append(image)
    return np.concatenate(outputs, axis=0)


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
    noise = fresh_noise(model.sizes, start_scale, num_samples, seed)
    return run_scales(model, start_scale, image, noise)
