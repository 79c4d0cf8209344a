"""Tests for singan_keras.imresize against values computed independently of it.

Three independent sources: a loop-by-loop re-statement of MATLAB's bicubic `imresize` for 1-D
signals, Pillow's float ("F" mode) BICUBIC resize (same a = -0.5 kernel and antialiasing, but
clamped instead of mirrored borders, so only interior pixels are compared), and closed-form
properties of the kernel.
"""

import math

import keras
import numpy as np
import pytest
from numpy_reference import matlab_resize_1d
from PIL import Image

from singan_keras.imresize import cubic_kernel, imresize, resize_images, resize_matrix

# An independent 1-D MATLAB bicubic resize, one output pixel at a time: see numpy_reference.

CASES_1D = [
    (10, 20, None),  # x2 up
    (20, 10, None),  # x0.5 down
    (13, 7, None),  # odd ratio down
    (7, 19, None),  # odd ratio up
    (3, 10, None),  # tiny input: taps wrap around the mirror more than once
    (5, 1, None),  # down to one pixel
    (2, 1, None),
    (10, 8, 0.75),  # MATLAB imresize(x, 0.75): size ceil(7.5) = 8, kernel placed with 0.75
    (25, 33, 1 / 0.7781),  # a SinGAN between-scale upsampling factor
    (34, 44, 1 / 0.7781),
    (40, 31, 0.7781),
]


@pytest.mark.parametrize(("n_in", "n_out", "scale"), CASES_1D)
def test_matrix_matches_loop_restatement(n_in, n_out, scale):
    signal = np.random.default_rng(n_in * 100 + n_out).normal(size=n_in)
    expected = matlab_resize_1d(signal, n_out / n_in if scale is None else scale, n_out)
    np.testing.assert_allclose(resize_matrix(n_in, n_out, scale) @ signal, expected, atol=1e-12)


def test_known_values_of_the_kernel():
    # 1.5|x|^3 - 2.5|x|^2 + 1 at 0.5 is 0.5625; -0.5|x|^3 + 2.5|x|^2 - 4|x| + 2 at 1.5 is -0.0625
    values = cubic_kernel(np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, -0.5]))
    np.testing.assert_allclose(values, [1.0, 0.5625, 0.0, -0.0625, 0.0, 0.0, 0.5625])


def test_explicit_scale_crops_the_full_resize():
    # The reference upsamples by 1/r (size ceil(n / r)) and crops; an explicit scale with a
    # smaller output size must give the same rows.
    full = resize_matrix(25, math.ceil(25 / 0.78), 1 / 0.78)
    cropped = resize_matrix(25, 31, 1 / 0.78)
    np.testing.assert_array_equal(cropped, full[:31])


def test_matrix_cache_cannot_be_corrupted_by_callers():
    first = resize_matrix(16, 9)
    expected = first.copy()
    first[0, 0] = 3.0
    np.testing.assert_array_equal(resize_matrix(16, 9), expected)


# ----------------------------------------------------------------------------------------------
# Pillow's float BICUBIC resize: same kernel, but borders clamp instead of mirror.


def _interior(n_in, n_out):
    """Output indices whose kernel support stays inside the input (0-based coordinates)."""
    scale = n_out / n_in
    half_width = 2.0 / min(scale, 1.0)
    centres = (np.arange(n_out) + 0.5) / scale - 0.5
    return np.flatnonzero((centres - half_width >= 0) & (centres + half_width <= n_in - 1))


@pytest.mark.parametrize(
    "out_shape",
    [(74, 106), (101, 97), (19, 26), (28, 40), (37, 20)],
    ids=["up2", "up-odd", "down0.5", "down0.75", "mixed"],
)
def test_interior_matches_pillow_float_bicubic(out_shape):
    rng = np.random.default_rng(0)
    image = rng.uniform(-1.0, 1.0, size=(37, 53)).astype(np.float32)
    pillow = Image.fromarray(image).resize(out_shape[::-1], Image.Resampling.BICUBIC)
    expected = np.asarray(pillow, dtype=np.float32)
    ours = imresize(image, output_shape=out_shape)
    rows, cols = _interior(37, out_shape[0]), _interior(53, out_shape[1])
    assert len(rows) > 3 and len(cols) > 3
    np.testing.assert_allclose(ours[np.ix_(rows, cols)], expected[np.ix_(rows, cols)], atol=1e-5)


def test_borders_differ_from_pillow_because_it_clamps():
    # Documents *why* only interiors are compared: a ramp is mirrored at the edge by MATLAB
    # (symmetric) but clamped by Pillow (support truncated and renormalised).
    ramp = np.tile(np.arange(20, dtype=np.float32), (4, 1))
    pillow = np.asarray(Image.fromarray(ramp).resize((10, 4), Image.Resampling.BICUBIC))
    ours = imresize(ramp, output_shape=(4, 10))
    assert abs(ours[0, 0] - pillow[0, 0]) > 1e-3


# ----------------------------------------------------------------------------------------------
# Closed-form properties.


@pytest.mark.parametrize(("n_in", "n_out"), [(10, 20), (20, 10), (7, 3), (3, 7), (250, 195)])
def test_rows_sum_to_one(n_in, n_out):
    np.testing.assert_allclose(resize_matrix(n_in, n_out).sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("out_shape", [(5, 7), (40, 60), (16, 9)])
def test_constant_image_stays_constant(out_shape):
    image = np.full((16, 24, 3), 0.37, dtype=np.float32)
    np.testing.assert_allclose(imresize(image, output_shape=out_shape), 0.37, atol=1e-6)


def test_linear_ramp_is_preserved_in_the_interior_when_upscaling():
    # The a = -0.5 cubic reproduces polynomials up to degree 2 exactly, so a ramp sampled at
    # the mapped coordinate u is returned unchanged wherever no tap is mirrored.
    n_in, n_out = 20, 47
    ramp = 3.0 * np.arange(1, n_in + 1) - 2.0  # value at 1-based coordinate j: 3j - 2
    out = resize_matrix(n_in, n_out) @ ramp
    scale = n_out / n_in
    u = np.arange(1, n_out + 1) / scale + 0.5 * (1 - 1 / scale)
    inside = (u - 2 >= 1) & (u + 2 <= n_in)
    np.testing.assert_allclose(out[inside], 3.0 * u[inside] - 2.0, atol=1e-10)


def test_same_size_is_identity():
    np.testing.assert_array_equal(resize_matrix(9, 9), np.eye(9))
    image = np.random.default_rng(1).normal(size=(9, 11, 3)).astype(np.float32)
    np.testing.assert_array_equal(imresize(image, output_shape=(9, 11)), image)
    np.testing.assert_array_equal(imresize(image, scale=1.0), image)


# ----------------------------------------------------------------------------------------------
# The numpy API.


def test_scale_gives_matlab_output_size():
    image = np.zeros((186, 248), dtype=np.float32)
    assert imresize(image, scale=0.75).shape == (140, 186)  # ceil(139.5), ceil(186)
    assert imresize(image, scale=(0.5, 0.25)).shape == (93, 62)


def test_layouts_and_dtypes():
    rng = np.random.default_rng(2)
    batch = rng.normal(size=(2, 12, 10, 3)).astype(np.float32)
    out = imresize(batch, output_shape=(7, 15))
    assert out.shape == (2, 7, 15, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out[1], imresize(batch[1], output_shape=(7, 15)), atol=1e-6)
    np.testing.assert_allclose(
        out[0, ..., 2], imresize(batch[0, ..., 2], output_shape=(7, 15)), atol=1e-6
    )
    assert imresize(batch[0].astype(np.float64), scale=2.0).dtype == np.float64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "output_shape"),
        ({"scale": 0.0}, "scale"),
        ({"scale": -1.0}, "scale"),
        ({"scale": float("nan")}, "scale"),
        ({"output_shape": (0, 5)}, "output_shape"),
        ({"output_shape": (5,)}, "output_shape"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        imresize(np.zeros((8, 8)), **kwargs)


def test_bad_rank_and_sizes():
    with pytest.raises(ValueError, match="shape"):
        imresize(np.zeros(8), output_shape=(4, 4))
    with pytest.raises(ValueError, match="in_size"):
        resize_matrix(0, 4)
    with pytest.raises(ValueError, match="out_size"):
        resize_matrix(4, -2)


# ----------------------------------------------------------------------------------------------
# The keras.ops version on the active backend.


def _random_batch(data_format, seed=3):
    x = np.random.default_rng(seed).normal(size=(2, 13, 17, 3)).astype(np.float32)
    return x if data_format == "channels_last" else np.transpose(x, (0, 3, 1, 2))


def _to_channels_last(x, data_format):
    x = keras.ops.convert_to_numpy(x)
    return x if data_format == "channels_last" else np.transpose(x, (0, 2, 3, 1))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("out_shape", [(26, 34), (10, 12), (13, 30)])
def test_resize_images_equals_numpy(data_format, out_shape):
    x = _random_batch(data_format)
    out = resize_images(keras.ops.convert_to_tensor(x), out_shape, data_format=data_format)
    expected = imresize(_to_channels_last(x, data_format), output_shape=out_shape)
    np.testing.assert_allclose(_to_channels_last(out, data_format), expected, atol=1e-5)


def test_resize_images_with_scale_equals_numpy():
    x = _random_batch("channels_last")
    out = resize_images(keras.ops.convert_to_tensor(x), (16, 21), scale=1 / 0.78)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out), imresize(x, (16, 21), scale=1 / 0.78), atol=1e-5
    )


def _compiled(fn):
    """`fn` under the active backend's tracing compiler."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.jit(fn)
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(fn, jit_compile=True)
    if backend == "torch":
        import torch

        # torch.compile also works (checked by hand) but tracing numpy through dynamo takes
        # ~15 s; torch.jit.trace checks the same property, a static graph, in well under 1 s.
        return lambda x: torch.jit.trace(fn, (x,))(x)
    pytest.skip(f"no compiler for backend {backend}")


@pytest.mark.filterwarnings(
    "ignore:`torch.jit.trace` is deprecated",
    "ignore:Converting a tensor to a Python integer",
    "ignore:torch.as_tensor results are registered as constants",
)
def test_resize_images_inside_compiled_function():
    x = _random_batch("channels_last")
    compiled = _compiled(lambda images: resize_images(images, (20, 9)) * 2.0)
    out = compiled(keras.ops.convert_to_tensor(x))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(out), 2.0 * imresize(x, (20, 9)), atol=1e-5
    )


def _gradient(fn, x):
    """d fn(x) / dx on the active backend, as numpy."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(x))
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            value = fn(x)
        return tape.gradient(value, x).numpy()
    if backend == "torch":
        x = x.detach().clone().requires_grad_(True)
        fn(x).backward()
        return x.grad.detach().cpu().numpy()
    pytest.skip(f"no gradient for backend {backend}")


def test_resize_images_gradient_is_the_adjoint():
    # For f(x) = sum(w * R(x)) with R linear, df/dx = R^T w: per image M_h^T w M_w.
    x = _random_batch("channels_last")
    w = np.random.default_rng(4).normal(size=(2, 8, 23, 3)).astype(np.float32)
    weights = keras.ops.convert_to_tensor(w)
    grad = _gradient(
        lambda images: keras.ops.sum(resize_images(images, (8, 23)) * weights),
        keras.ops.convert_to_tensor(x),
    )
    m_h, m_w = resize_matrix(13, 8), resize_matrix(17, 23)
    expected = np.einsum("oh,nopc,pw->nhwc", m_h, w.astype(np.float64), m_w)
    np.testing.assert_allclose(grad, expected, atol=1e-5)


def test_resize_images_is_linear():
    a, b = _random_batch("channels_last", 5), _random_batch("channels_last", 6)

    def resize(v):
        return keras.ops.convert_to_numpy(resize_images(keras.ops.convert_to_tensor(v), (9, 31)))

    np.testing.assert_allclose(
        resize(0.3 * a - 2.0 * b), 0.3 * resize(a) - 2.0 * resize(b), atol=1e-5
    )


def test_resize_images_bad_arguments():
    x = keras.ops.zeros((1, 8, 8, 3))
    with pytest.raises(ValueError, match="data_format"):
        resize_images(x, (4, 4), data_format="NHWC")
    with pytest.raises(ValueError, match="4-D"):
        resize_images(keras.ops.zeros((8, 8, 3)), (4, 4))
