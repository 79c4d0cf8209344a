"""The coarse-to-fine runner (`singan_keras.sampling.run_pyramid`) and what is built on it.

Every expected value here is computed another way: generator calls written out scale by
scale, noise drawn straight from numpy or `keras.random`, upsampling with the numpy
`imresize` (float64 inside, hence the small tolerances against the float32 tensor resize).
"""

import keras
import numpy as np
import pytest
from conftest import smooth_image, tiny_config

from singan_keras import SinGAN
from singan_keras.imresize import imresize
from singan_keras.layout import data_format, to_internal, to_numpy_nhwc
from singan_keras.models import build_generator
from singan_keras.sampling import (
    NoiseMaps,
    PerImageNoise,
    SampleOptions,
    TrainedPyramid,
    generate,
    keras_noise,
    reconstruct,
    run_pyramid,
)

SIZES = [(8, 9), (11, 12), (14, 16)]
AMPLITUDES = [1.0, 0.3, 0.2]


def _noise_sensitive(generator, rng):
    """Conv kernels of σ 0.3 (the initialiser's 0.02, or one training iteration, leave the
    output almost independent of the noise, so a wrong noise map would go unnoticed)."""
    weights = generator.get_weights()
    generator.set_weights([rng.normal(0, 0.3, w.shape) if w.ndim == 4 else w for w in weights])
    return generator


@pytest.fixture(scope="module")
def model():
    """A tiny trained model (1 iteration per scale) with noise-sensitive generators."""
    model = SinGAN.train(smooth_image(), tiny_config(iterations=1), verbose=0)
    rng = np.random.default_rng(0)
    for generator in model.generators:
        _noise_sensitive(generator, rng)
    return model


@pytest.fixture(scope="module")
def generators():
    rng = np.random.default_rng(1)
    return [_noise_sensitive(build_generator(4, name=f"g{k}"), rng) for k in range(len(SIZES))]


def _apply(generator, scaled_noise, previous):
    """One generator call on numpy NHWC arrays."""
    return to_numpy_nhwc(generator([to_internal(scaled_noise), to_internal(previous)]))


def test_sample_from_the_real_image_is_the_finer_generators_run_by_hand(model):
    num_samples, seed = 3, 5
    for start in range(1, model.num_scales):
        ours = model.sample(num_samples, start_scale=start, seed=seed, start_input="real")
        streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(3)]
        for i, stream in enumerate(streams):
            image = model.reals[start - 1][None]
            for k in range(start, model.num_scales):  # scales above 0: 3-channel noise
                z = stream.standard_normal((1, *model.sizes[k], 3), dtype=np.float32)
                upsampled = imresize(image, model.sizes[k])
                image = _apply(model.generators[k], z * model.noise_amplitudes[k], upsampled)
            np.testing.assert_allclose(ours[i], image[0], atol=1e-4)
        assert np.abs(ours[0] - ours[1]).mean() > 1e-2  # the noise matters far above 1e-4


def test_reconstruction_is_z_star_then_zero_noise_by_hand(model):
    ours = reconstruct(model.generators, model.noise_amplitudes, model.sizes, model.z_star)
    image = _apply(model.generators[0], model.z_star[None], np.zeros((1, *model.sizes[0], 3)))
    # JAX runs the reconstruction as one compiled program, whose fused float32 arithmetic
    # rounds differently from these eager calls (measured up to 1.6e-6 on values ~0.5).
    np.testing.assert_allclose(ours[0], image[0], atol=1e-5)
    for k in range(1, model.num_scales):
        upsampled = imresize(image, model.sizes[k])
        image = _apply(model.generators[k], np.zeros_like(upsampled), upsampled)
        np.testing.assert_allclose(ours[k], image[0], atol=1e-4)
    np.testing.assert_array_equal(model.reconstruct(), ours[-1])


def test_batch_size_and_sample_count_do_not_change_an_image(generators):
    pyramid = TrainedPyramid(generators, AMPLITUDES, SIZES)
    one_batch = generate(pyramid, SampleOptions(num_samples=5, seed=3, batch_size=16))
    # Equal up to float32 round-off: the backends' convolutions may pick another algorithm
    # for another batch size (measured up to 1.8e-5 on values ~1 under torch's oneDNN).
    for batch_size in (1, 2):
        batched = generate(pyramid, SampleOptions(num_samples=5, seed=3, batch_size=batch_size))
        np.testing.assert_allclose(batched, one_batch, rtol=1e-4, atol=1e-5)
    fewer = generate(pyramid, SampleOptions(num_samples=2, seed=3))
    np.testing.assert_allclose(fewer, one_batch[:2], rtol=1e-4, atol=1e-5)
    assert np.abs(one_batch[0] - one_batch[1]).mean() > 1e-2  # far above the tolerance


def _zero_residual(generator):
    tail = generator.get_layer("g_tail_conv")
    tail.set_weights([np.zeros_like(w) for w in tail.get_weights()])
    return generator


def test_zero_residual_generators_reduce_to_repeated_bicubic_upsampling():
    # G(σz, x↑) = x↑ + tanh(0): from any start the runner must chain the MATLAB bicubic
    # resize through every scale's size, whatever the noise.
    generators = [_zero_residual(build_generator(4, name=f"zero{k}")) for k in range(3)]
    start = smooth_image(6, 7, seed=2)
    sizes = [(8, 9), (11, 13), (15, 17)]
    for start_scale in (0, 1):
        noise = PerImageNoise.from_seed(0, count=2)
        batch = to_internal(np.stack([start, -start]))
        out = to_numpy_nhwc(
            run_pyramid(generators, [1.0, 0.5, 0.5], noise, sizes, start_scale=start_scale,
                        start_image=batch)
        )  # fmt: skip
        expected = np.stack([start, -start])
        for size in sizes[start_scale:]:
            expected = imresize(expected, size)
        np.testing.assert_allclose(out, expected, atol=1e-5)
    # From scale 0 without a start image the coarsest input is zero, and so is everything.
    noise = PerImageNoise.from_seed(0, count=1)
    assert not np.any(to_numpy_nhwc(run_pyramid(generators, [1.0] * 3, noise, sizes)))


def test_noise_is_asked_for_once_per_scale_in_order_with_the_scale_sizes(generators):
    calls = []

    def noise(k, size):
        calls.append((k, size))
        return np.zeros((2, *size, 3), np.float32)

    out = run_pyramid(generators, AMPLITUDES, noise, SIZES, start_scale=1,
                      start_image=to_internal(np.zeros((2, *SIZES[0], 3))))  # fmt: skip
    assert calls == [(1, SIZES[1]), (2, SIZES[2])]
    assert to_numpy_nhwc(out).shape == (2, *SIZES[2], 3)


def test_given_noise_maps_are_scaled_by_the_amplitudes(generators):
    maps = [np.random.default_rng(k).standard_normal((2, *SIZES[k], 3)) for k in range(3)]
    ours = to_numpy_nhwc(run_pyramid(generators, AMPLITUDES, NoiseMaps(maps, 0), SIZES))
    image = np.zeros((2, *SIZES[0], 3), np.float32)
    for k in range(3):
        image = imresize(image, SIZES[k]) if k else image
        image = _apply(generators[k], (maps[k] * AMPLITUDES[k]).astype(np.float32), image)
    np.testing.assert_allclose(ours, image, atol=1e-4)
    with pytest.raises(ValueError, match="noise map of scale 0 is"):
        run_pyramid(generators, AMPLITUDES, NoiseMaps(maps[::-1], 0), SIZES)


def test_keras_noise_draws_scale_after_scale_from_one_seed_generator(generators):
    # The train step's coarser images: keras.random.normal per scale, k = 0 first, one
    # channel repeated at scale 0, scaled by σ_k, then G_k.
    count = 2
    ours = run_pyramid(generators, AMPLITUDES, keras_noise(keras.random.SeedGenerator(7), count),
                       SIZES)  # fmt: skip
    seed = keras.random.SeedGenerator(7)
    image = None
    for k, size in enumerate(SIZES):
        channels = 1 if k == 0 else 3
        z = to_numpy_nhwc(keras.random.normal(_internal_shape(count, size, channels), seed=seed))
        z = np.repeat(z, 3, axis=-1) if k == 0 else z
        previous = np.zeros_like(z) if image is None else imresize(image, size)
        image = _apply(generators[k], z * np.float32(AMPLITUDES[k]), previous)
    np.testing.assert_allclose(to_numpy_nhwc(ours), image, atol=1e-4)


def _internal_shape(count, size, channels):
    if data_format() == "channels_first":
        return (count, channels, *size)
    return (count, *size, channels)


def test_bad_arguments_are_refused(generators):
    pyramid = TrainedPyramid(generators, AMPLITUDES, SIZES)
    with pytest.raises(ValueError, match="start_image is needed"):
        run_pyramid(generators, AMPLITUDES, PerImageNoise.from_seed(0, 1), SIZES, start_scale=1)
    with pytest.raises(ValueError, match="start_scale must be in"):
        generate(pyramid, SampleOptions(start_scale=3))
    with pytest.raises(ValueError, match="z_star is needed"):
        generate(pyramid, SampleOptions(start_scale=1))
    with pytest.raises(ValueError, match="reals are needed"):
        generate(pyramid, SampleOptions(start_scale=1, start_input="real"))
    for bad in (dict(num_samples=0), dict(batch_size=0), dict(width_scale=0.0),
                dict(start_input="noise")):  # fmt: skip
        with pytest.raises(ValueError):
            SampleOptions(**bad)
