"""The multi-scale pyramid: how many scales, their sizes and the real image at each (paper §2.1).

Index direction: **scale 0 is the coarsest** and scale ``num_scales - 1`` the finest, the
order in which scales are trained (the reference code's order). The paper counts the other
way (x_N coarsest, x_0 finest): our scale ``k`` is the paper's ``n = N - k``.

The schedule reproduces the reference code's ``adjust_scales2image``: the image is first
downscaled so that its longer side is at most ``max_size``; the number of scales follows from
the nominal factor r0; then the factor is recomputed so that the shorter side of the coarsest
scale is ``min_size``:

    num_scales_nominal = ceil(log_{r0}(min_size / min(H, W))) + 1
    k = ceil(log_{r0}(min(max_size, max(H, W)) / max(H, W)))
    stop_scale = num_scales_nominal - k          (stop_scale + 1 scales are trained)
    r = (min_size / min(H', W')) ** (1 / stop_scale)
    size_i = ceil(size' * r ** (stop_scale - i))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from singan_keras.errors import InputError
from singan_keras.imresize import imresize

__all__ = ["ScaleSchedule", "scale_schedule", "build_pyramid"]


@dataclass(frozen=True)
class ScaleSchedule:
    """Sizes of every scale of a SinGAN pyramid, coarsest first.

    Attributes:
        input_shape: (H, W) of the image as given.
        resized_shape: (H', W') after the initial downscale to ``max_size``.
        resize_factor: the initial downscale factor, ``min(max_size / max(H, W), 1)``.
        scale_factor: the recomputed factor r between consecutive scales.
        sizes: (height, width) of each scale, ``sizes[0]`` the coarsest.
    """

    input_shape: tuple[int, int]
    resized_shape: tuple[int, int]
    resize_factor: float
    scale_factor: float
    sizes: tuple[tuple[int, int], ...]

    @property
    def num_scales(self) -> int:
        return len(self.sizes)

    def scale_relative_to_finest(self, scale: int) -> float:
        """r ** (stop_scale - scale): the resize factor from the finest image to `scale`."""
        return self.scale_factor ** (self.num_scales - 1 - scale)

    def __str__(self) -> str:
        lines = [
            f"{self.num_scales} scales, r = {self.scale_factor:.4f}, "
            f"input {self.input_shape[0]}x{self.input_shape[1]} -> "
            f"{self.resized_shape[0]}x{self.resized_shape[1]}"
        ]
        for i, (h, w) in enumerate(self.sizes):
            lines.append(f"  scale {i:2d}: {h:4d} x {w:4d}")
        return "\n".join(lines)


def scale_schedule(
    height: int,
    width: int,
    scale_factor: float = 0.75,
    min_size: int = 25,
    max_size: int = 250,
) -> ScaleSchedule:
    """Computes the scale schedule of the reference implementation for an image size.

    Args:
        height: image height in pixels.
        width: image width in pixels.
        scale_factor: nominal factor r0 in (0, 1).
        min_size: shorter side of the coarsest scale.
        max_size: longer side of the finest scale.

    Returns:
        A `ScaleSchedule`.

    Raises:
        ValueError: when the arguments are out of range or the image is too small to form a
            pyramid of at least two scales.

    Example:
        >>> s = scale_schedule(186, 248)
        >>> s.num_scales, round(s.scale_factor, 4), s.sizes[0]
        (9, 0.7781, (25, 34))
    """
    if not 0.0 < scale_factor < 1.0:
        raise InputError(f"scale_factor must be in (0, 1), got {scale_factor}.")
    if min_size < 1 or max_size < min_size:
        raise InputError(f"Need 1 <= min_size <= max_size, got {min_size} and {max_size}.")
    if height < 1 or width < 1:
        raise InputError(f"Image size must be positive, got {height}x{width}.")
    short, long = min(height, width), max(height, width)
    resize_factor = min(max_size / long, 1.0)
    resized = (math.ceil(height * resize_factor), math.ceil(width * resize_factor))
    if min(resized) <= min_size:
        raise InputError(
            f"The image is too small for min_size={min_size}: its shorter side is "
            f"{min(resized)} px after resizing to max_size={max_size} (input {height}x{width}). "
            f"Use a smaller --min-size or a larger image."
        )
    nominal_scales = math.ceil(math.log(min_size / short, scale_factor)) + 1
    scales_above_max = math.ceil(math.log(min(max_size, long) / long, scale_factor))
    stop_scale = nominal_scales - scales_above_max
    if stop_scale < 1:
        raise InputError(
            f"Image {height}x{width} with min_size={min_size}, max_size={max_size} gives a "
            "single scale; SinGAN needs at least two. Lower min_size or raise max_size."
        )
    factor = math.pow(min_size / min(resized), 1.0 / stop_scale)
    sizes = []
    for i in range(stop_scale + 1):
        relative = math.pow(factor, stop_scale - i)
        sizes.append((math.ceil(resized[0] * relative), math.ceil(resized[1] * relative)))
    return ScaleSchedule(
        input_shape=(height, width),
        resized_shape=resized,
        resize_factor=resize_factor,
        scale_factor=factor,
        sizes=tuple(sizes),
    )


def build_pyramid(image: np.ndarray, schedule: ScaleSchedule) -> list[np.ndarray]:
    """Resizes an (H, W, 3) image to every scale of `schedule`, coarsest first.

    The finest scale is the image resized by ``schedule.resize_factor``; each coarser scale is
    resized from that with factor ``r ** (stop_scale - i)`` (the reference's
    ``creat_reals_pyramid``), with the MATLAB-style bicubic `imresize`.

    `image` may also be a copy of the schedule's input already reduced on load (see
    `singan_keras.image_io.load_image`'s ``max_size``), at least ``schedule.resized_shape``:
    it is then resized to that shape.

    Example:
        >>> import numpy as np
        >>> image = np.zeros((60, 80, 3), np.float32)
        >>> [p.shape for p in build_pyramid(image, scale_schedule(60, 80, min_size=25))][:2]
        [(25, 34, 3), (30, 40, 3)]
    """
    if image.ndim != 3 or image.shape[-1] != 3:
        raise InputError(f"Expected an (H, W, 3) image, got shape {image.shape}.")
    shape = tuple(image.shape[:2])
    (low_h, low_w), (high_h, high_w) = schedule.resized_shape, schedule.input_shape
    reduced = low_h <= shape[0] <= high_h and low_w <= shape[1] <= high_w
    if shape != schedule.input_shape and not reduced:
        raise InputError(
            f"Image size {shape} does not match the schedule's {schedule.input_shape} (nor is "
            f"it a copy reduced on load to at least {schedule.resized_shape})."
        )
    if shape != schedule.input_shape:
        finest = imresize(image, schedule.resized_shape)
    elif schedule.resize_factor < 1.0:
        finest = imresize(image, schedule.resized_shape, scale=schedule.resize_factor)
    else:
        finest = image.astype(np.float32)
    pyramid = []
    for i, size in enumerate(schedule.sizes):
        if size == schedule.resized_shape:
            level = finest
        else:
            level = imresize(finest, size, scale=schedule.scale_relative_to_finest(i))
        # C order, as `numpy.load` gives them back: a float32 mean sums in memory order, so σ
        # would differ in its last bits between a fresh run and a resumed one (`imresize`
        # returns its result in another order).
        pyramid.append(np.ascontiguousarray(level, dtype=np.float32))
    return pyramid
