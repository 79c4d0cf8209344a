"""Collect only the active backend's package (the others may not even be installed).

Keras is not imported here: `tests/conftest.py` must set JAX's cache variables before JAX is
imported. The backend is found as Keras finds it: ``KERAS_BACKEND``, else the ``backend``
of ``$KERAS_HOME/keras.json`` (default ``~/.keras``), else TensorFlow.
"""

import json
import os
from pathlib import Path


def _keras_backend() -> str:
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    try:
        return json.loads((home / "keras.json").read_text()).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


collect_ignore_glob = [
    f"singan_keras/backends/{name}/*"
    for name in ("tensorflow", "jax", "torch")
    if name != _keras_backend()
]
