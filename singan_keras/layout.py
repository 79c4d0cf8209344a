"""Conversions between the public numpy layout and the networks' internal layout.

The public API always speaks numpy ``(N, H, W, 3)`` / ``(H, W, 3)`` arrays (channels last).
Inside the networks each backend uses its `singan_keras.backends.DATA_FORMAT`:
``channels_last`` on TensorFlow and JAX, ``channels_first`` on PyTorch (a torch bug in the
penalty's double backward, see `singan_keras.backends`). Conv kernels are stored
``(kh, kw, in, out)`` in both layouts, so weights move between backends unchanged.
"""

from __future__ import annotations

import keras
import numpy as np

from singan_keras.backends import DATA_FORMAT

__all__ = ["data_format", "channel_axis", "to_internal", "to_numpy_nhwc"]


def data_format() -> str:
    """The networks' internal layout: ``"channels_first"`` or ``"channels_last"``."""
    return DATA_FORMAT


def channel_axis() -> int:
    """Axis of the channels in an internal 4-D batch."""
    return 1 if data_format() == "channels_first" else -1


def spatial_shape(tensor) -> tuple[int, int]:
    """(H, W) of an internal 4-D batch."""
    shape = tuple(tensor.shape)
    return shape[2:4] if data_format() == "channels_first" else shape[1:3]


def internal_numpy(images: np.ndarray) -> np.ndarray:
    """Numpy NHWC (or HWC) -> a float32 numpy batch in the internal layout."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 3:
        images = images[None]
    if data_format() == "channels_first":
        images = np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    return images


def to_internal(images: np.ndarray):
    """Numpy NHWC (or HWC) -> a backend float32 tensor in the internal layout."""
    return keras.ops.convert_to_tensor(internal_numpy(images))


def to_numpy_nhwc(tensor) -> np.ndarray:
    """A backend tensor in the internal layout -> numpy float32 NHWC."""
    array = keras.ops.convert_to_numpy(tensor).astype(np.float32)
    if data_format() == "channels_first":
        array = array.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(array)
