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
loading never executes code from the directory. Every file is written to a temporary name,
flushed to disk (``fsync``) and renamed into place (atomic on POSIX), and the manifest is
rewritten *after* a scale's files, so a run killed at any moment leaves a directory whose
manifest lists only complete scales. A killed process may leave a temporary file
(``.tmp-*``) behind; resuming deletes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from singan_keras.errors import InputError
from singan_keras.image_io import default_file_mode

__all__ = ["FORMAT_VERSION", "RunDirectoryError", "read_manifest", "write_manifest"]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class RunDirectoryError(InputError):
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
        _fsync(temporary)  # the data is on disk before the name points to it
        os.replace(temporary, path)
        _fsync(path.parent)  # and so is the new name
    finally:
        if temporary.exists():
            temporary.unlink()


def _fsync(path: Path) -> None:
    """Flushes a file, or on POSIX a directory's entries, to disk."""
    if path.is_dir() and os.name != "posix":  # Windows cannot open a directory
        return
    handle = os.open(path, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def remove_temporaries(run_dir: Path) -> list[Path]:
    """Deletes the temporary files a killed process left in a run directory; returns them.

    Finished files are never temporaries: they only get their name by an atomic rename.
    """
    stale = sorted({*Path(run_dir).rglob(".tmp-*"), *Path(run_dir).rglob(".*.tmp")})
    for path in stale:
        if path.is_file():
            path.unlink(missing_ok=True)
    return stale


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
    """Reads a ``.npy`` array or a ``.npz`` archive (as a dict); never unpickles."""
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return loaded
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    except FileNotFoundError:
        raise RunDirectoryError(f"{path}: missing from the run directory.") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        if "pickle" in str(error):  # numpy's hint to load it unsafely is not ours to give
            error = "it is not a plain array; reading it would need pickle, which can run code"
        raise RunDirectoryError(f"{path}: corrupt or not a numpy file ({error}).") from None


def scale_dir(run_dir: Path, scale: int) -> Path:
    return Path(run_dir) / f"scale_{scale:02d}"


def save_weights(model: keras.Model, path: Path) -> None:
    with _atomic_path(path, ".weights.h5") as temporary:
        model.save_weights(temporary)


def load_weights(model: keras.Model, path: Path) -> None:
    """`model.load_weights(path)` (HDF5 arrays only: no code is run), one-line errors."""
    if not path.is_file():
        raise RunDirectoryError(f"{path}: missing from the run directory.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except Exception as error:  # h5py/Keras raise many types for a bad file
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            if len(lines) > 1 and lines[0].endswith(":"):  # Keras: "...for object <X>:\n\n<why>"
                lines[0] = f"{lines[0]} {lines[1]}"
            message = lines[0].split(" Target variable:")[0] if lines else type(error).__name__
            message = message if len(message) <= 300 else message[:299] + "…"
            raise RunDirectoryError(
                f"{path}: corrupt or incompatible weights ({message})."
            ) from None
    for warning in caught:  # a successful load: pass Keras' warnings on unchanged
        warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
