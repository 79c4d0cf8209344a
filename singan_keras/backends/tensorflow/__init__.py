"""TensorFlow: `tf.GradientTape` train step, a memory workaround, a correction; no fast path.

TensorFlow's graph compiler (``tf.function``) already fuses Keras' composed BatchNorm and Adam,
so nothing here is a fast path (see `singan_keras.backends`).
"""

from __future__ import annotations

import dataclasses

import keras

from singan_keras.backends.common import (
    PLAIN_NETWORK_CLASSES,
    NetworkClasses,
    call,
    no_compile_cache,
    nullcontext,
)
from singan_keras.backends.tensorflow.layers import BatchNormalization
from singan_keras.backends.tensorflow.train_step import TrainStep

__all__ = [
    "DATA_FORMAT",
    "OptimizerMixin",
    "TrainStep",
    "accelerators",
    "default_device",
    "enable_compile_cache",
    "network_classes",
    "no_gradients",
    "run_as_one_program",
]

DATA_FORMAT = "channels_last"
run_as_one_program = call  # eager calls keep nothing per shape that matters
no_gradients = nullcontext  # TensorFlow records gradients only inside a GradientTape
enable_compile_cache = no_compile_cache


class OptimizerMixin:
    """Skips Keras' cross-replica gradient sum (backends note 3: ~25 MiB kept per scale)."""

    def _all_reduce_sum_gradients(self, grads_and_vars):
        # Keras sums gradients across replicas with a `tf.custom_gradient`, which registers a
        # gradient function per trace in TF's global registry and so keeps every scale's
        # traced train step alive. A SinGAN scale trains on one device with batch 1.
        return list(grads_and_vars)


def network_classes(fast_paths: bool) -> NetworkClasses:
    """Keras' own classes (tf.function fuses them), but a BatchNorm whose moments can be
    differentiated twice, with the fast paths on or off: it is a correction, not a speed-up
    (`singan_keras.backends.tensorflow.layers`)."""
    return dataclasses.replace(PLAIN_NETWORK_CLASSES, batch_norm=BatchNormalization)


def default_device() -> str:
    """Where TensorFlow places the float32 ops Keras runs, in one line: ``"GPU:0 (<GPU
    name>)"`` or ``"cpu"`` (TensorFlow's placer prefers the first GPU when one is visible)."""
    import tensorflow as tf

    result = keras.ops.add(keras.ops.convert_to_tensor(0.0), 1.0)  # an op, not a constant
    spec = tf.DeviceSpec.from_string(result.device)
    if spec.device_type != "GPU":
        return "cpu"
    index = spec.device_index or 0
    gpus = tf.config.list_physical_devices("GPU")
    details = tf.config.experimental.get_device_details(gpus[index]) if index < len(gpus) else {}
    return f"GPU:{index} ({details.get('device_name', 'unnamed GPU')})"


def accelerators() -> list[str]:
    """Names of the GPUs TensorFlow will use (empty on a CPU-only machine)."""
    import tensorflow as tf

    return [device.name for device in tf.config.list_physical_devices("GPU")]
