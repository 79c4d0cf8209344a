"""MATLAB-style bicubic resizing, as a precomputed linear map per axis.

SinGAN builds its image pyramid *and* upsamples every generated image between scales with its
own `imresize` (the authors' port of MATLAB's `imresize`), not with a framework resize. The
two are not interchangeable: `tf.image.resize`, `jax.image.resize` and torch's `interpolate`
use other cubic coefficients (a = -0.75 in torch), other border rules, and (torch, TF by
default) no antialiasing when shrinking. This module reproduces the MATLAB algorithm:

* cubic convolution kernel with a = -0.5 (Keys 1981), support 4 pixels;
* when shrinking by a factor s < 1 the kernel is stretched by 1/s (antialiasing), i.e.
  h_s(x) = s * h(s * x) with support 4/s;
* output pixel x (1-based) is centred on input coordinate u = x / s + (1 - 1/s) / 2;
* the taps of every output pixel are normalised to sum to 1;
* borders are symmetric: an index past an edge is mirrored with the edge pixel repeated
  (MATLAB's `[1:n, n:-1:1]` indexing);
* one axis at a time (the map is separable, so the order does not matter).

Because all of this is linear in the pixels, each axis is a fixed `(out, in)` matrix with the
mirrored borders folded in (`resize_matrix`). `imresize` applies the matrices with numpy;
`resize_images` applies the same float32 matrices to a Keras tensor with `keras.ops.einsum`, so
it runs inside jitted train steps on every backend and is differentiable.

Named deviation: the reference converts every call's result to uint8 and back (truncating to
integers). That is a quirk of its implementation, not of the method; this module stays in
floating point.

Reference:
    Shaham, Dekel, Michaeli, "SinGAN: Learning a Generative Model from a Single Natural
    Image", ICCV 2019 (official code: `SinGAN/imresize.py`); MATLAB `imresize` (bicubic).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

__all__ = ["cubic_kernel", "imresize", "resize_images", "resize_matrix"]

_KERNEL_WIDTH = 4.0  # support of the cubic kernel, in input pixels


def cubic_kernel(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (MATLAB's `cubic`).

    Args:
        x: Distances from the sample centre, in (unstretched) pixels.

    Returns:
        Kernel weights, same shape as `x`, zero for |x| > 2.

    Example:
        >>> cubic_kernel(np.array([0.0, 0.5, 1.0, 1.5])).tolist()
        [1.0, 0.5625, 0.0, -0.0625]
    """
    ax = np.abs(np.asarray(x, dtype=np.float64))
    ax2, ax3 = ax * ax, ax * ax * ax
    near = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1.0)  # |x| <= 1
    far = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1.0) & (ax <= 2.0))  # 1 < |x| <= 2
    return near + far


def _check_size(value: int, what: str) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}.")
    return int(value)


def _check_scale(value: float, what: str = "scale") -> float:
    value = float(value)
    if not math.isfinite(value) or value <= 0.0:
        raise ValueError(f"{what} must be a finite number > 0, got {value!r}.")
    return value


@functools.lru_cache(maxsize=256)
def _cached_matrix(in_size: int, out_size: int, scale: float) -> np.ndarray:
    # Kernel stretched by 1/scale when shrinking (antialiasing), plain when enlarging.
    if scale < 1.0:
        width = _KERNEL_WIDTH / scale

        def kernel(d):
            return scale * cubic_kernel(scale * d)
    else:
        width = _KERNEL_WIDTH
        kernel = cubic_kernel

    # Output pixel x (1-based) sits at input coordinate u (1-based), MATLAB's mapping.
    x = np.arange(1, out_size + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - width / 2.0)
    taps = int(math.ceil(width)) + 2
    indices = left[:, None] + np.arange(taps)[None, :]  # 1-based input indices, (out, taps)
    weights = kernel(u[:, None] - indices)
    weights /= weights.sum(axis=1, keepdims=True)

    # Symmetric border: 0-based index j maps into [0, n) through the period-2n mirror.
    period = 2 * in_size
    j = np.mod(indices.astype(np.int64) - 1, period)
    j = np.where(j < in_size, j, period - 1 - j)

    # Fold the taps into a dense matrix. Mirrored taps of one row can land on the same input
    # pixel, so accumulate one tap column at a time (no repeated index within a column).
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    rows = np.arange(out_size)
    for tap in range(taps):
        matrix[rows, j[:, tap]] += weights[:, tap]
    return matrix  # never modified: resize_matrix hands out copies


def resize_matrix(in_size: int, out_size: int, scale: float | None = None) -> np.ndarray:
    """The `(out_size, in_size)` matrix of a 1-D MATLAB-bicubic resize.

    `resize_matrix(n, m) @ signal` resizes a length-`n` signal to length `m`. Mirrored borders
    are folded into the matrix, so every row sums to 1.

    Args:
        in_size: Input length (> 0).
        out_size: Output length (> 0).
        scale: Resize factor that places and widens the kernel, as in MATLAB's
            `imresize(x, scale)`, whose output length is `ceil(in_size * scale)`. Defaults to
            `out_size / in_size`. With an explicit `scale` and a smaller `out_size`, the rows
            are those of the full resize, cropped (what the SinGAN reference does when it
            upsamples by 1/r and crops to the next scale's size).

    Returns:
        A float64 array of shape `(out_size, in_size)` (a fresh copy of a cached matrix).

    Raises:
        ValueError: If a size is not a positive integer or `scale` is not positive.

    Example:
        >>> m = resize_matrix(4, 8)
        >>> m.shape, bool(np.allclose(m.sum(axis=1), 1.0))
        ((8, 4), True)
    """
    in_size = _check_size(in_size, "in_size")
    out_size = _check_size(out_size, "out_size")
    scale = out_size / in_size if scale is None else _check_scale(scale)
    # A copy rather than a read-only view: torch.compile traces numpy code and rejects setflags.
    return _cached_matrix(in_size, out_size, scale).copy()


def _scale_pair(scale: float | Sequence[float] | None) -> tuple[float, float] | None:
    if scale is None:
        return None
    if isinstance(scale, (int, float, np.number)):
        value = _check_scale(scale)
        return value, value
    values = tuple(scale)
    if len(values) != 2:
        raise ValueError(f"scale must be a number or a (height, width) pair, got {scale!r}.")
    return _check_scale(values[0], "scale[0]"), _check_scale(values[1], "scale[1]")


def _plan(
    in_shape: tuple[int, int],
    output_shape: Sequence[int] | None,
    scale: float | Sequence[float] | None,
) -> tuple[tuple[int, int], tuple[float | None, float | None]]:
    """Output size and per-axis kernel scale from the user's arguments."""
    scales = _scale_pair(scale)
    if output_shape is None:
        if scales is None:
            raise ValueError("Pass output_shape=(height, width), scale=factor, or both.")
        # MATLAB and the reference: output length ceil(in * scale), in plain float arithmetic
        # (so 30 * 0.1 = 3.0000000000000004 gives 4, exactly as they do).
        out = tuple(max(1, math.ceil(n * s)) for n, s in zip(in_shape, scales, strict=True))
        return out, scales
    output_shape = tuple(output_shape)
    if len(output_shape) != 2:
        raise ValueError(f"output_shape must be (height, width), got {output_shape!r}.")
    out = (
        _check_size(output_shape[0], "output_shape[0]"),
        _check_size(output_shape[1], "output_shape[1]"),
    )
    return out, (scales if scales is not None else (None, None))


def imresize(
    image: np.ndarray,
    output_shape: tuple[int, int] | None = None,
    scale: float | tuple[float, float] | None = None,
) -> np.ndarray:
    """Resize an image (or a batch) with MATLAB's antialiased bicubic `imresize`.

    Args:
        image: Float array of shape `(H, W)`, `(H, W, C)` or `(N, H, W, C)`.
        output_shape: `(height, width)` of the result.
        scale: Resize factor (one number, or a `(height, width)` pair). With `scale` alone the
            output is `ceil(size * scale)` per axis (MATLAB). With both, `scale` places and
            widens the kernel and `output_shape` sets the size.

    Returns:
        The resized array, same layout as `image`; float32 for float32 input, float64
        otherwise.

    Raises:
        ValueError: If `image` has the wrong rank or an empty axis, neither `output_shape` nor
            `scale` is given, or a size or scale is not positive.

    Example:
        >>> x = np.linspace(-1.0, 1.0, 64, dtype=np.float32).reshape(8, 8)
        >>> imresize(x, scale=0.5).shape
        (4, 4)
        >>> imresize(x, output_shape=(12, 10)).dtype
        dtype('float32')
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3, 4):
        raise ValueError(
            "image must have shape (H, W), (H, W, C) or (N, H, W, C); "
            f"got an array with shape {image.shape}."
        )
    height_axis = 1 if image.ndim == 4 else 0
    in_shape = (image.shape[height_axis], image.shape[height_axis + 1])
    if min(in_shape) < 1:
        raise ValueError(f"image has an empty spatial axis: shape {image.shape}.")
    out_shape, scales = _plan(in_shape, output_shape, scale)

    out_dtype = np.float32 if image.dtype == np.float32 else np.float64
    result = image.astype(np.float64, copy=False)
    for axis_offset in (0, 1):
        n_in, n_out = in_shape[axis_offset], out_shape[axis_offset]
        s = scales[axis_offset]
        if n_in == n_out and (s is None or s == 1.0):
            continue  # identity
        matrix = resize_matrix(n_in, n_out, s)
        axis = height_axis + axis_offset
        # Contract the matrix's input index with `axis`, then move the new axis back in place.
        result = np.moveaxis(np.tensordot(matrix, result, axes=([1], [axis])), 0, axis)
    return result.astype(out_dtype, copy=False)


def resize_images(
    images,
    output_shape: tuple[int, int],
    data_format: str = "channels_last",
    scale: float | tuple[float, float] | None = None,
):
    """Resize a batch of Keras tensors with the same map as `imresize`, using `keras.ops`.

    The per-axis matrices are computed in numpy from the static input shape and enter the
    graph as float32 constants, so this works inside jitted or traced functions on
    TensorFlow, JAX and PyTorch, and gradients flow through it (it is linear). Under
    `torch.compile`, dynamo traces the numpy matrix construction too: it works, but adds
    ~10 s to the first compile and is not `fullgraph=True`-clean.

    Args:
        images: Tensor of shape `(N, H, W, C)` (`channels_last`) or `(N, C, H, W)`
            (`channels_first`); `H` and `W` must be known statically.
        output_shape: `(height, width)` of the result.
        data_format: `"channels_last"` or `"channels_first"`.
        scale: Optional kernel scale, as in `imresize` (defaults to output / input size).

    Returns:
        A tensor of the same layout with the new spatial size and the dtype of `images`.

    Raises:
        ValueError: For a bad `data_format`, rank, unknown spatial size or bad size/scale.

    Example:
        >>> import keras
        >>> x = keras.ops.ones((2, 8, 8, 3))
        >>> tuple(resize_images(x, (12, 10)).shape)
        (2, 12, 10, 3)
    """
    from keras import ops  # local: the numpy part of this module must not need keras

    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}."
        )
    shape = tuple(images.shape)
    if len(shape) != 4:
        layout = "(N, H, W, C)" if data_format == "channels_last" else "(N, C, H, W)"
        raise ValueError(f"images must be a 4-D batch {layout} for {data_format}; got {shape}.")
    in_shape = shape[1:3] if data_format == "channels_last" else shape[2:4]
    if any(n is None for n in in_shape):
        raise ValueError(
            f"resize_images needs a static height and width, got shape {shape}. "
            "Build the model or trace the function with known spatial sizes."
        )
    in_shape = (int(in_shape[0]), int(in_shape[1]))
    out_shape, scales = _plan(in_shape, output_shape, scale)

    dtype = images.dtype
    equations = {
        "channels_last": ("oh,nhwc->nowc", "pw,nhwc->nhpc"),
        "channels_first": ("oh,nchw->ncow", "pw,nchw->nchp"),
    }[data_format]
    result = images
    for axis_offset in (0, 1):
        n_in, n_out = in_shape[axis_offset], out_shape[axis_offset]
        s = scales[axis_offset]
        if n_in == n_out and (s is None or s == 1.0):
            continue
        matrix = ops.convert_to_tensor(resize_matrix(n_in, n_out, s).astype(np.float32))
        matrix = ops.cast(matrix, dtype)
        result = ops.einsum(equations[axis_offset], matrix, result)
    return result
