"""GPNN, the training-free baseline (`singan_keras.baselines.gpnn`) and `singan gpnn`.

Tiny images (about 30 px, two or three scales) keep every test well under a second of
search; the properties checked do not depend on the size.
"""

import keras
import numpy as np
import pytest

from singan_keras.baselines import GPNNConfig, gpnn_sample, patch_nearest_neighbours
from singan_keras.cli import main
from singan_keras.pyramid import scale_schedule

# One image size (28x32, three scales) everywhere: JAX compiles each eager op once per shape.
TINY = dict(min_size=20, max_size=64, iterations=3)
CONFIGS = {
    "exact": GPNNConfig(search="exact", **TINY),
    "fast": GPNNConfig(search="fast", projection_dims=8, candidates=4, **TINY),
    # every scale "large": the strided keys and the reduced iterations run too
    "fast-strided": GPNNConfig(
        search="fast", projection_dims=8, candidates=4, fine_scale_patches=0, **TINY
    ),
}
# Size and seed handling is numpy orchestration, the same under every backend; new shapes
# would cost JAX ~20 s of op compilation.
torch_only = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="backend-independent: runs under torch only"
)
COLOURS = np.array([[0.8, -0.6, -0.6], [-0.5, 0.7, -0.4], [-0.3, -0.2, 0.9]], np.float32)


def _flat_colour_image() -> np.ndarray:
    """28x32: three flat vertical bands and a square of the first colour in the third band."""
    labels = np.zeros((28, 32), np.int64)
    labels[:, 11:22] = 1
    labels[:, 22:] = 2
    labels[8:18, 25:30] = 0
    return COLOURS[labels]


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_flat_colours_give_only_mixtures_of_those_colours(name):
    # Every output pixel is the mean of real pixels (the values copied from the finest real
    # image, which is this image unresized as it is below max_size): a convex combination
    # of the three colours, whatever patches were chosen. Only where patches of different
    # colours overlap may a pixel be a mixture; inside the large flat regions it is exact.
    samples = gpnn_sample(_flat_colour_image(), 2, seed=0, config=CONFIGS[name])
    pixels = samples.reshape(-1, 3).astype(np.float64)
    system = np.vstack([COLOURS.T.astype(np.float64), np.ones(3)])  # rows: r, g, b, sum
    weights = np.linalg.solve(system[1:], np.vstack([pixels.T[1:], np.ones(len(pixels))]))
    reconstructed = COLOURS.T.astype(np.float64) @ weights
    # float32 averaging of at most 49 values: ~49 ulps of 1, far below 1e-4
    np.testing.assert_allclose(reconstructed.T, pixels, atol=1e-4)
    assert weights.min() > -1e-4, "a pixel outside the colours' convex hull"
    distance_to_nearest = np.abs(pixels[:, None, :] - COLOURS[None]).max(axis=2).min(axis=1)
    # Bands 10-11 px wide and 7-px patches: most pixels lie in a region whose covering patches
    # all agree on one colour; mixtures are limited to seams.
    assert np.mean(distance_to_nearest < 1e-4) > 0.5


@pytest.mark.parametrize("name", ["exact", "fast"])
def test_no_noise_reproduces_the_image(name):
    # sigma = 0: the coarsest guess IS x_0, whose patches match themselves (D = 0, the
    # smallest score possible); by induction each upsampled guess equals the blurred keys, so
    # every patch is replaced by its own sharp version and the output is the finest real
    # image. A random image has no repeated patch, so no tie can pick another position.
    # Tolerance: the same pixel averaged from up to 49 identical float32 copies (~1e-6).
    image = np.random.default_rng(3).uniform(-1, 1, (28, 32, 3)).astype(np.float32)
    config = GPNNConfig(**{**CONFIGS[name].__dict__, "noise_std": 0.0})
    sample, sources = gpnn_sample(image, 1, seed=0, config=config, return_sources=True)
    np.testing.assert_allclose(sample[0], image, atol=1e-5)
    rows, cols = np.mgrid[0 : 28 - 6, 0 : 32 - 6]  # each patch copied from its own place
    np.testing.assert_array_equal(sources[0], np.stack([rows, cols], -1))


@torch_only
def test_output_size_follows_the_scale_factors():
    image = np.random.default_rng(1).uniform(-1, 1, (28, 32, 3)).astype(np.float32)
    schedule = scale_schedule(28, 32, 0.75, TINY["min_size"], TINY["max_size"])
    assert schedule.sizes[-1] == (28, 32)  # below max_size: the finest scale is the image
    samples, sources = gpnn_sample(
        image,
        2,
        height_scale=1.5,
        width_scale=0.75,
        seed=0,
        config=CONFIGS["fast"],
        return_sources=True,
    )
    assert samples.shape == (2, 42, 24, 3)
    assert sources.shape == (2, 42 - 6, 24 - 6, 2)
    assert sources[..., 0].max() <= 28 - 7 and sources[..., 1].max() <= 32 - 7
    assert sources.min() >= 0


@torch_only
def test_seed_repeats_and_varies():
    image = np.random.default_rng(2).uniform(-1, 1, (28, 32, 3)).astype(np.float32)
    first = gpnn_sample(image, 2, seed=5, config=CONFIGS["fast"])
    again = gpnn_sample(image, 2, seed=5, config=CONFIGS["fast"])
    np.testing.assert_array_equal(first, again)
    assert np.abs(first[0] - first[1]).mean() > 0.01  # two draws of the noise differ


def _reference_nearest(queries: np.ndarray, keys: np.ndarray, alpha: float) -> np.ndarray:
    """The paper's normalised score, brute force in float64 numpy."""
    distances = ((queries[:, None, :] - keys[None, :, :]) ** 2).mean(axis=2)
    return np.argmin(distances / (alpha + distances.min(axis=0))[None, :], axis=1)


@pytest.mark.parametrize("alpha", [0.005, 10.0])
def test_chunked_search_equals_unchunked_and_the_formula(alpha):
    rng = np.random.default_rng(4)
    keys = rng.uniform(0, 1, (40, 147)).astype(np.float32)
    queries = (keys[rng.integers(0, 40, 50)] + rng.normal(0, 0.1, (50, 147))).astype(np.float32)
    whole = keras.ops.convert_to_numpy(patch_nearest_neighbours(queries, keys, alpha))
    chunked = keras.ops.convert_to_numpy(
        patch_nearest_neighbours(queries, keys, alpha, chunk_size=7)
    )
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_array_equal(whole, _reference_nearest(queries, keys, alpha))


@pytest.mark.parametrize(
    "argv, words",
    [
        (["gpnn", "no_such_image", "--num", "1"], "no_such_image"),
        (["gpnn", "coffee", "--num", "1", "--max-size", "48", "--height-scale", "0.1"],
         "--height-scale"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line(argv, words, tmp_path, capsys):
    code = main([*argv, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("singan: error:")
    assert words in err and "height_scale" not in err


@torch_only
def test_cli_writes_samples(tmp_path, capsys):
    out = tmp_path / "samples"
    argv = ["gpnn", "coffee", "--num", "2", "--out", str(out), "--max-size", "48", "--seed", "1"]
    assert main([*argv, "--width-scale", "1.5", "--grid"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["grid.png", "sample_000.png", "sample_001.png"]
    assert "seed 1" in capsys.readouterr().out
