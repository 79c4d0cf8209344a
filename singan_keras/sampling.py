"""Coarse-to-fine generation through a trained pyramid (paper §2, Fig. 4; §4, Figs. 6 and 8).

    x~_s = G_s(σ_s z_s, (x_in)↑r)                       (x_in = 0 at the coarsest scale)
    x~_k = G_k(σ_k z_k, (x~_{k-1})↑r)                   (k = s + 1 .. K - 1, scale 0 coarsest)

Everything that generates runs this chain through one function, `run_pyramid`, on backend
tensors in the internal layout: random samples (`generate`, behind `SinGAN.sample`), the
reconstruction (`reconstruct`), every application (`singan_keras.applications`) and the
train step's images of the frozen coarser scales (`ScaleTrainer`). They differ only in

* the noise: a *noise source* ``noise(k, size)`` gives the standard-normal maps z_k of scale
  k, a numpy (N, H, W, 3) array or a backend tensor; `run_pyramid` scales them by σ_k;
* the start: scale s and the image x_in that feeds it (none at scale 0);
* the sizes: one (H, W) per scale (any size: the networks are fully convolutional).

The noise sources:

| source | noise | used by |
|---|---|---|
| `PerImageNoise` | numpy, one stream per image | `generate`, injection, super-resolution |
| `reconstruction_noise` | z* at the coarsest scale, zeros above (Eq. 5) | `reconstruct` |
| `NoiseMaps` | given maps | animation |
| `keras_noise` | `keras.random.normal`, one `SeedGenerator` | the train step |

Numpy noise makes the samples of a seed the same under every backend; with one stream per
image (``SeedSequence(seed).spawn``) image i does not depend on how many images are drawn
or how they are batched. The train step uses `keras_noise` instead: it runs inside a jitted
JAX function or a `tf.function`, where only tensors can be drawn.

Generation can start at a finer scale s (Fig. 8). The coarser scales then give a fixed image:
``start_input="reconstruction"`` (default, the reference code) runs them on the
reconstruction noise (z* at the coarsest scale, zero above), ``start_input="real"`` (the
paper's description) uses the training image downsampled to scale s - 1 instead.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np

from singan_keras.backends import no_gradients, run_as_one_program
from singan_keras.errors import InputError
from singan_keras.imresize import resize_images
from singan_keras.layout import channel_axis, data_format, to_internal, to_numpy_nhwc

__all__ = [
    "NoiseMaps",
    "PerImageNoise",
    "SampleOptions",
    "TrainedPyramid",
    "generate",
    "in_batches",
    "keras_noise",
    "keras_normal_maps",
    "numpy_normal_map",
    "reconstruct",
    "reconstruction_noise",
    "run_batches",
    "run_pyramid",
    "scaled_sizes",
    "upsample_bicubic",
    "without_gradients",
]

NoiseSource = Callable[[int, tuple[int, int]], Any]
"""``noise(k, size)``: standard-normal maps of scale k at ``size``, one per image of the
batch; numpy (N, H, W, 3) or a backend tensor in the internal layout."""

Upsample = Callable[[Any, tuple[int, int]], Any]
"""``upsample(images, size)``: an internal-layout batch resized to ``size`` (the ↑r)."""


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


# -- the runner --------------------------------------------------------------------------------


def upsample_bicubic(images, size: tuple[int, int]):
    """(x)↑r: the MATLAB-bicubic `resize_images` that training and sampling use between scales.

    Example:
        >>> to_numpy_nhwc(upsample_bicubic(to_internal(np.zeros((2, 4, 4, 3))), (6, 5))).shape
        (2, 6, 5, 3)
    """
    return resize_images(images, size, data_format())


def _scaled(noise, amplitude: float):
    """σ z in the internal layout. Numpy maps are scaled in float32 numpy before they move, so
    the seed's samples do not depend on how a backend multiplies."""
    if isinstance(noise, np.ndarray):
        return to_internal(noise * np.float32(amplitude))
    return noise * amplitude


def run_pyramid(
    generators: Sequence[keras.Model],
    noise_amplitudes: Sequence[float],
    noise: NoiseSource,
    sizes: Sequence[tuple[int, int]],
    *,
    start_scale: int = 0,
    start_image=None,
    upsample: Upsample = upsample_bicubic,
):
    """Runs G_s .. G_{K−1} coarse to fine: the one sampling loop (see the module docstring).

    With a tensor noise source (`keras_noise`) it touches no numpy, so it also runs inside a
    jitted JAX train step or a `tf.function`.

    Args:
        generators: G of every scale, coarsest first (K = len(generators)).
        noise_amplitudes: σ of every scale.
        noise: the noise source, called once per scale from `start_scale` up, in that order.
        sizes: (H, W) of every scale (at least K of them); the outputs' sizes.
        start_scale: s, the first scale to run.
        start_image: the input of G_s before upsampling, an internal-layout batch with the
            noise's batch size; None (zeros) only at s = 0.
        upsample: the ↑r between scales (`upsample_bicubic`); an image that already has the
            next scale's size is passed through unchanged by it.

    Returns:
        x~_{K−1}, a backend tensor in the internal layout.

    Example:
        >>> from singan_keras.models import build_generator
        >>> generators = [build_generator(4), build_generator(4)]
        >>> noise = PerImageNoise.from_seed(0, count=2)
        >>> image = run_pyramid(generators, [1.0, 0.1], noise, [(8, 9), (11, 12)])
        >>> to_numpy_nhwc(image).shape
        (2, 11, 12, 3)
    """
    if start_image is None and start_scale != 0:
        raise ValueError(f"start_image is needed to start at scale {start_scale} > 0.")
    image = start_image
    for k in range(start_scale, len(generators)):
        size = tuple(sizes[k])
        scaled_noise = _scaled(noise(k, size), noise_amplitudes[k])
        previous = keras.ops.zeros_like(scaled_noise) if image is None else upsample(image, size)
        image = generators[k]([scaled_noise, previous], training=False)
    return image


# -- noise sources -----------------------------------------------------------------------------


def numpy_normal_map(
    rng: np.random.Generator, size: tuple[int, int], single_channel: bool
) -> np.ndarray:
    """One image's standard-normal map (H, W, 3) from a numpy stream; with `single_channel`
    (the coarsest scale, as in the reference) one channel repeated 3 times.

    Example:
        >>> z = numpy_normal_map(np.random.default_rng(0), (2, 3), single_channel=True)
        >>> z.shape, bool(np.all(z[..., 0] == z[..., 2]))
        ((2, 3, 3), True)
    """
    if single_channel:
        return np.repeat(rng.standard_normal((*size, 1), dtype=np.float32), 3, axis=-1)
    return rng.standard_normal((*size, 3), dtype=np.float32)


class PerImageNoise:
    """Numpy noise source with one stream per image (the seed-reproducible samples).

    Each call draws the next map of every image's stream, so scale k's maps depend only on
    the seed, the image's index and the sizes of the scales drawn before.

    Args:
        streams: one numpy generator per image.
        single_channel_coarsest: scale 0 gets one channel repeated (the reference); False
            gives every call three channels (super-resolution's steps).

    Example:
        >>> noise = PerImageNoise.from_seed(0, count=3)
        >>> noise(0, (4, 5)).shape, noise.batch(1, 3).count
        ((3, 4, 5, 3), 2)
    """

    def __init__(
        self, streams: Sequence[np.random.Generator], single_channel_coarsest: bool = True
    ):
        self.streams = tuple(streams)
        self.single_channel_coarsest = single_channel_coarsest

    @classmethod
    def from_seed(
        cls, seed: int | None, count: int, single_channel_coarsest: bool = True
    ) -> PerImageNoise:
        """`count` independent streams ``SeedSequence(seed).spawn(count)``."""
        seeds = np.random.SeedSequence(seed).spawn(count)
        return cls([np.random.default_rng(s) for s in seeds], single_channel_coarsest)

    @property
    def count(self) -> int:
        return len(self.streams)

    def batch(self, first: int, last: int) -> PerImageNoise:
        """The source of images ``first .. last - 1`` (sharing their streams)."""
        return PerImageNoise(self.streams[first:last], self.single_channel_coarsest)

    def __call__(self, k: int, size: tuple[int, int]) -> np.ndarray:
        single_channel = self.single_channel_coarsest and k == 0
        return np.stack([numpy_normal_map(rng, size, single_channel) for rng in self.streams])


class NoiseMaps:
    """Noise source of given standard-normal maps, one (N, H_k, W_k, 3) array per scale k from
    `start_scale` up (e.g. animation's random walks).

    Example:
        >>> maps = NoiseMaps([np.zeros((2, 4, 5, 3)), np.ones((2, 6, 7, 3))], start_scale=1)
        >>> float(maps(2, (6, 7)).mean()), maps.count
        (1.0, 2)
    """

    def __init__(self, maps: Sequence[np.ndarray], start_scale: int):
        self.maps = [np.asarray(m, np.float32) for m in maps]
        self.start_scale = start_scale

    @property
    def count(self) -> int:
        return len(self.maps[0])

    def batch(self, first: int, last: int) -> NoiseMaps:
        return NoiseMaps([m[first:last] for m in self.maps], self.start_scale)

    def __call__(self, k: int, size: tuple[int, int]) -> np.ndarray:
        index = k - self.start_scale
        if not 0 <= index < len(self.maps):
            raise ValueError(
                f"no noise map for scale {k}: the maps cover scales {self.start_scale} .. "
                f"{self.start_scale + len(self.maps) - 1}."
            )
        z = self.maps[index]
        if tuple(z.shape[1:3]) != tuple(size):
            raise ValueError(f"the noise map of scale {k} is {z.shape[1:3]}, expected {size}.")
        return z


def reconstruction_noise(z_star: np.ndarray) -> NoiseSource:
    """The reconstruction's noise (paper Eq. 5): z* at the coarsest scale, zeros above; one
    image.

    Example:
        >>> noise = reconstruction_noise(np.ones((2, 2, 3), np.float32))
        >>> float(noise(0, (2, 2)).sum()), float(noise(1, (3, 3)).sum())
        (12.0, 0.0)
    """

    def noise(k: int, size: tuple[int, int]) -> np.ndarray:
        return z_star[None] if k == 0 else np.zeros((1, *size, 3), np.float32)

    return noise


def keras_normal_maps(seed_generator, count: int, size: tuple[int, int], single_channel: bool):
    """Standard-normal backend tensors (count, ..., 3) in the internal layout, drawn with
    `keras.random.normal` from a `keras.random.SeedGenerator` (works inside a jitted JAX
    function and a `tf.function`); one channel repeated 3 times with `single_channel`.

    Example:
        >>> z = keras_normal_maps(keras.random.SeedGenerator(0), 2, (4, 5), single_channel=False)
        >>> to_numpy_nhwc(z).shape
        (2, 4, 5, 3)
    """
    channels = 1 if single_channel else 3
    if data_format() == "channels_first":
        shape = (count, channels, *size)
    else:
        shape = (count, *size, channels)
    noise = keras.random.normal(shape, seed=seed_generator)
    if single_channel:
        noise = keras.ops.repeat(noise, 3, axis=channel_axis())
    return noise


def keras_noise(seed_generator, count: int) -> NoiseSource:
    """Noise source of `keras_normal_maps` for `count` images (one channel at scale 0): the
    train step's fresh images of the frozen coarser scales.

    Example:
        >>> noise = keras_noise(keras.random.SeedGenerator(0), count=2)
        >>> to_numpy_nhwc(noise(0, (4, 5))).shape
        (2, 4, 5, 3)
    """

    def noise(k: int, size: tuple[int, int]):
        return keras_normal_maps(seed_generator, count, size, single_channel=k == 0)

    return noise


# -- numpy in, numpy out -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class TrainedPyramid:
    """What generation needs of a trained model.

    Args:
        generators: G of every scale, coarsest first.
        noise_amplitudes: σ of every scale (1 at the coarsest).
        sizes: (H, W) of every scale (the training sizes, or the sizes to generate at).
        z_star: the reconstruction noise (H_0, W_0, 3), for starts from the reconstruction.
        reals: the training image per scale, for starts from the real image.
    """

    generators: Sequence[keras.Model]
    noise_amplitudes: Sequence[float]
    sizes: Sequence[tuple[int, int]]
    z_star: np.ndarray | None = None
    reals: Sequence[np.ndarray] | None = None

    @classmethod
    def of(cls, model) -> TrainedPyramid:
        """The pyramid of a `SinGAN`."""
        return cls(model.generators, model.noise_amplitudes, model.sizes, model.z_star, model.reals)


@without_gradients
def in_batches(count: int, batch_size: int, run_batch: Callable[[int, int], Any]) -> np.ndarray:
    """``run_batch(first, last)`` for consecutive batches of `count` images, as one float32
    numpy (count, H, W, 3) array; every network call runs without autograd.

    Example:
        >>> zeros = lambda first, last: to_internal(np.zeros((last - first, 1, 2, 3)))
        >>> in_batches(5, 2, zeros).shape
        (5, 1, 2, 3)
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
    batches = [
        to_numpy_nhwc(run_batch(first, min(first + batch_size, count)))
        for first in range(0, count, batch_size)
    ]
    return np.concatenate(batches, axis=0)


def run_batches(
    pyramid: TrainedPyramid,
    noise: PerImageNoise | NoiseMaps,
    *,
    start_scale: int = 0,
    start_image: np.ndarray | None = None,
    batch_size: int = 16,
    upsample: Upsample = upsample_bicubic,
) -> np.ndarray:
    """`run_pyramid` for ``noise.count`` images, `batch_size` at a time, on numpy arrays.

    Args:
        pyramid: the generators, noise amplitudes and the sizes to generate at.
        noise: the noise of every image (`PerImageNoise` or `NoiseMaps`).
        start_scale: s, the first scale to run.
        start_image: the input of G_s before upsampling, (H, W, 3), shared by every image;
            None only at s = 0.
        batch_size: images through the networks at once.
        upsample: the ↑r between scales.

    Returns:
        float32 numpy (count, H, W, 3) at the last scale.
    """

    def run_batch(first: int, last: int):
        image = None
        if start_image is not None:
            image = to_internal(np.repeat(np.asarray(start_image)[None], last - first, axis=0))
        return run_pyramid(
            pyramid.generators,
            pyramid.noise_amplitudes,
            noise.batch(first, last),
            pyramid.sizes,
            start_scale=start_scale,
            start_image=image,
            upsample=upsample,
        )

    return in_batches(noise.count, batch_size, run_batch)


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

    def every_scale(z_star, amplitudes):
        # Tensors only (z*, σ), so that a compiled run takes them as inputs (see below).
        def noise(k, size):
            return z_star if k == 0 else to_internal(np.zeros((1, *size, 3), np.float32))

        sigmas = [amplitudes[k] for k in range(len(generators))]
        images, image = [], None
        for k in range(len(generators)):  # one scale at a time, to keep every scale's image
            image = run_pyramid(
                generators[: k + 1], sigmas, noise, sizes, start_scale=k, start_image=image
            )
            images.append(image)
        return images

    # Each new scale brings new sizes: on JAX, eager calls would keep their programs for good.
    variables = [variable for generator in generators for variable in generator.variables]
    amplitudes = keras.ops.convert_to_tensor(np.asarray(noise_amplitudes, np.float32))
    images = run_as_one_program(every_scale, variables, to_internal(z_star), amplitudes)
    return [to_numpy_nhwc(image)[0] for image in images]


@dataclasses.dataclass(frozen=True)
class SampleOptions:
    """How to sample (see `generate`).

    Args:
        num_samples: number of images.
        start_scale: first scale that gets fresh noise (0 = everything random).
        height_scale: vertical size multiplier (reference ``scale_v``).
        width_scale: horizontal size multiplier (reference ``scale_h``).
        seed: numpy seed of the noise; None draws fresh entropy.
        start_input: what feeds scale ``start_scale`` > 0: ``"reconstruction"`` or ``"real"``
            (see the module docstring).
        batch_size: how many images go through the networks at once (no effect on them).
    """

    num_samples: int = 1
    start_scale: int = 0
    height_scale: float = 1.0
    width_scale: float = 1.0
    seed: int | None = None
    start_input: str = "reconstruction"
    batch_size: int = 16

    def __post_init__(self):
        if self.start_input not in ("reconstruction", "real"):
            raise InputError(
                f"start_input must be 'reconstruction' or 'real', got {self.start_input!r}."
            )
        if self.num_samples < 1:
            raise InputError(f"num_samples must be >= 1, got {self.num_samples}.")
        if self.height_scale <= 0 or self.width_scale <= 0:
            raise InputError("height_scale and width_scale must be > 0.")
        if self.batch_size < 1:
            raise InputError(f"batch_size must be >= 1, got {self.batch_size}.")


def _start_image(pyramid: TrainedPyramid, options: SampleOptions) -> np.ndarray | None:
    """The fixed image that feeds scale ``start_scale`` > 0, at scale ``start_scale`` − 1."""
    start_scale = options.start_scale
    if start_scale == 0:
        return None
    if options.start_input == "real":
        if pyramid.reals is None:
            raise ValueError("reals are needed to start from the real image.")
        return pyramid.reals[start_scale - 1]
    if pyramid.z_star is None:
        raise ValueError("z_star is needed to start from the reconstruction.")
    coarse = run_pyramid(
        pyramid.generators[:start_scale],
        pyramid.noise_amplitudes,
        reconstruction_noise(pyramid.z_star),
        pyramid.sizes,  # the training sizes: height/width_scale apply from start_scale on
    )
    return to_numpy_nhwc(coarse)[0]


@without_gradients
def generate(pyramid: TrainedPyramid, options: SampleOptions = SampleOptions()) -> np.ndarray:
    """Random samples from a pyramid of generators.

    Args:
        pyramid: the trained pyramid (``z_star`` or ``reals`` as `options` need).
        options: how many, from which scale, at what size, with which seed.

    Returns:
        float32 numpy array (num_samples, H, W, 3) in about [-1, 1].

    Example:
        >>> from singan_keras.models import build_generator
        >>> pyramid = TrainedPyramid([build_generator(4), build_generator(4)], [1.0, 0.1],
        ...                          [(8, 9), (11, 12)])
        >>> generate(pyramid, SampleOptions(num_samples=3, width_scale=2.0, seed=0)).shape
        (3, 11, 24, 3)
    """
    num_scales = len(pyramid.generators)
    if not 0 <= options.start_scale < num_scales:
        raise InputError(
            f"start_scale must be in [0, {num_scales - 1}], got {options.start_scale}."
        )
    sizes = scaled_sizes(pyramid.sizes, options.height_scale, options.width_scale)
    return run_batches(
        dataclasses.replace(pyramid, sizes=sizes),
        PerImageNoise.from_seed(options.seed, options.num_samples),
        start_scale=options.start_scale,
        start_image=_start_image(pyramid, options),
        batch_size=options.batch_size,
    )
