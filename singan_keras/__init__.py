"""singan_keras: SinGAN (Shaham, Dekel, Michaeli, ICCV 2019) in Keras 3.

Learns a generative model of the patches of ONE image with a pyramid of small fully
convolutional GANs, coarse to fine, and runs unchanged on the TensorFlow, JAX and PyTorch
backends (choose with the ``KERAS_BACKEND`` environment variable).

Example:
    >>> from singan_keras import SinGAN, scale_schedule
    >>> scale_schedule(186, 248).num_scales
    9
"""

__version__ = "0.1.0"

from singan_keras.checkpoint import RunDirectoryError
from singan_keras.config import PRESETS, TrainConfig, preset
from singan_keras.image_io import ImageError, load_image, save_grid, save_image
from singan_keras.imresize import imresize
from singan_keras.pyramid import ScaleSchedule, build_pyramid, scale_schedule
from singan_keras.singan import SinGAN
from singan_keras.training import ScaleResult

__all__ = [
    "PRESETS",
    "ImageError",
    "RunDirectoryError",
    "ScaleResult",
    "ScaleSchedule",
    "SinGAN",
    "TrainConfig",
    "build_pyramid",
    "imresize",
    "load_image",
    "preset",
    "save_grid",
    "save_image",
    "scale_schedule",
]
