"""PyTorch: `torch.autograd` train step, channels-first layout, three fast paths.

See `singan_keras.backends` for why each piece exists and what it gained.
"""

from __future__ import annotations

import keras
import torch

from singan_keras.backends.common import (
    PLAIN_NETWORK_CLASSES,
    NetworkClasses,
    NoOptimizerHooks,
    call,
    no_compile_cache,
)
from singan_keras.backends.torch.fused import BatchNormalization, Functional
from singan_keras.backends.torch.train_step import TrainStep

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

# torch 2.13 (CPU) fails the penalty's double backward through a 1-output-channel
# convolution in channels-last memory format (backends note 1).
DATA_FORMAT = "channels_first"
run_as_one_program = call  # eager calls keep nothing per shape that matters
no_gradients = torch.no_grad  # eager torch records every call of a trainable network
enable_compile_cache = no_compile_cache  # eager: nothing compiled
OptimizerMixin = NoOptimizerHooks  # the foreach update is called by TrainStep.apply_gradients


def network_classes(fast_paths: bool) -> NetworkClasses:
    """Fused BatchNorm and the direct-call model class (fast paths 5 and 6), or Keras' own."""
    if not fast_paths:
        return PLAIN_NETWORK_CLASSES
    return NetworkClasses(
        conv=PLAIN_NETWORK_CLASSES.conv,
        critic_conv=PLAIN_NETWORK_CLASSES.critic_conv,
        batch_norm=BatchNormalization,
        model=Functional,
    )


def default_device() -> str:
    """Where Keras puts new tensors, in one line: ``"cuda:0 (<GPU name>)"`` or ``"cpu"``.

    Keras' torch backend picks ``KERAS_TORCH_DEVICE`` if set, else MPS, CUDA, XPU, CPU in
    that order, once at import; the device of a tensor Keras creates is that choice.
    """
    device = keras.ops.convert_to_tensor(0.0).device
    if device.type == "cuda":
        index = torch.cuda.current_device() if device.index is None else device.index
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


def accelerators() -> list[str]:
    """Names of the CUDA devices torch can use (empty on a CPU-only machine)."""
    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
