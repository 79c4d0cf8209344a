"""G_n and D_n: sizes, parameter counts, receptive field, residual form, Keras defaults."""

import keras
import numpy as np
import pytest
from numpy_reference import BLOCKS, critic_forward, generator_forward, network_weights

from singan_keras.layout import to_internal, to_numpy_nhwc
from singan_keras.models import PADDING, build_critic, build_generator, channels_at_scale


def trainable_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def expected_count(channels, out_channels):
    """Conv weights+biases and BatchNorm gamma/beta of the reference body, counted by hand."""
    head = 3 * 9 * channels + channels + 2 * channels
    body = 3 * (channels * 9 * channels + channels + 2 * channels)
    tail = channels * 9 * out_channels + out_channels
    return head + body + tail


@pytest.mark.parametrize("channels, reference", [(32, 29_763), (64, 114_819), (128, 450_819)])
def test_generator_parameter_counts_match_reference(channels, reference):
    assert trainable_count(build_generator(channels)) == reference == expected_count(channels, 3)


def test_critic_parameter_count():
    assert trainable_count(build_critic(32)) == expected_count(32, 1)


def test_channel_schedule():
    assert [channels_at_scale(k) for k in range(13)] == [32] * 4 + [64] * 4 + [128] * 5
    # balloons' 9-scale G pyramid has 1,029,147 parameters (reference count)
    total = sum(trainable_count(build_generator(channels_at_scale(k))) for k in range(9))
    assert total == 1_029_147


def test_keras_defaults_are_set_to_the_reference_values():
    g = build_generator(8)
    bns = [layer for layer in g.layers if isinstance(layer, keras.layers.BatchNormalization)]
    lrelus = [layer for layer in g.layers if isinstance(layer, keras.layers.LeakyReLU)]
    assert len(bns) == 4 and len(lrelus) == 4
    assert all(bn.momentum == 0.9 and bn.epsilon == 1e-5 for bn in bns)
    assert all(lr.negative_slope == pytest.approx(0.2) for lr in lrelus)
    convs = [layer for layer in g.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) == 5 and all(c.padding == "valid" for c in convs)


def test_initialisation_statistics():
    keras.utils.set_random_seed(0)
    g = build_generator(128)
    kernel = keras.ops.convert_to_numpy(g.get_layer("g_block1_conv").kernel)
    assert abs(kernel.std() - 0.02) < 0.001 and abs(kernel.mean()) < 0.001
    gamma = keras.ops.convert_to_numpy(g.get_layer("g_block1_bn").gamma)
    assert abs(gamma.mean() - 1) < 0.01 and 0.01 < gamma.std() < 0.03
    bias = keras.ops.convert_to_numpy(g.get_layer("g_block1_conv").bias)
    bound = 1 / np.sqrt(128 * 9)
    assert np.all(np.abs(bias) <= bound) and bias.std() > bound / 4


def _randomise(model, rng):
    """Weights far from the initialisation (kernels σ 0.3, BatchNorm γ, β and moving statistics
    away from 1/0), so that a misplaced term changes the output by far more than round-off."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel, bias = layer.get_weights()
            layer.set_weights([rng.normal(0, 0.3, kernel.shape), rng.normal(0, 0.2, bias.shape)])
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.get_weights()[0].shape
            layer.set_weights(
                [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.3, c), rng.normal(0, 0.5, c),
                 rng.uniform(0.5, 2.0, c)]
            )  # fmt: skip
    return model


def test_generator_and_critic_equal_a_numpy_restatement():
    """G and D, inference and training mode, against `numpy_reference` (float64, written from
    the reference's definitions): zero padding 5, conv 3x3, BatchNorm, LeakyReLU 0.2, tanh,
    residual. Tolerance 1e-4 on outputs of size ~1: float32 round-off through 5 layers."""
    rng = np.random.default_rng(0)
    g, d = _randomise(build_generator(8), rng), _randomise(build_critic(8), rng)
    noise = rng.normal(0, 0.5, (2, 17, 23, 3)).astype(np.float32)
    previous = rng.uniform(-1, 1, (2, 17, 23, 3)).astype(np.float32)
    g_weights, d_weights = network_weights(g, "g"), network_weights(d, "d")
    for training in (False, True):
        out = to_numpy_nhwc(g([to_internal(noise), to_internal(previous)], training=training))
        expected = generator_forward(g_weights, noise, previous, training)
        assert out.shape == (2, 17, 23, 3)
        np.testing.assert_allclose(out, expected, atol=1e-4)
        assert np.abs(out - previous).mean() > 0.1  # the residual is far above the tolerance
        score = to_numpy_nhwc(d(to_internal(previous), training=training))
        assert score.shape == (2, 7, 13, 1)  # 10 px smaller: 5 valid 3x3 convolutions
        np.testing.assert_allclose(score, critic_forward(d_weights, previous, training), atol=1e-4)
    # Inference mode uses the moving statistics, training mode the batch's: they differ here.
    assert np.abs(generator_forward(g_weights, noise, previous, False) - expected).max() > 0.1
    assert PADDING == 5


def test_batch_norm_moving_statistics_follow_momentum_0_9():
    """A training-mode call moves each BatchNorm's statistics by 10 % toward the batch's mean
    and biased variance (PyTorch's momentum 0.1, Keras' 0.9; the reference's ``.train()``)."""
    rng = np.random.default_rng(1)
    d = _randomise(build_critic(8), rng)
    before = network_weights(d, "d")
    image = rng.uniform(-1, 1, (2, 20, 21, 3)).astype(np.float32)
    batch_statistics = []
    critic_forward(before, image, training=True, batch_statistics=batch_statistics)
    d(to_internal(image), training=True)
    after = network_weights(d, "d")
    for block, (mean, variance) in zip(BLOCKS, batch_statistics, strict=True):
        _, _, old_mean, old_variance = before[f"d_{block}_bn"]
        _, _, new_mean, new_variance = after[f"d_{block}_bn"]
        np.testing.assert_allclose(new_mean, 0.9 * old_mean + 0.1 * mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(
            new_variance, 0.9 * old_variance + 0.1 * variance, rtol=1e-4, atol=1e-5
        )
        assert np.abs(new_mean - old_mean).max() > 1e-2  # the update is far above round-off


def test_generator_is_residual_with_tanh_bounded_correction():
    g = build_generator(8)
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(1, 16, 16, 3)).astype(np.float32) * 3
    previous = rng.uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    out = to_numpy_nhwc(g([to_internal(noise), to_internal(previous)], training=False))
    assert np.all(np.abs(out - previous) <= 1.0 + 1e-6)
    # ψ outputs 0 when its last convolution is zero: G is then exactly the identity on prev.
    tail = g.get_layer("g_tail_conv")
    tail.set_weights([np.zeros(w.shape, np.float32) for w in tail.get_weights()])
    out = to_numpy_nhwc(g([to_internal(noise), to_internal(previous)], training=False))
    np.testing.assert_array_equal(out, previous)


def _influence(model_fn, shape, pixel):
    """Pixels of the output that change when one input pixel changes (inference mode)."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(1, *shape, 3)).astype(np.float32)
    y0 = model_fn(x)
    x2 = x.copy()
    x2[0, pixel[0], pixel[1]] += 5.0
    return np.abs(model_fn(x2) - y0).max(axis=-1)[0] > 1e-6


def _positive_weights(model):
    """Kernels 1/fan_in and zero biases, so no path's influence is numerically negligible."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            kernel, bias = layer.get_weights()
            layer.set_weights([np.full_like(kernel, 1 / kernel.shape[2]), np.zeros_like(bias)])
    return model


def test_receptive_field_is_11x11():
    d = _positive_weights(build_critic(8))
    changed = _influence(
        lambda x: to_numpy_nhwc(d(to_internal(x), training=False)), (31, 31), (15, 15)
    )
    rows, cols = np.nonzero(changed)
    # D output (i, j) sees input [i, i + 10]: pixel 15 is seen by outputs 5..15 -> 11 of them.
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (5, 15, 5, 15)
    g = _positive_weights(build_generator(8))
    before_tanh = keras.Model(g.inputs, g.get_layer("g_tail_conv").output)  # tanh saturates
    zeros = np.zeros((1, 31, 31, 3), np.float32)

    def psi(x):
        return to_numpy_nhwc(before_tanh([to_internal(x), to_internal(zeros)], training=False))

    rows, cols = np.nonzero(_influence(psi, (31, 31), (15, 15)))
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (10, 20, 10, 20)
