"""Coarse-to-fine generation through a trained pyramid (paper §2, Fig. 4; §4, Figs. 6 and 8).

    x~_0 = G_0(z_0)                                        (coarsest; z_0 one channel x3)
    x~_k = G_k(σ_k z_k, (x~_{k-1})↑r)                      (k = 1 .. K, scale 0 coarsest)

Noise is drawn with numpy from a seed, so the same seed gives the same samples under every
backend; each image has its own stream (``SeedSequence(seed).spawn``), so image i of a seed
does not depend on how many images are drawn or how they are batched.
Any output size follows from the size of the noise maps (the networks are fully
convolutional): ``height_scale``/``width_scale`` multiply every scale's size.

Generation can start at a finer scale s (Fig. 8). The coarser scales then give a fixed image:
``start_input="reconstruction"`` (default, the reference code) runs them on the
reconstruction noise (z* at the coarsest scale, zero above), ``start_input="real"`` (the
paper's description) uses the training image downsampled to scale s - 1 instead.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import keras
import numpy as np

from singan_keras.backends import no_gradients
from singan_keras.errors import InputError
from singan_keras.imresize import resize_images
from singan_keras.layout import data_format, to_internal, to_numpy_nhwc

__all__ = ["generate", "reconstruct", "scaled_sizes", "draw_noise", "without_gradients"]


def without_gradients(function):
    """Runs `function` with the backend's gradient recording off (`backends.no_gradients`).

    Eager torch records every network call whose weights are trainable, and each scale's input
    is the previous scale's output, so sampling a pyramid would keep every scale's activations
    alive until the result is dropped: gigabytes for a batch of large images. Sampling needs
    no gradients. (TensorFlow and JAX only record inside a tape or a `jax.grad`.)

    Example:
        >>> import keras
        >>> @without_gradients
        ... def total(x):
        ...     return keras.ops.sum(x)
        >>> float(total(keras.ops.ones((2, 3))))
        6.0
    """

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with no_gradients():
            return function(*args, **kwargs)

    return wrapper


def scaled_sizes(
    sizes: Sequence[tuple[int, int]], height_scale: float, width_scale: float
) -> list[tuple[int, int]]:
    """Every scale's size multiplied by (height_scale, width_scale), rounded, at least 1."""
    return [(max(1, round(h * height_scale)), max(1, round(w * width_scale))) for h, w in sizes]


def draw_noise(
    rng: np.random.Generator, num: int, size: tuple[int, int], single_channel: bool
) -> np.ndarray:
    """Standard normal noise (num, H, W, 3); one channel repeated 3 times at the coarsest."""
    if single_channel:
        return np.repeat(rng.standard_normal((num, *size, 1), dtype=np.float32), 3, axis=-1)
    return rng.standard_normal((num, *size, 3), dtype=np.float32)


def _draw_batch_noise(rngs, size, single_channel):
    return np.concatenate([draw_noise(rng, 1, size, single_channel) for rng in rngs], axis=0)


def _upsample(image, size):
    return resize_images(image, size, data_format())


@without_gradients
def reconstruct(
    generators: Sequence[keras.Model],
    noise_amplitudes: Sequence[float],
    sizes: Sequence[tuple[int, int]],
    z_star: np.ndarray,
) -> list[np.ndarray]:
    """The reconstruction path: z* at the coarsest scale, zero noise above (paper Eq. 5).

    Returns:
        One (H, W, 3) numpy image per scale of `generators`, coarsest first.
    """
    outputs = []
    image = None
    for k, generator in enumerate(generators):
        if k == 0:
            noise = to_internal(z_star[None] * noise_amplitudes[0])
            previous = keras.ops.zeros_like(noise)
        else:
            previous = _upsample(image, sizes[k])
            noise = keras.ops.zeros_like(previous)
        image = generator([noise, previous], training=False)
        outputs.append(to_numpy_nhwc(image)[0])
    return outputs


@without_gradients
def generate(
    generators: Sequence[keras.Model],
    noise_amplitudes: Sequence[float],
    sizes: Sequence[tuple[int, int]],
    *,
    num_samples: int = 1,
    start_scale: int = 0,
    height_scale: float = 1.0,
    width_scale: float = 1.0,
    seed: int | None = None,
    z_star: np.ndarray | None = None,
    reals: Sequence[np.ndarray] | None = None,
    start_input: str = "reconstruction",
    batch_size: int = 16,
) -> np.ndarray:
    """Random samples from a pyramid of generators.

    Args:
        generators: G of every scale, coarsest first.
        noise_amplitudes: σ of every scale (1 at the coarsest).
        sizes: training size of every scale.
        num_samples: number of images.
        start_scale: first scale that gets fresh noise (0 = everything random).
        height_scale: vertical size multiplier (reference ``scale_v``).
        width_scale: horizontal size multiplier (reference ``scale_h``).
        seed: numpy seed of the noise; None draws fresh entropy.
        z_star: reconstruction noise, needed when ``start_input="reconstruction"`` and
            ``start_scale > 0``.
        reals: training image per scale, needed when ``start_input="real"``.
        start_input: what feeds scale ``start_scale`` (see the module docstring).
        batch_size: how many images go through the networks at once.

    Returns:
        float32 numpy array (num_samples, H, W, 3) in about [-1, 1].
    """
    num_scales = len(generators)
    if not 0 <= start_scale < num_scales:
        raise InputError(f"start_scale must be in [0, {num_scales - 1}], got {start_scale}.")
    if start_input not in ("reconstruction", "real"):
        raise InputError(f"start_input must be 'reconstruction' or 'real', got {start_input!r}.")
    if num_samples < 1:
        raise InputError(f"num_samples must be >= 1, got {num_samples}.")
    if height_scale <= 0 or width_scale <= 0:
        raise InputError("height_scale and width_scale must be > 0.")
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(num_samples)]
    out_sizes = scaled_sizes(sizes, height_scale, width_scale)

    fixed_start = None  # the image that feeds scale `start_scale` when it is > 0
    if start_scale > 0:
        if start_input == "reconstruction":
            if z_star is None:
                raise ValueError("z_star is needed to start from the reconstruction.")
            coarse = reconstruct(generators[:start_scale], noise_amplitudes, sizes, z_star)[-1]
        else:
            if reals is None:
                raise ValueError("reals are needed to start from the real image.")
            coarse = reals[start_scale - 1]
        fixed_start = coarse

    batches = []
    for first in range(0, num_samples, batch_size):
        count = min(batch_size, num_samples - first)
        image = None
        if fixed_start is not None:
            image = to_internal(np.repeat(fixed_start[None], count, axis=0))
        for k in range(start_scale, num_scales):
            noise = _draw_batch_noise(rngs[first : first + count], out_sizes[k], k == 0)
            noise = to_internal(noise * noise_amplitudes[k])
            previous = (
                keras.ops.zeros_like(noise) if image is None else _upsample(image, out_sizes[k])
            )
            image = generators[k]([noise, previous], training=False)
        batches.append(to_numpy_nhwc(image))
    return np.concatenate(batches, axis=0)
