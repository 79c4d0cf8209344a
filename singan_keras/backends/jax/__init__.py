"""JAX: stateless `jax.value_and_grad` train step, an opt-in compile cache, one fast path.

See `singan_keras.backends` for why each piece exists and what it gained.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax
import keras

from singan_keras.backends.common import (
    PLAIN_NETWORK_CLASSES,
    NetworkClasses,
    NoOptimizerHooks,
    nullcontext,
)
from singan_keras.backends.jax.convolution import Conv2D as FastConv2D
from singan_keras.backends.jax.train_step import TrainStep

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
no_gradients = nullcontext  # JAX differentiates only inside jax.grad
OptimizerMixin = NoOptimizerHooks


def network_classes(fast_paths: bool) -> NetworkClasses:
    """Every convolution in XLA:CPU's fast forms on a CPU (fast path 4), else Keras' own.

    GPU convolutions do not have XLA:CPU's slow forms, so the fast path is for the CPU only.
    """
    if not (fast_paths and jax.default_backend() == "cpu"):
        return PLAIN_NETWORK_CLASSES
    return NetworkClasses(
        conv=FastConv2D,
        critic_conv=FastConv2D,
        batch_norm=PLAIN_NETWORK_CLASSES.batch_norm,
        model=PLAIN_NETWORK_CLASSES.model,
    )


def run_as_one_program(function, variables, *arguments):
    """``function(*arguments)`` as one XLA program, freed once the call returns (note 9).

    Run eagerly, JAX compiles each operation once per new input shape and keeps the programs
    in process-wide caches for the life of the process (~25 programs, 25-60 MiB, per new image
    size: the reconstruction of every scale's size). A jitted function owns its programs:
    one made for this call is dropped, with them, when the call returns. The values of
    `variables` (the Keras variables `function` reads) and `arguments` enter the program as
    inputs, not constants, so another image of the same size gives the same program (a hit
    in the persistent compile cache).
    """

    def pure(values, *arguments):
        with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
            return function(*arguments)

    return jax.jit(pure)([variable.value for variable in variables], *arguments)


def enable_compile_cache(directory: str | Path | None = None) -> Path:
    """Turns on JAX's persistent compilation cache (process-wide JAX configuration).

    The library never calls this by itself: it changes JAX's global configuration, which
    belongs to the program. The ``singan`` command calls it (``singan env`` says where).
    A directory the user configured (``JAX_COMPILATION_CACHE_DIR``) is kept.

    Args:
        directory: where to cache; default ``$XDG_CACHE_HOME/singan_keras/jax`` (or
            ``~/.cache/...``).

    Returns:
        The cache directory in use.
    """
    if jax.config.jax_compilation_cache_dir:
        return Path(jax.config.jax_compilation_cache_dir)
    if directory is None:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        directory = base / "singan_keras" / "jax"
    jax.config.update("jax_compilation_cache_dir", str(directory))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 1.0)
    return Path(directory)


def default_device() -> str:
    """Where JAX runs what Keras creates, in one line: ``"gpu:0 (<device kind>)"`` or
    ``"cpu"`` (JAX's default device: the first of `jax.devices()`, unless configured)."""
    [device] = keras.ops.convert_to_tensor(0.0).devices()
    if device.platform == "cpu":
        return "cpu"
    return f"{device.platform}:{device.id} ({device.device_kind})"


def accelerators() -> list[str]:
    """The non-CPU devices JAX will use (empty on a CPU-only machine)."""
    return [str(device) for device in jax.devices() if device.platform != "cpu"]
