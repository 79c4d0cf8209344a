"""What the backend packages share: the plain (no fast path) choices they start from."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import keras

__all__ = [
    "FAST_PATHS",
    "NetworkClasses",
    "PLAIN_NETWORK_CLASSES",
    "plain_adam_update",
    "no_compile_cache",
    "call",
]

#: False when the environment variable ``SINGAN_KERAS_FAST_PATHS`` was ``0`` (or ``false``,
#: ``no``, ``off``) when singan_keras was imported: every backend then uses the plain path.
FAST_PATHS = os.environ.get("SINGAN_KERAS_FAST_PATHS", "1").strip().lower() not in (
    "0",
    "false",
    "no",
    "off",
)


@dataclass(frozen=True)
class NetworkClasses:
    """The classes `singan_keras.models` builds G_n and D_n from.

    Attributes:
        conv: the generator's convolutions.
        critic_conv: the critic's convolutions (differentiated twice by the penalty).
        batch_norm: every BatchNorm layer.
        model: the functional model class of both networks.
    """

    conv: type
    critic_conv: type
    batch_norm: type
    model: type


PLAIN_NETWORK_CLASSES = NetworkClasses(
    conv=keras.layers.Conv2D,
    critic_conv=keras.layers.Conv2D,
    batch_norm=keras.layers.BatchNormalization,
    model=keras.Model,
)


def plain_adam_update(optimizer, grads, variables) -> None:
    """Keras' own update: ``optimizer.apply`` (runs `TorchStyleAdam.update_step` per variable)."""
    optimizer.apply(grads, variables)


def call(function, variables, *arguments):
    """Backends that keep nothing per shape for an eager call: ``function(*arguments)``."""
    return function(*arguments)


def no_compile_cache(directory=None):
    """Backends whose compiled steps are not cached on disk: nothing to turn on."""
    return None


class NoOptimizerHooks:
    """An optimizer mixin that changes nothing."""


nullcontext = contextlib.nullcontext
