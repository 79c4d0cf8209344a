"""singan_keras: SinGAN (Shaham, Dekel, Michaeli, ICCV 2019) in Keras 3.

Learns a generative model of the patches of ONE image with a pyramid of small fully
convolutional GANs, coarse to fine, and runs unchanged on the TensorFlow, JAX and PyTorch
backends (choose with the ``KERAS_BACKEND`` environment variable).

The public names are loaded on first use (PEP 562), so ``import singan_keras`` — and the
``singan --help`` command line — does not start a deep-learning backend.

Example:
    >>> from singan_keras import SinGAN, scale_schedule
    >>> scale_schedule(186, 248).num_scales
    9
"""

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "PRESETS": "singan_keras.config",
    "TrainConfig": "singan_keras.config",
    "preset": "singan_keras.config",
    "ImageError": "singan_keras.image_io",
    "load_image": "singan_keras.image_io",
    "save_grid": "singan_keras.image_io",
    "save_image": "singan_keras.image_io",
    "ScaleSchedule": "singan_keras.pyramid",
    "build_pyramid": "singan_keras.pyramid",
    "scale_schedule": "singan_keras.pyramid",
    "SinGAN": "singan_keras.singan",
    "RunDirectoryError": "singan_keras.checkpoint",
    "ScaleResult": "singan_keras.training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'singan_keras' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
