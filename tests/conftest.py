"""Shared test set-up: a persistent JAX compile cache and the tiny training configuration."""

import importlib.util
import os
import tempfile
from pathlib import Path

# Must be set before JAX is imported (Keras imports it on the jax backend).
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR", str(Path(tempfile.gettempdir()) / "singan_keras_jax_cache")
)
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


def requires_backends(*names: str):
    """Skips a cross-backend test when one of the backends `names` is not installed.

    The README's test command must pass with one backend installed; the reason names the
    missing ones. ``find_spec`` looks without importing (importing TensorFlow under another
    backend costs seconds and changes the process).
    """
    missing = [name for name in names if importlib.util.find_spec(name) is None]
    backends = "backend" if len(missing) == 1 else "backends"
    return pytest.mark.skipif(
        bool(missing), reason=f"needs the {' and '.join(missing)} {backends}, not installed"
    )


def tiny_config(**overrides):
    """The smallest real run: 3 scales of ~14-21 px, 4 channels, a few iterations."""
    from singan_keras import preset

    values = dict(
        min_size=14,
        max_size=24,
        iterations=3,
        critic_steps=1,
        generator_steps=1,
        base_channels=4,
        max_channels=8,
        channels_double_every=2,
    )
    values.update(overrides)
    return preset("quick", **values)


def smooth_image(height=24, width=28, seed=0):
    """A smooth random colour image in [-1, 1] (structure at several scales)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width] / max(height, width)
    channels = []
    for _ in range(3):
        a, b, c = rng.uniform(2, 8, 3)
        channels.append(
            np.sin(a * x + rng.uniform(0, 6)) * np.cos(b * y) * 0.6 + 0.2 * np.sin(c * x * y)
        )
    return np.clip(np.stack(channels, -1), -1, 1).astype(np.float32)


@pytest.fixture(scope="session")
def backend():
    import keras

    return keras.backend.backend()
