"""Editing (paper §4, Fig. 12) and harmonization (Fig. 13): inject, generate, blend back.

The user gives an image of the training image's size — an *edited* copy of the training
image (a region moved or copied), or a *composite* (an object naively pasted onto it) — and
a binary mask of the changed region. Both applications:

1. downscale the image to scale n − 1, upsample it to scale n and generate the finer scales
   with fresh noise (`singan_keras.applications.injection`), so the generators re-synthesise
   the image with the training image's patch statistics (seams disappear, a pasted object
   takes the texture and colours of the background);
2. blend the result back: ``out = (1 − m)·input + m·generated``, with m the user's mask
   dilated by a disk, Gaussian-blurred and rescaled to [0, 1] (`blend_mask`). Where m is
   exactly 0 the output *is* the input, bit for bit.

Reference values (official `functions.dilate_mask`): disk radius 20 px for editing, 7 px for
harmonization, Gaussian σ = 5 px, for images whose longer side is 250 px (the reference's
``max_size``). Here both lengths are scaled by ``(longer side of the finest scale) / 250``, so
a 64 px `quick` model gets a radius of 5 px (editing) / 2 px (harmonization) and σ ≈ 1.3 px;
at 250 px they are the reference values. Pass `dilation_radius` / `blur_sigma` to choose.

Named deviations from the official scripts:

* They blend with the *training* image (``(1 − m)·real + m·out``); we blend with the user's
  input, so anything the user changed outside the mask is kept. The two agree whenever the
  edit stays inside the mask, which is what the mask is for.
* They resize a mask or image of another size to the training size silently; we accept the
  training image's size or the finest scale's and reject others (one clear error).
* Harmonization in the official code is run on a model trained on the background; so is ours
  (train on the background image, then call `harmonize` with the composite).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from singan_keras.applications.injection import (
    ImageLike,
    check_start_scale,
    inject,
    injection_input,
    load_user_image,
)
from singan_keras.errors import InputError
from singan_keras.imresize import imresize

__all__ = ["blend", "blend_mask", "edit", "harmonize", "load_mask"]

REFERENCE_SIZE = 250  # longer side the reference's radii and sigma are meant for (max_size)
EDITING_RADIUS = 20  # official dilation radius, editing
HARMONIZATION_RADIUS = 7  # official dilation radius, harmonization
BLUR_SIGMA = 5.0  # official Gaussian sigma


def load_mask(mask: ImageLike, shape: tuple[int, int], flag: str = "--mask") -> np.ndarray:
    """Reads and validates a binary mask; returns it as a bool (H, W) array.

    Args:
        mask: a file (black = 0, white = 1; grey levels are refused) or an array of shape
            (H, W), (H, W, 1) or (H, W, 3) with values in {0, 1} (bool, float or int; uint8
            arrays may also use {0, 255}).
        shape: the (H, W) it must have (the image's).
        flag: the command-line flag to name in errors.

    Returns:
        (H, W) bool array, True where the image was edited.

    Raises:
        ValueError: a wrong size, differing colour channels, values that are not binary, or
            an empty mask.

    Example:
        >>> int(load_mask(np.eye(3), (3, 3)).sum())
        3
    """
    from singan_keras.image_io import load_image

    if isinstance(mask, np.ndarray):
        array = mask
        if array.dtype == np.uint8 and array.max() > 1:
            array = array / 255.0
        array = array.astype(np.float64)
    else:
        array = (load_image(mask).astype(np.float64) + 1.0) / 2.0  # [-1, 1] -> [0, 1]
    if array.ndim == 3 and array.shape[-1] in (1, 3):
        if np.any(array != array[..., :1]):
            raise InputError(f"{flag} must be a black-and-white mask; its colour channels differ.")
        array = array[..., 0]
    if array.ndim != 2:
        raise InputError(f"{flag} must have shape (H, W) or (H, W, 1|3); got {array.shape}.")
    if tuple(array.shape) != tuple(shape):
        raise InputError(
            f"{flag} must have the image's size {shape[0]}x{shape[1]} (height x width); got "
            f"{array.shape[0]}x{array.shape[1]}."
        )
    if not np.all((array == 0.0) | (array == 1.0)):
        values = np.unique(array)
        raise InputError(
            f"{flag} must be binary (only black 0 and white 1); it has {values.size} distinct "
            f"values in [{values.min():.3g}, {values.max():.3g}]."
        )
    if not array.any():
        raise InputError(f"{flag} is empty (all black): mark the edited region in white.")
    return array.astype(bool)


def _disk(radius: int) -> np.ndarray:
    """A disk structuring element: offsets (y, x) with y² + x² <= radius²."""
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return (y * y + x * x) <= radius * radius


def blend_mask(mask: np.ndarray, dilation_radius: int, blur_sigma: float) -> np.ndarray:
    """The soft blending mask m: dilate by a disk, Gaussian-blur, rescale to [0, 1].

    Args:
        mask: (H, W) bool, True where the image was edited.
        dilation_radius: disk radius in pixels (0 = no dilation).
        blur_sigma: Gaussian σ in pixels (0 = no blur). The kernel is cut at 4σ (as
            skimage/scipy), so m is exactly 0 farther than radius + 4σ from the mask.

    Returns:
        (H, W) float64 in [0, 1].

    Example:
        >>> m = np.zeros((9, 9), bool); m[4, 4] = True
        >>> soft = blend_mask(m, 1, 0.5)
        >>> float(soft.max()), float(soft[0, 0])
        (1.0, 0.0)
    """
    soft = mask.astype(bool)
    if dilation_radius > 0:
        soft = ndimage.binary_dilation(soft, structure=_disk(int(dilation_radius)))
    soft = soft.astype(np.float64)
    if blur_sigma > 0:
        soft = ndimage.gaussian_filter(soft, blur_sigma, mode="nearest", truncate=4.0)
    low, high = soft.min(), soft.max()
    if high <= low:  # the dilated mask covers everything
        return np.ones_like(soft)
    return (soft - low) / (high - low)


def blend(original: np.ndarray, generated: np.ndarray, soft_mask: np.ndarray) -> np.ndarray:
    """``(1 − m)·original + m·generated``, with ``original`` copied exactly where m = 0."""
    m = soft_mask[..., None].astype(np.float32)
    mixed = (1.0 - m) * original + m * generated
    return np.where(m == 0.0, original, mixed).astype(np.float32)


def _scaled_length(model, reference_px: float) -> float:
    return reference_px * max(model.sizes[-1]) / REFERENCE_SIZE


def _inject_and_blend(
    model, image, mask, start_scale, seed, dilation_radius, blur_sigma, flag, official_radius
):
    start_scale = check_start_scale(model, start_scale, minimum=1)
    given, finest = load_user_image(model, image, flag)
    hard = load_mask(mask, given.shape[:2])
    if hard.shape != finest.shape[:2]:  # a training-size mask: resize like the image
        hard = imresize(hard.astype(np.float32), finest.shape[:2]) > 0.5
    if dilation_radius is None:
        dilation_radius = max(1, round(_scaled_length(model, official_radius)))
    if blur_sigma is None:
        blur_sigma = max(0.5, _scaled_length(model, BLUR_SIGMA))
    if dilation_radius < 0 or blur_sigma < 0:
        raise InputError("dilation_radius and blur_sigma must be >= 0.")
    generated = inject(model, injection_input(model, finest, start_scale), start_scale, seed=seed)
    return blend(finest, generated[0], blend_mask(hard, dilation_radius, blur_sigma))


def edit(
    model,
    edited: ImageLike,
    mask: ImageLike,
    start_scale: int,
    *,
    seed: int | None = None,
    dilation_radius: int | None = None,
    blur_sigma: float | None = None,
) -> np.ndarray:
    """Editing (paper Fig. 12): makes an edited copy of the training image look natural.

    Args:
        model: a `SinGAN` trained on the original image.
        edited: the edited image (file or (H, W, 3) array in [-1, 1]) of the training
            image's size or of the finest scale's size.
        mask: the edited region (white/1), same size as `edited` (see `load_mask`).
        start_scale: injection scale n, 1 <= n <= K − 1 (0 = coarsest). Coarser n changes
            more (larger structures are re-synthesised); finer n only fixes textures.
        seed: noise seed; the same seed gives the same image under every backend.
        dilation_radius: mask dilation in pixels; default 20 px scaled to the image size.
        blur_sigma: blur of the dilated mask in pixels; default 5 px scaled to the image.

    Returns:
        (H, W, 3) float32 in about [-1, 1], at the finest scale; equal to `edited` (resized
        to the finest scale) wherever the blending mask is 0.

    Raises:
        ValueError: a bad image, mask or start scale (the message names the flag).

    Example:
        >>> from singan_keras.applications import edit
        >>> out = edit(model, "brick_edited.png", "brick_edited_mask.png",
        ...            start_scale=2, seed=0)  # doctest: +SKIP
    """
    return _inject_and_blend(
        model, edited, mask, start_scale, seed, dilation_radius, blur_sigma, "EDITED",
        EDITING_RADIUS,
    )  # fmt: skip


def harmonize(
    model,
    composite: ImageLike,
    mask: ImageLike,
    start_scale: int,
    *,
    seed: int | None = None,
    dilation_radius: int | None = None,
    blur_sigma: float | None = None,
) -> np.ndarray:
    """Harmonization (paper Fig. 13): blends a pasted object into the training image's style.

    Train the model on the background (e.g. a painting), paste an object onto it naively,
    and call this with the composite and the object's mask: the object is re-synthesised
    from the background's patch statistics at scales n .. finest.

    Args:
        model: a `SinGAN` trained on the background image.
        composite: the background with the pasted object (file or array), the training
            image's size or the finest scale's size.
        mask: the pasted object (white/1), same size as `composite`.
        start_scale: injection scale n, 1 <= n <= K − 1 (0 = coarsest).
        seed: noise seed.
        dilation_radius: mask dilation in pixels; default 7 px scaled to the image size.
        blur_sigma: blur of the dilated mask in pixels; default 5 px scaled to the image.

    Returns:
        (H, W, 3) float32 at the finest scale; equal to the composite wherever the blending
        mask is 0.

    Raises:
        ValueError: a bad image, mask or start scale (the message names the flag).

    Example:
        >>> from singan_keras.applications import harmonize
        >>> out = harmonize(model, "hubble_deep_field_composite.png",
        ...                 "hubble_deep_field_composite_mask.png", start_scale=3,
        ...                 seed=0)  # doctest: +SKIP
    """
    return _inject_and_blend(
        model, composite, mask, start_scale, seed, dilation_radius, blur_sigma, "COMPOSITE",
        HARMONIZATION_RADIUS,
    )  # fmt: skip
