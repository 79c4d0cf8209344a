"""Collect only the active backend's package (the others may not even be installed)."""

import keras

collect_ignore_glob = [
    f"singan_keras/backends/{name}/*"
    for name in ("tensorflow", "jax", "torch")
    if name != keras.backend.backend()
]
