"""The generator G_n and the critic D_n of one scale (paper §2, Fig. 5).

Both networks share the body of the reference: 5 convolutions 3x3 without padding, the first
four followed by BatchNorm and LeakyReLU(0.2). The generator's last convolution has 3 output
channels and a tanh; the critic's has 1 output channel (a Markovian patch critic with an
11x11 receptive field at every scale). The generator pads its *input* by 5 pixels once
(zeros; (kernel - 1) * layers / 2) instead of padding each convolution, so its output has the
size of its input, and it is residual over the upsampled coarser image:

    x~_n = (x~_{n+1})↑r + ψ_n(z_n + (x~_{n+1})↑r)            (paper Eq. 3)

where the noise map z_n given to the network is already multiplied by σ_n.

Every Keras default that differs from the reference (PyTorch) is set explicitly: LeakyReLU
slope 0.2 (Keras: 0.3), BatchNorm momentum 0.9 and epsilon 1e-5 (Keras: 0.99 / 1e-3; torch's
momentum 0.1 means the same average), conv kernels N(0, 0.02), BatchNorm gamma N(1, 0.02),
conv biases U(±1/sqrt(fan_in)) (torch's default).
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import keras
import numpy as np

from singan_keras.backends import NETWORK_CLASSES
from singan_keras.layout import channel_axis, data_format

__all__ = ["channels_at_scale", "build_generator", "build_critic", "NUM_LAYERS", "PADDING"]

NUM_LAYERS = 5
KERNEL_SIZE = 3
PADDING = (KERNEL_SIZE - 1) * NUM_LAYERS // 2  # 5: the generator's input padding
RECEPTIVE_FIELD = 1 + (KERNEL_SIZE - 1) * NUM_LAYERS  # 11


def channels_at_scale(scale: int, base: int = 32, maximum: int = 128, double_every: int = 4) -> int:
    """Channel count of both networks at `scale` (0 = coarsest): 32, doubled every 4, cap 128.

    Example:
        >>> [channels_at_scale(k) for k in (0, 3, 4, 8, 12)]
        [32, 32, 64, 128, 128]
    """
    return min(base * 2 ** (scale // double_every), maximum)


def _initializer_seeds(seed: int | None) -> Iterator[int | None]:
    """One seed per initialiser of a network, all derived from `seed`.

    Each initialiser gets its own integer seed (one seed shared by all would give every layer
    of a shape the same weights). Explicit seeds keep training repeatable without
    `keras.utils.set_random_seed`, which resets the user's global RNGs (and imports
    TensorFlow whenever it is installed). None: Keras' default, a fresh random seed each.
    """
    if seed is None:
        while True:
            yield None
    yield from (int(s) for s in np.random.SeedSequence(seed).generate_state(32))


def _conv(
    filters: int,
    in_channels: int,
    name: str,
    seeds: Iterator[int | None],
    differentiated_twice: bool = False,
) -> keras.layers.Conv2D:
    bound = 1.0 / math.sqrt(in_channels * KERNEL_SIZE * KERNEL_SIZE)
    # The critic's convolutions are differentiated twice by the gradient penalty; a backend
    # may compute those differently (`singan_keras.backends`, fast path 4).
    conv_class = NETWORK_CLASSES.critic_conv if differentiated_twice else NETWORK_CLASSES.conv
    return conv_class(
        filters,
        KERNEL_SIZE,
        padding="valid",
        data_format=data_format(),
        kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02, seed=next(seeds)),
        bias_initializer=keras.initializers.RandomUniform(-bound, bound, seed=next(seeds)),
        name=name,
    )


def _body(x, channels: int, prefix: str, seeds, differentiated_twice: bool = False):
    """The 4 [Conv 3x3 -> BatchNorm -> LeakyReLU(0.2)] blocks shared by G and D."""
    in_channels = 3
    for i in range(NUM_LAYERS - 1):
        block = "head" if i == 0 else f"block{i}"
        name = f"{prefix}_{block}_conv"
        x = _conv(channels, in_channels, name, seeds, differentiated_twice)(x)
        x = NETWORK_CLASSES.batch_norm(
            axis=channel_axis(),
            momentum=0.9,
            epsilon=1e-5,
            gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02, seed=next(seeds)),
            name=f"{prefix}_{block}_bn",
        )(x)
        x = keras.layers.LeakyReLU(negative_slope=0.2, name=f"{prefix}_{block}_lrelu")(x)
        in_channels = channels
    return x


def _image_input(name: str) -> keras.KerasTensor:
    shape = (3, None, None) if data_format() == "channels_first" else (None, None, 3)
    return keras.Input(shape=shape, name=name)


def build_generator(channels: int, name: str = "generator", seed: int | None = None) -> keras.Model:
    """Builds G_n: ``[scaled_noise, previous] -> previous + ψ(pad(scaled_noise + previous))``.

    Args:
        channels: width of every hidden layer (see `channels_at_scale`).
        name: model name.
        seed: seed of the initial weights (the same seed gives the same weights); None draws
            fresh ones.

    Returns:
        A functional `keras.Model` with two inputs of the same shape (``scaled_noise`` =
        σ_n·z_n and ``previous`` = the upsampled coarser output, zeros at the coarsest scale)
        and one output of that shape, in the backend's internal layout (`singan_keras.layout`).

    Example:
        >>> import numpy as np
        >>> g = build_generator(32)
        >>> sum(int(np.prod(w.shape)) for w in g.trainable_weights)
        29763
    """
    scaled_noise = _image_input("scaled_noise")
    previous = _image_input("previous")
    x = keras.layers.Add(name="noisy_input")([scaled_noise, previous])
    x = keras.layers.ZeroPadding2D(PADDING, data_format=data_format(), name="input_padding")(x)
    seeds = _initializer_seeds(seed)
    x = _body(x, channels, "g", seeds)
    x = _conv(3, channels, "g_tail_conv", seeds)(x)
    residual = keras.layers.Activation("tanh", name="g_tail_tanh")(x)
    output = keras.layers.Add(name="residual")([previous, residual])
    return NETWORK_CLASSES.model([scaled_noise, previous], output, name=name)


def build_critic(channels: int, name: str = "critic", seed: int | None = None) -> keras.Model:
    """Builds D_n: an image -> a 1-channel patch score map, 10 pixels smaller per axis.

    Args are those of `build_generator`.

    Example:
        >>> import numpy as np
        >>> d = build_critic(32)
        >>> sum(int(np.prod(w.shape)) for w in d.trainable_weights)
        29185
    """
    image = _image_input("image")
    seeds = _initializer_seeds(seed)
    x = _body(image, channels, "d", seeds, differentiated_twice=True)
    score = _conv(1, channels, "d_tail_conv", seeds, differentiated_twice=True)(x)
    return NETWORK_CLASSES.model(image, score, name=name)
