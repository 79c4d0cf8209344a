"""The run directory: a self-contained, resumable record of a trained pyramid.

Layout (scale 0 = coarsest)::

    RUN_DIR/
      manifest.json          format version, package/Keras versions, backend, config,
                             schedule, and one entry per *finished* scale (channels, σ_n)
      reals.npz              the real image at every scale (float32, HWC, [-1, 1])
      z_star.npy             the fixed reconstruction noise of the coarsest scale
      scale_00/generator.weights.h5, critic.weights.h5, losses.csv
      ...

Only Keras-native weight files and plain numpy arrays (``allow_pickle=False``) are written —
loading never executes code from the directory. Every file is written to a temporary name and
renamed into place (atomic on POSIX), and the manifest is rewritten *after* a scale's files,
so a run killed at any moment leaves a directory whose manifest lists only complete scales.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from singan_keras.image_io import default_file_mode

__all__ = ["FORMAT_VERSION", "RunDirectoryError", "read_manifest", "write_manifest"]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class RunDirectoryError(ValueError):
    """A run directory is missing, incomplete, corrupt or from an incompatible version."""


@contextlib.contextmanager
def _atomic_path(path: Path, suffix: str = ""):
    """Yields a temporary path next to `path`; renames it onto `path` if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=suffix)
    os.close(handle)
    temporary = Path(temporary)
    try:
        yield temporary
        os.chmod(temporary, default_file_mode())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    with _atomic_path(Path(run_dir) / MANIFEST, ".json") as temporary:
        temporary.write_text(json.dumps(manifest, indent=2) + "\n")


def read_manifest(run_dir: str | os.PathLike) -> dict[str, Any]:
    """Reads and checks ``RUN_DIR/manifest.json``.

    Raises:
        RunDirectoryError: no such directory or manifest, unreadable JSON, or a format
            version newer than this package understands.
    """
    run_dir = Path(run_dir)
    path = run_dir / MANIFEST
    if not run_dir.is_dir():
        raise RunDirectoryError(f"{run_dir}: not a run directory (no such directory).")
    if not path.is_file():
        raise RunDirectoryError(f"{run_dir}: not a run directory (no {MANIFEST}).")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RunDirectoryError(f"{path}: unreadable manifest ({error}).") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise RunDirectoryError(f"{path}: not a singan_keras manifest.")
    version = manifest["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise RunDirectoryError(
            f"{path}: run format version {version} is newer than this singan_keras "
            f"understands ({FORMAT_VERSION}); upgrade singan_keras to load it."
        )
    return manifest


def save_arrays(path: Path, **arrays: np.ndarray) -> None:
    with _atomic_path(path, ".npz") as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)


def save_array(path: Path, array: np.ndarray) -> None:
    with _atomic_path(path, ".npy") as temporary:
        with open(temporary, "wb") as handle:
            np.save(handle, array)


def load_array_file(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    try:
        loaded = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise RunDirectoryError(f"{path}: missing from the run directory.") from None
    except (OSError, ValueError, EOFError) as error:
        raise RunDirectoryError(f"{path}: corrupt or not a numpy file ({error}).") from None
    if isinstance(loaded, np.ndarray):
        return loaded
    with loaded:
        return {key: loaded[key] for key in loaded.files}


def scale_dir(run_dir: Path, scale: int) -> Path:
    return Path(run_dir) / f"scale_{scale:02d}"


def save_weights(model: keras.Model, path: Path) -> None:
    with _atomic_path(path, ".weights.h5") as temporary:
        model.save_weights(temporary)


def load_weights(model: keras.Model, path: Path) -> None:
    if not path.is_file():
        raise RunDirectoryError(f"{path}: missing from the run directory.")
    try:
        model.load_weights(path)
    except Exception as error:  # h5py/Keras raise many types for a bad file
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise RunDirectoryError(f"{path}: corrupt or incompatible weights ({message}).") from None
