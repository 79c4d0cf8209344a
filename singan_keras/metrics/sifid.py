"""SIFID: Single Image Fréchet Inception Distance (SinGAN paper §3, Table 2).

SIFID is the Fréchet distance (`frechet.py`) between two Gaussians fitted to the InceptionV3
features of one real and one generated image, where **every spatial position of the feature
map is one sample** (FID uses one vector per image instead). We follow the authors' official
script (`SIFID/sifid_score.py` and `SIFID/inception.py` in tamarott/SinGAN, last commit):

* network: the InceptionV3 *stem* with torchvision's ImageNet weights,
  `Conv2d_1a_3x3` (3×3, stride 2, valid, 32) → `Conv2d_2a_3x3` (3×3, valid, 32) →
  `Conv2d_2b_3x3` (3×3, same, 64); each a bias-free conv + BatchNorm (eps 1e-3, inference
  statistics) + ReLU; features are taken **before the first max-pool** (64 channels,
  `dims=64`): `layer="first_pool"` here.
* the paper's text says "before the second pooling layer": `layer="second_pool"` continues
  with MaxPool 3×3/2 → `Conv2d_3b_1x1` (80) → `Conv2d_4a_3x3` (3×3 valid, 192) and stops before
  the second max-pool (192 channels; an earlier commit of the official script used `dims=192`
  with exactly this block). The discrepancy is an unanswered issue on the official tracker.
* input: RGB in [0, 1] mapped to `2x - 1`, no resizing.
* statistics: mean and unbiased covariance over positions; Fréchet distance in float64.

Deviations from the official script, on purpose:

* It reads images with matplotlib's `imread`, which already returns PNGs as floats in [0, 1],
  then divides by 255 again (hence its README's "use .jpg"). We never do that: every image is
  taken in [-1, 1].
* It pairs real and fake files in unsorted `glob` order. Here pairs are explicit: one real
  image for all fakes, or the i-th real with the i-th fake.

Weights (`load_sifid_weights`): `"imagenet"` copies the stem of Keras' ImageNet InceptionV3
(downloaded once into Keras' cache; its BatchNorm has no scale, i.e. γ = 1, whereas
torchvision's BatchNorm is affine; whether the two weight sets give the same numbers has not
been measured); a torchvision `inception_v3_google-*.pth` state dict (converted by
`convert_torchvision_inception_stem`, needs torch); or a `.weights.h5` of our stem.

Reference: Shaham, Dekel, Michaeli, "SinGAN: Learning a Generative Model from a Single Natural
Image", ICCV 2019, §3; Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from collections.abc import Mapping, Sequence

import keras
import numpy as np

from singan_keras.errors import InputError
from singan_keras.metrics.frechet import feature_statistics, frechet_distance

__all__ = [
    "SIFID_LAYERS",
    "TORCHVISION_INCEPTION_URL",
    "SIFIDResult",
    "build_sifid_stem",
    "convert_torchvision_inception_stem",
    "load_sifid_stem",
    "load_sifid_weights",
    "sifid",
    "sifid_features",
]

# torchvision's ImageNet InceptionV3 (`Inception_V3_Weights.IMAGENET1K_V1`), the weights the
# official SIFID script loads through `models.inception_v3(pretrained=True)`.
TORCHVISION_INCEPTION_URL = "https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth"

# (torchvision module name, filters, kernel size, strides, padding) in network order.
_STEM_BLOCKS = (
    ("Conv2d_1a_3x3", 32, 3, 2, "valid"),
    ("Conv2d_2a_3x3", 32, 3, 1, "valid"),
    ("Conv2d_2b_3x3", 64, 3, 1, "same"),
    # ---- first max-pool (3×3, stride 2) ----
    ("Conv2d_3b_1x1", 80, 1, 1, "valid"),
    ("Conv2d_4a_3x3", 192, 3, 1, "valid"),
    # ---- second max-pool: never reached ----
)
# layer name -> number of conv blocks used.
SIFID_LAYERS = {"first_pool": 3, "second_pool": 5}

_BN_EPSILON = 1e-3  # torchvision BasicConv2d and Keras InceptionV3 both use 1e-3


def _check_layer(layer: str) -> int:
    if layer not in SIFID_LAYERS:
        raise InputError(
            f"layer must be one of {sorted(SIFID_LAYERS)}, got {layer!r}: 'first_pool' is the "
            "official SIFID code (64 channels), 'second_pool' the paper's text (192 channels)."
        )
    return SIFID_LAYERS[layer]


def build_sifid_stem(layer: str = "first_pool", seed: int | None = None) -> keras.Model:
    """The InceptionV3 stem that SIFID features come from, with random (untrained) weights.

    Channels-last on every backend (the stem is forward-only). BatchNorm layers are affine
    (γ and β) so that torchvision's weights fit; Keras' own InceptionV3 weights load with γ = 1.
    Load real weights with `load_sifid_weights`, or use `load_sifid_stem` for both steps.

    Args:
        layer: `"first_pool"` (official code: 64 channels, output before the first max-pool) or
            `"second_pool"` (paper text: 192 channels, before the second max-pool).
        seed: seed of the random conv kernels (Glorot uniform); `None` for unseeded.

    Returns:
        A `keras.Model` mapping `(batch, H, W, 3)` in [-1, 1] to `(batch, h, w, C)` features.

    Example:
        >>> stem = build_sifid_stem("first_pool", seed=0)
        >>> stem.output_shape
        (None, None, None, 64)
    """
    num_blocks = _check_layer(layer)
    inputs = keras.Input(shape=(None, None, 3), name="image")
    x = inputs
    for index, (name, filters, kernel, strides, padding) in enumerate(_STEM_BLOCKS[:num_blocks]):
        if index == 3:
            x = keras.layers.MaxPooling2D(
                3, strides=2, data_format="channels_last", name="MaxPool_3a_3x3"
            )(x)
        initializer = keras.initializers.GlorotUniform(seed=None if seed is None else seed + index)
        x = keras.layers.Conv2D(
            filters,
            kernel,
            strides=strides,
            padding=padding,
            use_bias=False,
            kernel_initializer=initializer,
            data_format="channels_last",
            name=f"{name}_conv",
        )(x)
        x = keras.layers.BatchNormalization(axis=-1, epsilon=_BN_EPSILON, name=f"{name}_bn")(x)
        x = keras.layers.ReLU(name=f"{name}_relu")(x)
    return keras.Model(inputs, x, name=f"sifid_stem_{layer}")


def _stem_blocks(stem: keras.Model) -> list[str]:
    """torchvision names of the conv blocks present in `stem`, in order."""
    present = {layer.name for layer in stem.layers}
    return [name for name, *_ in _STEM_BLOCKS if f"{name}_conv" in present]


def _missing_file_message(path: pathlib.Path) -> str:
    return (
        f"SIFID weights file not found: {path}. For the official SIFID numbers download "
        f"torchvision's ImageNet InceptionV3 from {TORCHVISION_INCEPTION_URL} (e.g. `curl -LO "
        f"{TORCHVISION_INCEPTION_URL}`; torch also caches it as "
        "~/.cache/torch/hub/checkpoints/inception_v3_google-0cc3c7bd.pth) and pass its path "
        "(`--weights inception_v3_google-0cc3c7bd.pth`, `weights=...`; needs torch), a "
        "`.weights.h5` of the SIFID stem, or 'imagenet' for Keras' InceptionV3 weights."
    )


def convert_torchvision_inception_stem(
    state_dict: Mapping | str | os.PathLike, layer: str = "first_pool"
) -> keras.Model:
    """Builds the SIFID stem holding torchvision's InceptionV3 stem weights.

    Maps, for each block `B` (`Conv2d_1a_3x3`, `Conv2d_2a_3x3`, `Conv2d_2b_3x3`, and for
    `second_pool` also `Conv2d_3b_1x1`, `Conv2d_4a_3x3`):
    `B.conv.weight` (O, I, kH, kW) → Conv2D kernel (kH, kW, I, O);
    `B.bn.weight`, `B.bn.bias`, `B.bn.running_mean`, `B.bn.running_var` → BatchNorm
    γ, β, moving mean, moving variance. Other entries (the rest of the network,
    `num_batches_tracked`) are ignored. Save the result with
    `stem.save_weights("sifid_stem.weights.h5")` to use it later without torch.

    Args:
        state_dict: a mapping of names to tensors or arrays, or the path of a `.pth` file
            (`inception_v3_google-0cc3c7bd.pth`, from `TORCHVISION_INCEPTION_URL`), read
            with `torch.load(..., weights_only=True)`.
        layer: `"first_pool"` or `"second_pool"` (see `build_sifid_stem`).

    Returns:
        The stem as a `keras.Model`.

    Raises:
        FileNotFoundError: if the path does not exist (the message has the download URL).
        ImportError: if a path is given and torch is not installed.
        KeyError: if a stem tensor is missing from the state dict.
        ValueError: if a tensor's shape does not fit the stem.

    Example:
        >>> path = "inception_v3_google-0cc3c7bd.pth"
        >>> stem = convert_torchvision_inception_stem(path)  # doctest: +SKIP
        >>> stem.save_weights("sifid_stem.weights.h5")  # doctest: +SKIP
    """
    if not isinstance(state_dict, Mapping):
        state_dict = _torch_load(pathlib.Path(state_dict))
    stem = build_sifid_stem(layer)
    for name in _stem_blocks(stem):
        keys = [f"{name}.conv.weight"] + [
            f"{name}.bn.{part}" for part in ("weight", "bias", "running_mean", "running_var")
        ]
        missing = [key for key in keys if key not in state_dict]
        if missing:
            raise KeyError(
                f"the state dict has no {missing[0]!r}; expected torchvision's Inception3 names "
                f"(a state dict of `torchvision.models.inception_v3`, {TORCHVISION_INCEPTION_URL})."
            )
        kernel, gamma, beta, mean, var = (_to_numpy(state_dict[key]) for key in keys)
        _set_weights(stem.get_layer(f"{name}_conv"), [kernel.transpose(2, 3, 1, 0)], name)
        _set_weights(stem.get_layer(f"{name}_bn"), [gamma, beta, mean, var], name)
    return stem


def _to_numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


def _set_weights(layer: keras.layers.Layer, values: list[np.ndarray], block: str) -> None:
    expected = [tuple(weight.shape) for weight in layer.weights]
    given = [value.shape for value in values]
    if expected != given:
        raise InputError(f"{block}: weight shapes {given} do not fit the stem's {expected}.")
    layer.set_weights(values)


def _torch_load(path: pathlib.Path) -> Mapping:
    if not path.is_file():
        raise FileNotFoundError(_missing_file_message(path))
    try:
        import torch
    except ImportError as error:
        raise ImportError(
            f"reading {path.name} (a PyTorch state dict) needs torch: `pip install torch` "
            "(CPU is enough), or convert it once elsewhere with "
            "`convert_torchvision_inception_stem(...).save_weights('sifid_stem.weights.h5')`."
        ) from error
    state_dict = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state_dict, Mapping) and "state_dict" in state_dict:
        state_dict = state_dict["state_dict"]
    if not isinstance(state_dict, Mapping):
        raise InputError(f"{path} does not hold a state dict (got {type(state_dict).__name__}).")
    return state_dict


def _copy_keras_inception_stem(inception: keras.Model, stem: keras.Model) -> None:
    """Copies the first conv/BN blocks of a `keras.applications.InceptionV3` into `stem`.

    Keras' InceptionV3 names its stem layers `conv2d`, `conv2d_1`, ... (a global counter), so
    they are taken by position: the stem is the first blocks of the functional graph. Its
    BatchNorm has `scale=False` (weights β, mean, variance): γ is set to 1.
    """
    convs = [layer for layer in inception.layers if isinstance(layer, keras.layers.Conv2D)]
    norms = [
        layer for layer in inception.layers if isinstance(layer, keras.layers.BatchNormalization)
    ]
    for index, name in enumerate(_stem_blocks(stem)):
        _set_weights(stem.get_layer(f"{name}_conv"), convs[index].get_weights(), name)
        source = norms[index]
        values = [np.asarray(v) for v in source.get_weights()]
        if not source.scale:
            values.insert(0, np.ones_like(values[-1]))
        if not source.center:
            values.insert(1, np.zeros_like(values[-1]))
        _set_weights(stem.get_layer(f"{name}_bn"), values, name)


def load_sifid_weights(stem: keras.Model, weights: str | os.PathLike = "imagenet") -> None:
    """Loads InceptionV3 stem weights into a stem from `build_sifid_stem`, in place.

    Args:
        stem: the model to fill.
        weights: `"imagenet"`: Keras' ImageNet InceptionV3 (downloaded once into Keras' cache,
            `~/.keras/models`); a path to torchvision's `inception_v3_google-*.pth` (what the
            official SIFID uses; needs torch); or a path to a `.weights.h5` saved from a stem
            of the same `layer`.

    Raises:
        FileNotFoundError: if the file is missing, or the Keras weights cannot be downloaded
            (the message says where to get the weights).
        ValueError: for an unknown file type or weights that do not fit the stem.

    Example:
        >>> stem = build_sifid_stem()
        >>> load_sifid_weights(stem, "inception_v3_google-0cc3c7bd.pth")  # doctest: +SKIP
    """
    if str(weights) == "imagenet":
        try:
            inception = keras.applications.InceptionV3(
                include_top=False, weights="imagenet", input_shape=(None, None, 3)
            )
        except Exception as error:  # Keras raises a bare Exception when the download fails
            raise FileNotFoundError(
                f"could not obtain Keras' ImageNet InceptionV3 weights ({error}). "
                + _missing_file_message(pathlib.Path("<keras cache>"))
            ) from error
        _copy_keras_inception_stem(inception, stem)
        return

    path = pathlib.Path(weights)
    if not path.is_file():
        raise FileNotFoundError(_missing_file_message(path))
    if path.name.endswith((".pth", ".pt")):
        layer = "second_pool" if len(_stem_blocks(stem)) == 5 else "first_pool"
        converted = convert_torchvision_inception_stem(path, layer=layer)
        stem.set_weights(converted.get_weights())
    elif path.name.endswith(".weights.h5"):
        try:
            stem.load_weights(path)
        except ValueError as error:
            raise InputError(
                f"{path} does not fit this SIFID stem ({stem.name}); was it saved from a stem "
                f"with another `layer`? ({error})"
            ) from error
    else:
        raise InputError(
            f"unknown SIFID weights file type: {path.name}; expected 'imagenet', a torchvision "
            "'.pth' state dict or a Keras '.weights.h5' file."
        )


def load_sifid_stem(
    weights: str | os.PathLike = "imagenet", layer: str = "first_pool"
) -> keras.Model:
    """`build_sifid_stem(layer)` followed by `load_sifid_weights(stem, weights)`.

    Build it once and pass it to `sifid(..., weights=stem)` when scoring many images.

    Example:
        >>> stem = load_sifid_stem("sifid_stem.weights.h5")  # doctest: +SKIP
    """
    stem = build_sifid_stem(layer)
    load_sifid_weights(stem, weights)
    return stem


def _as_image_list(images, what: str) -> list[np.ndarray]:
    """A `(H, W, 3)` array, a `(N, H, W, 3)` array or a sequence of `(H, W, 3)` arrays."""
    if isinstance(images, np.ndarray) or not isinstance(images, Sequence):
        images = np.asarray(images)
        images = [images] if images.ndim == 3 else list(images)
    result = []
    for image in images:
        image = np.asarray(image, dtype=np.float32)
        if image.ndim != 3 or image.shape[-1] != 3:
            raise InputError(f"{what} must be (H, W, 3) RGB images, got shape {image.shape}.")
        if image.min() < -1.001 or image.max() > 1.001:
            raise InputError(
                f"{what} must hold values in [-1, 1] (the package's image range), got "
                f"[{image.min():.3g}, {image.max():.3g}]; for uint8 data use x / 127.5 - 1."
            )
        result.append(image)
    if not result:
        raise InputError(f"{what} is empty.")
    return result


def sifid_features(images, stem: keras.Model) -> list[np.ndarray]:
    """Per-position stem features of each image.

    Args:
        images: one `(H, W, 3)` image, a `(N, H, W, 3)` batch or a list of images (sizes may
            differ), values in [-1, 1].
        stem: a model from `build_sifid_stem` / `load_sifid_stem`.

    Returns:
        One float64 array of shape `(h * w, C)` per image: row `i * w + j` is position (i, j).

    Example:
        >>> feats = sifid_features(np.zeros((64, 64, 3)), build_sifid_stem(seed=0))
        >>> feats[0].shape
        (841, 64)
    """
    result = []
    for image in _as_image_list(images, "images"):
        unit = (image + 1.0) / 2.0  # [-1, 1] -> [0, 1], the official script's input range
        inputs = 2.0 * unit - 1.0  # its `normalize_input`; together an identity on our images
        features = stem(inputs[None], training=False)
        features = keras.ops.convert_to_numpy(features)[0]
        result.append(features.reshape(-1, features.shape[-1]).astype(np.float64))
    return result


@dataclasses.dataclass(frozen=True)
class SIFIDResult:
    """SIFID per fake image and their mean.

    Attributes:
        per_image: one value per fake image, in the order given.
        mean: the mean of `per_image` (the number Table 2 of the paper reports).
    """

    per_image: tuple[float, ...]
    mean: float

    def __float__(self) -> float:
        return self.mean


def sifid(
    real, fakes, weights: str | os.PathLike | keras.Model = "imagenet", layer: str = "first_pool"
) -> SIFIDResult:
    """Single Image FID between real image(s) and generated images (SinGAN §3, Table 2).

    $$\\mathrm{SIFID}(x, \\tilde x) = d^2_F\\big(\\mathcal N(\\mu_x, \\Sigma_x),
      \\mathcal N(\\mu_{\\tilde x}, \\Sigma_{\\tilde x})\\big)$$
    with $\\mu, \\Sigma$ the mean and unbiased covariance of the stem features over spatial
    positions.

    Args:
        real: one `(H, W, 3)` image compared with every fake, or as many images as `fakes`
            (paired by index), values in [-1, 1].
        fakes: a `(H, W, 3)` image, a `(N, H, W, 3)` batch or a list of images in [-1, 1].
        weights: `"imagenet"`, a `.pth` / `.weights.h5` path (see `load_sifid_weights`), or a
            stem model already built (then `layer` is taken from it).
        layer: `"first_pool"` (official code, default) or `"second_pool"` (paper text).

    Returns:
        A `SIFIDResult` with `per_image` values and their `mean`.

    Raises:
        ValueError: on images outside [-1, 1], unpaired counts, or images too small to give
            two feature positions.
        FileNotFoundError: if a weights file is missing.

    Example:
        >>> real, fakes = np.zeros((64, 64, 3)), np.ones((2, 64, 64, 3))
        >>> result = sifid(real, fakes, weights="sifid_stem.weights.h5")  # doctest: +SKIP
        >>> result.mean, result.per_image  # doctest: +SKIP
    """
    stem = weights if isinstance(weights, keras.Model) else load_sifid_stem(weights, layer)
    real_images = _as_image_list(real, "real")
    fake_images = _as_image_list(fakes, "fakes")
    if len(real_images) not in (1, len(fake_images)):
        raise InputError(
            f"got {len(real_images)} real and {len(fake_images)} fake images; pass one real "
            "image (compared with every fake) or one real image per fake."
        )

    real_stats = [feature_statistics(f) for f in sifid_features(real_images, stem)]
    values = []
    for index, fake_features in enumerate(sifid_features(fake_images, stem)):
        mu_real, sigma_real = real_stats[index if len(real_stats) > 1 else 0]
        mu_fake, sigma_fake = feature_statistics(fake_features)
        values.append(frechet_distance(mu_real, sigma_real, mu_fake, sigma_fake))
    return SIFIDResult(per_image=tuple(values), mean=float(np.mean(values)))
