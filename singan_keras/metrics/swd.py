"""Patch sliced Wasserstein distance (SWD) over a Laplacian pyramid, ProGAN-style.

A weight-free, offline quality signal: it compares the *distributions of local patches* of
the real image and of the generated samples at several frequency bands, which is what SinGAN
learns (internal patch statistics, paper §2). Introduced for GANs by Karras et al. (ProGAN,
ICLR 2018, §5 and appendix D); the facts we follow from it:

1. **Laplacian pyramid** per image: Gaussian level $G_0 = x$, $G_{l+1} = \\downarrow_2
   (k * G_l)$ with the 5-tap binomial filter $k = [1, 4, 6, 4, 1] / 16$ (separable, mirror
   borders); band $L_l = G_l - \\uparrow_2 G_{l+1}$ (zero insertion, filter $\\times 4$) and the
   last band the coarsest Gaussian level itself. `num_levels` bands, finest first.
2. **Descriptors**: `num_patches` random 7×7×3 neighbourhoods per band and per set (real /
   fakes; fake patches are drawn from uniformly chosen samples), flattened to 147 numbers.
3. **Normalisation**: each set's descriptors are normalised per channel (mean and std over all
   its patches and the 7×7 positions), separately for real and fake, as ProGAN does. This
   makes the SWD blind to a global per-band, per-channel affine change of colour or contrast:
   it measures the *shape* of the patch distribution.
4. **Sliced Wasserstein-1**: `num_repeats` × `num_projections` random unit directions; along
   each, $W_1$ between the two equally sized sets is the mean absolute difference of their
   sorted projections; averaged over directions. ProGAN prints these values × 10³; we return
   them unscaled.

Defaults (per band): 4096 patches per set, 4 × 128 directions, 4 bands (ProGAN: 128 patches
for each of thousands of images, 4 × 128 directions, bands down to 16 px). Everything random
comes from one seeded `numpy.random.Generator`, so a call is deterministic. Images are numpy
arrays; no backend is involved.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.ndimage

__all__ = ["SWDResult", "laplacian_pyramid", "sliced_wasserstein_distance"]

PATCH_SIZE = 7  # ProGAN's neighbourhood size
_BINOMIAL_5 = np.array([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0


def _blur(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable filtering along H and W with mirror (reflect-101) borders."""
    image = scipy.ndimage.correlate1d(image, kernel, axis=0, mode="mirror")
    return scipy.ndimage.correlate1d(image, kernel, axis=1, mode="mirror")


def _upsample(coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Doubles the resolution to `shape`: zeros between samples, then the binomial filter ×4."""
    up = np.zeros(shape + coarse.shape[2:], dtype=coarse.dtype)
    up[::2, ::2] = coarse
    return _blur(up, 2.0 * _BINOMIAL_5)  # 2 per axis: the 4× gain of zero insertion


def laplacian_pyramid(image: np.ndarray, num_levels: int) -> list[np.ndarray]:
    """Laplacian pyramid of an `(H, W, C)` image, finest band first.

    Example:
        >>> bands = laplacian_pyramid(np.zeros((64, 64, 3)), 3)
        >>> [band.shape for band in bands]
        [(64, 64, 3), (32, 32, 3), (16, 16, 3)]
    """
    gaussian = [np.asarray(image, dtype=np.float64)]
    for _ in range(num_levels - 1):
        gaussian.append(_blur(gaussian[-1], _BINOMIAL_5)[::2, ::2])  # G_{l+1} = ↓2(k * G_l)
    bands = [
        fine - _upsample(coarse, fine.shape[:2])  # L_l = G_l - ↑2 G_{l+1}
        for fine, coarse in zip(gaussian[:-1], gaussian[1:], strict=True)
    ]
    return bands + [gaussian[-1]]


def _sample_patches(
    bands: list[np.ndarray], num_patches: int, rng: np.random.Generator
) -> np.ndarray:
    """`num_patches` random 7×7 patches from images chosen uniformly, `(P, 7, 7, C)`."""
    which = rng.integers(len(bands), size=num_patches)
    patches = np.empty((num_patches, PATCH_SIZE, PATCH_SIZE, bands[0].shape[-1]))
    offsets = np.arange(PATCH_SIZE)
    for index, band in enumerate(bands):
        chosen = np.flatnonzero(which == index)
        top = rng.integers(band.shape[0] - PATCH_SIZE + 1, size=chosen.size)
        left = rng.integers(band.shape[1] - PATCH_SIZE + 1, size=chosen.size)
        rows = (top[:, None] + offsets)[:, :, None]  # (p, 7, 1)
        cols = (left[:, None] + offsets)[:, None, :]  # (p, 1, 7)
        patches[chosen] = band[rows, cols]
    return patches


def _normalise(patches: np.ndarray) -> np.ndarray:
    """Per-channel standardisation over patches and positions, flattened to `(P, 49·C)`."""
    mean = patches.mean(axis=(0, 1, 2), keepdims=True)
    std = patches.std(axis=(0, 1, 2), keepdims=True)
    return ((patches - mean) / np.maximum(std, 1e-12)).reshape(len(patches), -1)


def _sliced_wasserstein(
    a: np.ndarray,
    b: np.ndarray,
    num_projections: int,
    num_repeats: int,
    rng: np.random.Generator,
) -> float:
    """Mean over random unit directions of W1 between the projected sets (equal sizes)."""
    distances = []
    for _ in range(num_repeats):
        directions = rng.standard_normal((a.shape[1], num_projections))
        directions /= np.linalg.norm(directions, axis=0, keepdims=True)  # unit columns
        # (directions, P), so that each sort runs over contiguous memory.
        projected_a = np.sort(np.ascontiguousarray((a @ directions).T), axis=1)
        projected_b = np.sort(np.ascontiguousarray((b @ directions).T), axis=1)
        # W1 of two equal-size empirical 1-D distributions: match sorted values.
        distances.append(np.abs(projected_a - projected_b).mean(axis=1))
    return float(np.mean(distances))


@dataclasses.dataclass(frozen=True)
class SWDResult:
    """Patch SWD per Laplacian band (finest first) and their mean.

    Attributes:
        per_level: one distance per band, finest first.
        mean: mean over bands.
    """

    per_level: tuple[float, ...]
    mean: float

    def __float__(self) -> float:
        return self.mean


def _image_list(images, what: str) -> list[np.ndarray]:
    array = images if isinstance(images, list | tuple) else np.asarray(images)
    if isinstance(array, np.ndarray):
        array = [array] if array.ndim == 3 else list(array)
    result = [np.asarray(image, dtype=np.float64) for image in array]
    for image in result:
        if image.ndim != 3:
            raise ValueError(f"{what} must be (H, W, C) images, got shape {image.shape}.")
    if not result:
        raise ValueError(f"{what} is empty.")
    return result


def sliced_wasserstein_distance(
    real,
    fakes,
    num_levels: int = 4,
    num_patches: int = 4096,
    num_projections: int = 128,
    num_repeats: int = 4,
    seed: int = 0,
) -> SWDResult:
    """Sliced Wasserstein distance between 7×7 patch distributions of real and fake images.

    Args:
        real: the training image `(H, W, 3)` (or several, pooled), values in [-1, 1].
        fakes: a `(H, W, 3)` image, a `(N, H, W, 3)` batch or a list of images (sizes may
            differ), same range as `real`.
        num_levels: Laplacian bands (finest first); every band of every image must be at
            least 7 pixels on each side.
        num_patches: patches drawn per band from each set (with replacement).
        num_projections: random directions per repeat.
        num_repeats: repeats of the projections (total directions = product).
        seed: seed of every random choice (patch positions and directions).

    Returns:
        An `SWDResult` with `per_level` distances and their `mean`; ≈ 0 for identical
        distributions (up to the sampling noise of `num_patches` draws).

    Raises:
        ValueError: on malformed images or images too small for `num_levels` bands.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> image = rng.uniform(-1, 1, (64, 64, 3))
        >>> result = sliced_wasserstein_distance(image, image[::-1], num_levels=3)
        >>> len(result.per_level)
        3
    """
    real_images = _image_list(real, "real")
    fake_images = _image_list(fakes, "fakes")
    smallest = min(min(image.shape[:2]) for image in real_images + fake_images)
    coarsest = -(-smallest // 2 ** (num_levels - 1))  # ceil: sizes halve, rounding up
    if num_levels < 1 or coarsest < PATCH_SIZE:
        raise ValueError(
            f"num_levels={num_levels} leaves a {coarsest}-pixel band for a {smallest}-pixel "
            f"image side; bands must be at least {PATCH_SIZE} pixels: use fewer levels."
        )

    real_rng, fake_rng, direction_rng = np.random.default_rng(seed).spawn(3)
    real_bands = [laplacian_pyramid(image, num_levels) for image in real_images]
    fake_bands = [laplacian_pyramid(image, num_levels) for image in fake_images]
    per_level = []
    for level in range(num_levels):
        real_patches = _sample_patches([b[level] for b in real_bands], num_patches, real_rng)
        fake_patches = _sample_patches([b[level] for b in fake_bands], num_patches, fake_rng)
        per_level.append(
            _sliced_wasserstein(
                _normalise(real_patches),
                _normalise(fake_patches),
                num_projections,
                num_repeats,
                direction_rng,
            )
        )
    return SWDResult(per_level=tuple(per_level), mean=float(np.mean(per_level)))
