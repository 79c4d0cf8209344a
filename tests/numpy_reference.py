"""Plain-numpy restatements that tests use as expected values (float64, loops where clearer).

Written from the definitions (paper Fig. 5, the reference PyTorch code, MATLAB's `imresize`),
never by calling singan_keras: the networks' forward pass (`generator_forward`,
`critic_forward`) and MATLAB's bicubic resize (`matlab_resize_1d`, `matlab_resize`).
"""

import math

import numpy as np

LEAKY_SLOPE = 0.2  # reference: nn.LeakyReLU(0.2)
BN_EPSILON = 1e-5  # reference: nn.BatchNorm2d's default
PADDING = 5  # 5 valid 3x3 convolutions shrink by 10: the generator pads its input by 5
BLOCKS = ("head", "block1", "block2", "block3")


def network_weights(model, prefix):
    """{layer name: [numpy arrays]} of the conv/BatchNorm layers of G (prefix "g") or D ("d").

    Conv: [kernel (3, 3, in, out), bias]; BatchNorm: [γ, β, moving mean, moving variance].
    """
    names = [f"{prefix}_{b}_{kind}" for b in BLOCKS for kind in ("conv", "bn")]
    names.append(f"{prefix}_tail_conv")
    return {
        name: [np.asarray(w, np.float64) for w in model.get_layer(name).get_weights()]
        for name in names
    }


def conv3x3_valid(x, kernel, bias):
    """Cross-correlation without padding (PyTorch's and Keras' Conv2D), x (N, H, W, C)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel) + bias


def batch_norm(x, gamma, beta, moving_mean, moving_variance, training):
    """Training: the batch's mean and biased variance over (N, H, W); else the moving ones."""
    if training:
        mean, variance = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    else:
        mean, variance = moving_mean, moving_variance
    return (x - mean) / np.sqrt(variance + BN_EPSILON) * gamma + beta


def body(x, weights, prefix, training, batch_statistics=None):
    """The 4 [conv -> BatchNorm -> LeakyReLU(0.2)] blocks; appends (mean, var) per block."""
    for block in BLOCKS:
        x = conv3x3_valid(x, *weights[f"{prefix}_{block}_conv"])
        if batch_statistics is not None:
            batch_statistics.append((x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))))
        x = batch_norm(x, *weights[f"{prefix}_{block}_bn"], training=training)
        x = np.where(x >= 0, x, LEAKY_SLOPE * x)
    return x


def generator_forward(weights, scaled_noise, previous, training=False):
    """G(σz, prev) = prev + tanh(ψ(zero-pad₅(σz + prev))), NHWC float64 in and out."""
    x = np.asarray(scaled_noise, np.float64) + np.asarray(previous, np.float64)
    x = np.pad(x, ((0, 0), (PADDING, PADDING), (PADDING, PADDING), (0, 0)))
    x = body(x, weights, "g", training)
    return np.asarray(previous, np.float64) + np.tanh(conv3x3_valid(x, *weights["g_tail_conv"]))


def critic_forward(weights, image, training=False, batch_statistics=None):
    """D(x): the body and a 1-channel 3x3 convolution, no padding (10 px smaller)."""
    x = body(np.asarray(image, np.float64), weights, "d", training, batch_statistics)
    return conv3x3_valid(x, *weights["d_tail_conv"])


# -- MATLAB's bicubic imresize, one output pixel at a time ---------------------------------------


def keys_cubic(t):
    """Keys' cubic with a = -0.5, written from its piecewise definition."""
    a = -0.5
    t = abs(t)
    if t <= 1:
        return (a + 2) * t**3 - (a + 3) * t**2 + 1
    if t < 2:
        return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return 0.0


def mirror(index, n):
    """MATLAB 'symmetric' padding on 1-based indices: 0 -> 1, -1 -> 2, n + 1 -> n, ..."""
    while index < 1 or index > n:
        index = 1 - index if index < 1 else 2 * n + 1 - index
    return index


def matlab_resize_1d(signal, scale, out_len):
    """MATLAB `imresize(signal, scale)` (bicubic, antialiased when shrinking), `out_len` long."""
    n = len(signal)
    result = []
    for x in range(1, out_len + 1):
        u = x / scale + 0.5 * (1 - 1 / scale)  # input coordinate of output pixel x (1-based)
        stretch = min(scale, 1.0)  # antialiasing only when shrinking
        half_width = 2.0 / stretch
        first = math.floor(u - half_width)
        taps = range(first, first + math.ceil(2 * half_width) + 2)
        weights = [stretch * keys_cubic(stretch * (u - j)) for j in taps]
        total = sum(weights)
        value = sum(w * signal[mirror(j, n) - 1] for w, j in zip(weights, taps, strict=True))
        result.append(value / total)
    return np.array(result)


def matlab_resize(image, out_shape, scale=None):
    """An (H, W, C) image resized to `out_shape`, axis by axis, with the kernel placed for
    `scale` (both axes; MATLAB's ``imresize(x, scale)`` cropped to `out_shape`) or, when None,
    for out/in on each axis (MATLAB's ``imresize(x, out_shape)``)."""
    image = np.asarray(image, np.float64)
    (h, w), (out_h, out_w) = image.shape[:2], out_shape

    def along_rows(x, n_in, n_out):  # resizes axis 0 of (n_in, m, C)
        factor = n_out / n_in if scale is None else scale
        columns = [
            [matlab_resize_1d(x[:, j, c], factor, n_out) for c in range(x.shape[2])]
            for j in range(x.shape[1])
        ]
        return np.transpose(np.array(columns), (2, 0, 1))

    tall = along_rows(image, h, out_h)
    return np.transpose(along_rows(np.transpose(tall, (1, 0, 2)), w, out_w), (1, 0, 2))
