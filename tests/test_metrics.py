"""Tests of singan_keras.metrics: Fréchet distance, SIFID (with torch parity), diversity, SWD,
and the `sifid` sub-command. Expected values come from closed forms or independent code."""

from __future__ import annotations

import argparse
import json
import math

import keras
import numpy as np
import pytest
import scipy.linalg
import scipy.ndimage
from PIL import Image

from singan_keras.cli.metrics import register, run_sifid
from singan_keras.metrics import (
    TORCHVISION_INCEPTION_URL,
    build_sifid_stem,
    diversity,
    feature_statistics,
    frechet_distance,
    load_sifid_stem,
    load_sifid_weights,
    sifid,
    sifid_features,
    sliced_wasserstein_distance,
)
from singan_keras.metrics.sifid import _copy_keras_inception_stem


def _natural_image(size: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth random field + oriented stripes + a disc, in [-0.9, 0.9], (size, size, 3)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    field = scipy.ndimage.gaussian_filter(rng.standard_normal((size, size, 3)), (3, 3, 0))
    field /= np.abs(field).max()
    stripes = np.sin(2 * np.pi * (3 * x + 2 * y))[..., None] * np.array([1.0, 0.5, -0.5])
    disc = (((x - 0.6) ** 2 + (y - 0.4) ** 2) < 0.04)[..., None]
    image = 0.5 * field + 0.3 * stripes + 0.4 * disc
    return (0.9 * image / np.abs(image).max()).astype(np.float32)


def _independent_frechet(mu1, sigma1, mu2, sigma2) -> float:
    """Fréchet distance via symmetric eigendecompositions (no sqrtm):
    Tr (Σ1 Σ2)^{1/2} = Σ sqrt(eig(Σ1^{1/2} Σ2 Σ1^{1/2}))."""
    values, vectors = scipy.linalg.eigh(sigma1)
    root1 = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    inner = scipy.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_root = np.sqrt(np.clip(inner, 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)


def _random_covariance(rng, dim, samples=200):
    return np.cov(
        rng.standard_normal((samples, dim)) @ rng.standard_normal((dim, dim)), rowvar=False
    )


# ---- Fréchet distance ------------------------------------------------------------------------


def test_frechet_zero_for_identical_statistics():
    rng = np.random.default_rng(0)
    mu, sigma = rng.standard_normal(16), _random_covariance(rng, 16)
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-8 * np.trace(sigma)


def test_frechet_closed_form_for_diagonal_gaussians():
    rng = np.random.default_rng(1)
    mu1, mu2 = rng.standard_normal(8), rng.standard_normal(8)
    var1, var2 = rng.uniform(0.1, 3, 8), rng.uniform(0.1, 3, 8)
    # diagonal: d² = Σ (μ1 - μ2)² + Σ (√v1 - √v2)²
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    got = frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2))
    assert got == pytest.approx(expected, rel=1e-10)


def test_frechet_symmetric_and_matches_eigen_formula():
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.standard_normal(12), rng.standard_normal(12)
    sigma1, sigma2 = _random_covariance(rng, 12), _random_covariance(rng, 12)
    forward = frechet_distance(mu1, sigma1, mu2, sigma2)
    assert forward == pytest.approx(frechet_distance(mu2, sigma2, mu1, sigma1), rel=1e-9)
    assert forward == pytest.approx(_independent_frechet(mu1, sigma1, mu2, sigma2), rel=1e-9)


def test_frechet_rank_deficient_covariances_stay_finite():
    rng = np.random.default_rng(3)
    # 10 positions, 64 channels: both covariances have rank 9.
    mu1, sigma1 = feature_statistics(rng.standard_normal((10, 64)))
    mu2, sigma2 = feature_statistics(rng.standard_normal((10, 64)) + 0.5)
    value = frechet_distance(mu1, sigma1, mu2, sigma2)
    assert math.isfinite(value)
    assert value == pytest.approx(_independent_frechet(mu1, sigma1, mu2, sigma2), rel=1e-3)


# ---- SIFID -----------------------------------------------------------------------------------


def test_sifid_of_identical_images_is_zero():
    stem = build_sifid_stem(seed=0)
    image = _natural_image()
    assert abs(sifid(image, image, weights=stem).mean) < 1e-6


def test_sifid_grows_with_noise():
    stem = build_sifid_stem(seed=0)
    image = _natural_image()
    noise = np.random.default_rng(4).standard_normal(image.shape).astype(np.float32)
    strengths = [0.02, 0.05, 0.1, 0.2, 0.4]
    fakes = np.stack([np.clip(image + s * noise, -1, 1) for s in strengths])
    values = sifid(image, fakes, weights=stem).per_image
    assert all(a < b for a, b in zip(values, values[1:], strict=False)), values
    assert values[0] > 0


def test_sifid_pairs_and_errors():
    stem = build_sifid_stem(seed=0)
    reals = np.stack([_natural_image(seed=0), _natural_image(seed=1)])
    fakes = np.stack([_natural_image(seed=2), _natural_image(seed=3)])
    paired = sifid(reals, fakes, weights=stem)
    assert paired.per_image[1] == pytest.approx(sifid(reals[1], fakes[1], weights=stem).mean)
    assert paired.mean == pytest.approx(np.mean(paired.per_image))
    with pytest.raises(ValueError, match="one real image per fake"):
        sifid(reals, fakes[:1].repeat(3, axis=0), weights=stem)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        sifid(reals[0] * 255, fakes[0], weights=stem)


def test_keras_inception_stem_copy_sets_unit_gamma():
    """Keras' InceptionV3 builds its stem with `conv2d_bn` (Conv2D without bias, BN scale=False);
    restate that pattern and check the copy reproduces its output."""
    rng = np.random.default_rng(5)
    inputs = keras.Input((None, None, 3))
    x = inputs
    for index, (filters, kernel, strides, padding) in enumerate(
        [
            (32, 3, 2, "valid"),
            (32, 3, 1, "valid"),
            (64, 3, 1, "same"),
            (80, 1, 1, "valid"),
            (192, 3, 1, "valid"),
        ]
    ):
        if index == 3:
            x = keras.layers.MaxPooling2D(3, strides=2)(x)
        x = keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(
            x
        )
        norm = keras.layers.BatchNormalization(scale=False)
        x = keras.layers.Activation("relu")(norm(x))
        norm.set_weights(
            [rng.normal(0, 0.1, filters), rng.normal(0, 0.1, filters), rng.uniform(0.5, 2, filters)]
        )
    inception_like = keras.Model(inputs, x)
    stem = build_sifid_stem("second_pool")
    _copy_keras_inception_stem(inception_like, stem)
    image = _natural_image(48)[None]
    expected = keras.ops.convert_to_numpy(inception_like(image))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(stem(image)), expected, atol=1e-6)
    gamma = keras.ops.convert_to_numpy(stem.get_layer("Conv2d_1a_3x3_bn").gamma)
    np.testing.assert_array_equal(gamma, np.ones(32))  # Keras' BN has no scale: γ = 1


# ---- parity with a plain-PyTorch stem (torchvision's names and layout) -----------------------


def _torch_stem_state(tmp_path):
    """A plain-torch InceptionV3 stem with torchvision's module names and random weights."""
    torch = pytest.importorskip("torch")
    nn, functional = torch.nn, torch.nn.functional

    class BasicConv2d(nn.Module):  # torchvision's block: conv (no bias) -> BN(eps 1e-3) -> ReLU
        def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0):
            super().__init__()
            self.conv = nn.Conv2d(
                in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False
            )
            self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

        def forward(self, x):
            return functional.relu(self.bn(self.conv(x)))

    class Stem(nn.Module):
        def __init__(self):
            super().__init__()
            self.Conv2d_1a_3x3 = BasicConv2d(3, 32, 3, stride=2)
            self.Conv2d_2a_3x3 = BasicConv2d(32, 32, 3)
            self.Conv2d_2b_3x3 = BasicConv2d(32, 64, 3, padding=1)
            self.Conv2d_3b_1x1 = BasicConv2d(64, 80, 1)
            self.Conv2d_4a_3x3 = BasicConv2d(80, 192, 3)
            self.fc = nn.Linear(4, 2)  # a non-stem entry the converter must ignore

        def forward(self, x, layer):
            x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
            if layer == "second_pool":
                x = functional.max_pool2d(x, kernel_size=3, stride=2)
                x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
            return x

    torch.manual_seed(0)
    model = Stem()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d):  # He-normal: O(1) activations, no dead channels
                module.weight.normal_(0, math.sqrt(2 / module.weight[0].numel()))
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 2.0)
    model.eval()
    path = tmp_path / "inception_v3_google-test.pth"
    torch.save(model.state_dict(), path)

    def torch_features(image, layer):  # (H, W, 3) in [-1, 1] -> (h * w, C), NHWC order
        unit = (image + 1) / 2
        batch = torch.from_numpy(np.ascontiguousarray((2 * unit - 1)[None].transpose(0, 3, 1, 2)))
        with torch.no_grad():
            out = model(batch, layer).numpy().transpose(0, 2, 3, 1)[0]
        return out.reshape(-1, out.shape[-1]).astype(np.float64)

    return path, torch_features


@pytest.mark.parametrize("layer", ["first_pool", "second_pool"])
def test_torchvision_converter_feature_parity(tmp_path, layer):
    path, torch_features = _torch_stem_state(tmp_path)
    stem = load_sifid_stem(path, layer)
    image = _natural_image(80)
    ours = sifid_features(image, stem)[0]
    theirs = torch_features(image, layer)
    assert ours.shape == theirs.shape == ((37 * 37, 64) if layer == "first_pool" else (16**2, 192))
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=1e-5)


# A few ReLU channels are zero on a whole image (as with real weights), so the covariances are
# singular and scipy says so; the distance is still well defined and compared below.
@pytest.mark.filterwarnings("ignore:Matrix is singular")
def test_sifid_parity_with_torch_features(tmp_path):
    path, torch_features = _torch_stem_state(tmp_path)
    real, fake = _natural_image(64, seed=0), _natural_image(64, seed=1)
    expected = _independent_frechet(
        *feature_statistics(torch_features(real, "first_pool")),
        *feature_statistics(torch_features(fake, "first_pool")),
    )
    got = sifid(real, fake, weights=path).mean
    assert got == pytest.approx(expected, rel=1e-6)


# ---- diversity -------------------------------------------------------------------------------


def test_diversity_of_identical_samples_is_zero():
    real = _natural_image()
    assert diversity(np.stack([real] * 5), real) == 0.0


def test_diversity_of_independent_noise_matches_closed_form():
    rng = np.random.default_rng(6)
    num, sigma = 8, 0.3
    samples = sigma * rng.standard_normal((num, 64, 64, 3))
    real = _natural_image()
    # E[population std of N iid N(0, σ²)] = σ √(2/N) Γ(N/2) / Γ((N-1)/2)
    expected_std = sigma * math.sqrt(2 / num) * math.gamma(num / 2) / math.gamma((num - 1) / 2)
    assert diversity(samples, real) == pytest.approx(expected_std / real.std(), rel=0.015)
    with pytest.raises(ValueError, match="N >= 2"):
        diversity(samples[:1], real)


# ---- patch SWD -------------------------------------------------------------------------------


def _shuffle_tiles(image, tile, seed):
    h, w, c = image.shape
    tiles = (
        image.reshape(h // tile, tile, w // tile, tile, c).swapaxes(1, 2).reshape(-1, tile, tile, c)
    )
    tiles = tiles[np.random.default_rng(seed).permutation(len(tiles))]
    return tiles.reshape(h // tile, w // tile, tile, tile, c).swapaxes(1, 2).reshape(h, w, c)


def test_swd_self_blur_shuffle_ordering():
    image = _natural_image()
    own = sliced_wasserstein_distance(image, image)
    blurred = sliced_wasserstein_distance(
        image, scipy.ndimage.gaussian_filter(image, (0.7, 0.7, 0))
    )
    shuffled = sliced_wasserstein_distance(image, _shuffle_tiles(image, 8, seed=7))
    assert len(own.per_level) == 4
    assert own.mean < 0.5 * blurred.mean
    assert blurred.mean < shuffled.mean
    assert sliced_wasserstein_distance(image, image).per_level == own.per_level  # seeded
    # Blind to a per-channel affine change of colour (each set is normalised per channel, and
    # a constant offset only reaches the last, Gaussian band): the same patches, the same SWD.
    recoloured = 0.5 * image + np.array([0.2, -0.1, 0.05], np.float32)
    small = dict(num_patches=512, num_projections=32, num_repeats=1)
    affine = sliced_wasserstein_distance(image, recoloured, **small)
    same = sliced_wasserstein_distance(image, image, **small)
    np.testing.assert_allclose(affine.per_level, same.per_level, rtol=1e-6)
    assert min(same.per_level) > 0  # different random patches: the values are not trivially 0


def test_swd_rejects_too_many_levels():
    with pytest.raises(ValueError, match="fewer levels"):
        sliced_wasserstein_distance(np.zeros((32, 32, 3)), np.zeros((32, 32, 3)), num_levels=4)


# ---- `singan sifid` --------------------------------------------------------------------------


def _parser():
    parser = argparse.ArgumentParser(prog="singan")
    register(parser.add_subparsers(dest="command", required=True))
    return parser


def _write_png(image, path):
    Image.fromarray(np.round((image + 1) * 127.5).astype(np.uint8)).save(path)
    return str(path)


def test_cli_sifid_writes_json(tmp_path, capsys):
    weights = tmp_path / "stem.weights.h5"
    build_sifid_stem(seed=0).save_weights(weights)
    real = _write_png(_natural_image(seed=0), tmp_path / "real.png")
    same = _write_png(_natural_image(seed=0), tmp_path / "same.png")
    other = _write_png(_natural_image(seed=1), tmp_path / "other.png")
    report = tmp_path / "sifid.json"
    args = _parser().parse_args(
        ["sifid", real, same, other, "--weights", str(weights), "--json", str(report)]
    )
    assert run_sifid(args) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 3
    data = json.loads(report.read_text())
    assert set(data) == {"metric", "real", "weights", "layer", "per_image", "mean"}
    assert [entry["fake"] for entry in data["per_image"]] == [same, other]
    assert abs(data["per_image"][0]["sifid"]) < 1e-6 < data["per_image"][1]["sifid"]

    stem = build_sifid_stem()
    load_sifid_weights(stem, weights)
    images = [np.asarray(Image.open(p), np.float32) / 127.5 - 1 for p in (real, other)]
    assert data["mean"] == pytest.approx(sifid(images[0], images[1], weights=stem).mean / 2)


def test_cli_sifid_missing_weights_is_clear(tmp_path):
    real = _write_png(_natural_image(), tmp_path / "real.png")
    args = _parser().parse_args(["sifid", real, real, "--weights", str(tmp_path / "no.pth")])
    with pytest.raises(FileNotFoundError, match=TORCHVISION_INCEPTION_URL.replace(".", r"\.")):
        run_sifid(args)
