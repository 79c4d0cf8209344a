"""Paint-to-image (paper §4, Fig. 11): turn a rough painting into a realistic image.

A clipart or paint with the layout of a scene is injected at a coarse scale n and the
finer scales are generated: the generators, trained on one real image, fill in its textures
and details. The coarser n is, the more the output departs from the paint's exact shapes.

Steps (official `paint2image.py`):

1. the paint (training image's size) is downscaled to scale n − 1 and upsampled to scale n,
   so it looks like a coarse-scale output (`injection.injection_input`);
2. optionally (``quantize=True``, official ``--quantization_flag``) its colours are first
   replaced by the nearest of 5 colours found by k-means on the *real* image at scale n, and
   the quantised paint is resized straight to scale n (as the official code does in that
   branch);
3. scales n .. finest run with fresh noise.

Named deviations: with quantisation, the official code also fine-tunes the pyramid from
scale n on quantised inputs (its ``train_paint``); we only quantise the paint. Our k-means
(`color_palette`) is a plain deterministic Lloyd iteration, not scikit-learn's.
"""

from __future__ import annotations

import os

import numpy as np

from singan_keras.imresize import imresize

__all__ = ["color_palette", "paint_to_image", "quantize_colors"]

NUM_COLORS = 5  # official: KMeans(n_clusters=5)


def color_palette(image: np.ndarray, num_colors: int = NUM_COLORS, iterations: int = 50):
    """The `num_colors` k-means centres of an image's pixel colours (deterministic).

    Initialisation without randomness: the pixel nearest the mean colour, then repeatedly
    the pixel farthest from the centres chosen so far; then Lloyd iterations.

    Args:
        image: (..., 3) array.
        num_colors: number of centres k.
        iterations: at most this many Lloyd iterations (stops when assignments settle).

    Returns:
        (k, 3) float64 array of centres.

    Example:
        >>> pixels = np.array([[0, 0, 0], [0, 0, 0.1], [1, 1, 1], [1, 1, 0.9]], float)
        >>> sorted(np.round(color_palette(pixels, 2), 2).tolist())
        [[0.0, 0.0, 0.05], [1.0, 1.0, 0.95]]
    """
    pixels = np.asarray(image, np.float64).reshape(-1, 3)
    colors = np.unique(pixels, axis=0)
    k = min(int(num_colors), len(colors))
    start = np.argmin(((pixels - pixels.mean(0)) ** 2).sum(1))
    centres = [pixels[start]]
    distance = ((pixels - centres[0]) ** 2).sum(1)
    while len(centres) < k:
        centres.append(pixels[np.argmax(distance)])
        distance = np.minimum(distance, ((pixels - centres[-1]) ** 2).sum(1))
    centres = np.array(centres)
    labels = None
    for _ in range(iterations):
        new_labels = _nearest(pixels, centres)
        if labels is not None and np.array_equal(new_labels, labels):
            break
        labels = new_labels
        for j in range(k):
            members = pixels[labels == j]
            if len(members):  # an emptied cluster keeps its centre
                centres[j] = members.mean(0)
    return centres


def _nearest(pixels: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return np.argmin(((pixels[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)


def quantize_colors(image: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Replaces every pixel by its nearest centre colour (official ``quant2centers``).

    Example:
        >>> quantize_colors(np.array([[[0.2, 0.2, 0.2]]]), np.array([[0, 0, 0], [1, 1, 1.]]))
        array([[[0., 0., 0.]]], dtype=float32)
    """
    image = np.asarray(image)
    labels = _nearest(image.reshape(-1, 3).astype(np.float64), np.asarray(centres, np.float64))
    return np.asarray(centres, np.float32)[labels].reshape(image.shape)


def paint_to_image(
    model,
    paint: str | os.PathLike | np.ndarray,
    start_scale: int,
    *,
    quantize: bool = False,
    seed: int | None = None,
) -> np.ndarray:
    """Paint-to-image (paper Fig. 11): generates a realistic image with the paint's layout.

    Args:
        model: the trained `SinGAN`.
        paint: the paint/clipart (file or (H, W, 3) array in [-1, 1]) with the training
            image's size or the finest scale's size.
        start_scale: injection scale n, 1 <= n <= K − 1 (0 = coarsest); the reference
            examples use the 2nd–4th coarsest scales.
        quantize: first snap the paint's colours to 5 k-means colours of the real image at
            scale n (official option).
        seed: noise seed; the same seed gives the same image under every backend.

    Returns:
        (H, W, 3) float32 in about [-1, 1], at the finest scale.

    Raises:
        ValueError: a paint of the wrong size or channel count, or a start scale out of
            range (the message names the flag).

    Example:
        >>> from singan_keras import SinGAN
        >>> from singan_keras.applications import paint_to_image
        >>> model = SinGAN.load("runs/rocket")  # doctest: +SKIP
        >>> image = paint_to_image(model, "rocket_paint.png", start_scale=2,
        ...                        seed=0)  # doctest: +SKIP
    """
    # Imported here so that `color_palette` & co. (used by data/extras/make_extras.py) work
    # without Keras.
    from singan_keras.applications.injection import (
        check_start_scale,
        inject,
        injection_input,
        load_user_image,
    )

    start_scale = check_start_scale(model, start_scale, minimum=1)
    _, finest = load_user_image(model, paint, "PAINT")
    if quantize:
        centres = color_palette(model.reals[start_scale])
        factor = model.schedule.scale_factor ** (model.num_scales - 1 - start_scale)
        quantized = quantize_colors(finest, centres)
        start = imresize(quantized, model.sizes[start_scale], scale=factor).astype(np.float32)
    else:
        start = injection_input(model, finest, start_scale)
    return inject(model, start, start_scale, seed=seed)[0]
