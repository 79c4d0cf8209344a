"""The run directory: a self-contained, resumable record of a trained pyramid.

This module owns the format: what is written, in which order, and how it is read back.
Training (`singan_keras.training`) knows nothing of files; `RunDirectoryWriter` is the hook it
calls after each finished scale.

Layout (scale 0 = coarsest)::

    RUN_DIR/
      manifest.json          format version, package/Keras versions, backend, config,
                             schedule, and one entry per *finished* scale (channels, σ_n)
      reals.npz              the real image at every scale (float32, HWC, [-1, 1])
      z_star.npy             the fixed reconstruction noise of the coarsest scale
      scale_00/generator.weights.h5, critic.weights.h5,
               losses.csv    Keras' CSVLogger: ``epoch`` (= the iteration, from 0), then
                             each logged loss, one row per iteration
      ...
      .lock                  the PID of the process writing the run (see `RunDirectoryLock`)

Only Keras-native weight files and plain numpy arrays (``allow_pickle=False``) are written —
loading never executes code from the directory. Every file is written atomically
(`singan_keras.files.atomic_write_path`), and the manifest is rewritten *after* a scale's
files, so a run killed at any moment leaves a directory whose manifest lists only complete
scales. A killed process may leave a temporary file (``.tmp-*``) behind; resuming deletes it.
One process at a time writes a run directory: training holds an OS lock on ``RUN_DIR/.lock``.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
import warnings
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np

from singan_keras import __version__
from singan_keras.config import TrainConfig
from singan_keras.errors import InputError
from singan_keras.files import TEMPORARY_PREFIX, atomic_write_path, move_into_place, new_temporary
from singan_keras.models import build_critic, build_generator, channels_at_scale
from singan_keras.pyramid import ScaleSchedule

try:  # POSIX; elsewhere (Windows) run directories are not locked
    import fcntl
except ImportError:  # pragma: no cover - not on the CI's platforms
    fcntl = None

__all__ = [
    "FORMAT_VERSION",
    "RunDirectoryError",
    "RunDirectoryLock",
    "RunDirectoryWriter",
    "SavedRun",
    "build_manifest",
    "load_reals",
    "parse_manifest",
    "read_manifest",
    "read_run",
    "remove_temporaries",
    "save_run",
    "schedule_from_dict",
    "schedule_to_dict",
    "write_manifest",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REALS = "reals.npz"
Z_STAR = "z_star.npy"
LOSSES = "losses.csv"
LOCK = ".lock"


class RunDirectoryError(InputError):
    """A run directory is missing, incomplete, corrupt, from an incompatible version, or being
    written by another process."""


# -- files -----------------------------------------------------------------------------------


def remove_temporaries(run_dir: Path) -> list[Path]:
    """Deletes the temporary files a killed process left in a run directory; returns them.

    Finished files are never temporaries: they only get their name by an atomic rename.
    ``.*.tmp`` are the temporaries of images written by singan_keras 0.1.
    """
    run_dir = Path(run_dir)
    stale = sorted({*run_dir.rglob(f"{TEMPORARY_PREFIX}*"), *run_dir.rglob(".*.tmp")})
    for path in stale:
        if path.is_file():
            path.unlink(missing_ok=True)
    return stale


def write_manifest(run_dir: Path, manifest: dict[str, Any]) -> None:
    with atomic_write_path(Path(run_dir) / MANIFEST, ".json") as temporary:
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
    with atomic_write_path(path, ".npz") as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **arrays)


def save_array(path: Path, array: np.ndarray) -> None:
    with atomic_write_path(path, ".npy") as temporary:
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
    with atomic_write_path(path, ".weights.h5") as temporary:
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


# -- the manifest ----------------------------------------------------------------------------


def schedule_to_dict(schedule: ScaleSchedule) -> dict[str, Any]:
    """The manifest's ``schedule`` entry (JSON types only)."""
    return {
        "input_shape": list(schedule.input_shape),
        "resized_shape": list(schedule.resized_shape),
        "resize_factor": schedule.resize_factor,
        "scale_factor": schedule.scale_factor,
        "sizes": [list(s) for s in schedule.sizes],
    }


def schedule_from_dict(values: dict[str, Any]) -> ScaleSchedule:
    """Inverse of `schedule_to_dict`."""
    return ScaleSchedule(
        input_shape=tuple(values["input_shape"]),
        resized_shape=tuple(values["resized_shape"]),
        resize_factor=float(values["resize_factor"]),
        scale_factor=float(values["scale_factor"]),
        sizes=tuple(tuple(s) for s in values["sizes"]),
    )


def build_manifest(
    config: TrainConfig,
    schedule: ScaleSchedule,
    scales: Sequence[tuple[int, float]],
    source: str,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest of a run whose finished scales have these (channels, σ).

    Entries of `previous` (an earlier manifest of the same run) are kept as they are, with
    their timings; `created` and `source` too.

    Example:
        >>> from singan_keras import preset, scale_schedule
        >>> schedule = scale_schedule(60, 80, 0.75, 25, 64)
        >>> manifest = build_manifest(preset("quick"), schedule, [(32, 1.0)], "coffee")
        >>> manifest["num_scales"] == schedule.num_scales, len(manifest["scales"])
        (True, 1)
        >>> entry = manifest["scales"][0]
        >>> entry["size"] == list(schedule.sizes[0]), entry["channels"], entry["noise_amplitude"]
        (True, 32, 1.0)
    """
    previous = previous or {}
    entries = [dict(entry) for entry in previous.get("scales", [])][: len(scales)]
    for k in range(len(entries), len(scales)):
        channels, noise_amplitude = scales[k]
        entries.append(
            {
                "index": k,
                "size": list(schedule.sizes[k]),
                "channels": int(channels),
                "noise_amplitude": float(noise_amplitude),
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "singan_keras_version": __version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "created": previous.get("created", datetime.now(UTC).isoformat(timespec="seconds")),
        "source": previous.get("source", source),
        "config": config.to_dict(),
        "schedule": schedule_to_dict(schedule),
        "num_scales": schedule.num_scales,
        "scales": entries,
    }


def parse_manifest(
    run_dir: Path, manifest: dict[str, Any]
) -> tuple[TrainConfig, ScaleSchedule, list[tuple[int, float]]]:
    """(config, schedule, (channels, σ) of every finished scale) of a run's manifest.

    Raises:
        RunDirectoryError: a missing or malformed entry.
    """
    try:
        config = TrainConfig.from_dict(manifest["config"])
        schedule = schedule_from_dict(manifest["schedule"])
        scales = [(int(e["channels"]), float(e["noise_amplitude"])) for e in manifest["scales"]]
        num_scales = manifest["num_scales"]
    except KeyError as error:
        raise RunDirectoryError(f"{run_dir}: malformed manifest (no entry {error}).") from None
    except (AttributeError, TypeError, ValueError) as error:
        raise RunDirectoryError(f"{run_dir}: malformed manifest ({error}).") from None
    if type(num_scales) is not int or num_scales != schedule.num_scales:
        raise RunDirectoryError(
            f"{run_dir}: malformed manifest (num_scales is {num_scales!r} but the schedule "
            f"lists {schedule.num_scales} scales)."
        )
    if len(scales) > schedule.num_scales or any(channels < 1 for channels, _ in scales):
        raise RunDirectoryError(
            f"{run_dir}: malformed manifest ({len(scales)} finished scales for a "
            f"{schedule.num_scales}-scale schedule)."
        )
    return config, schedule, scales


def load_reals(run_dir: Path, sizes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """The real image at every scale from ``reals.npz``, checked against the schedule."""
    path = Path(run_dir) / REALS
    arrays = load_array_file(path)
    expected = {f"scale_{k:02d}": (*size, 3) for k, size in enumerate(sizes)}
    if not isinstance(arrays, dict) or {k: v.shape for k, v in arrays.items()} != expected:
        raise RunDirectoryError(
            f"{path}: not this run's image pyramid (expected {len(sizes)} scales of sizes "
            f"{[tuple(size) for size in sizes]})."
        )
    return [arrays[key].astype(np.float32) for key in expected]


# -- whole runs ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SavedRun:
    """Everything `read_run` reads back: the fields of a `singan_keras.SinGAN`."""

    generators: list[keras.Model]
    noise_amplitudes: list[float]
    schedule: ScaleSchedule
    reals: list[np.ndarray]
    z_star: np.ndarray
    config: TrainConfig
    metadata: dict[str, Any]


def read_run(run_dir: str | os.PathLike) -> SavedRun:
    """Loads the finished scales of a run directory (frozen generators), under any backend.

    Raises:
        RunDirectoryError: the directory is not a complete, compatible run.
    """
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    config, schedule, scales = parse_manifest(run_dir, manifest)
    reals = load_reals(run_dir, schedule.sizes)
    z_star = load_array_file(run_dir / Z_STAR)
    if not isinstance(z_star, np.ndarray) or z_star.shape != (*schedule.sizes[0], 3):
        raise RunDirectoryError(f"{run_dir}/{Z_STAR}: wrong shape for this run.")
    generators, amplitudes = [], []
    for k, (channels, noise_amplitude) in enumerate(scales):
        # Any seed: the weights are loaded over it (an unseeded build would draw its seeds
        # from the user's global `random`).
        generator = build_generator(channels, name=f"generator_{k:02d}", seed=0)
        load_weights(generator, scale_dir(run_dir, k) / "generator.weights.h5")
        generator.trainable = False
        generators.append(generator)
        amplitudes.append(noise_amplitude)
    return SavedRun(
        generators, amplitudes, schedule, reals, z_star.astype(np.float32), config, manifest
    )


def save_run(run_dir: str | os.PathLike, model: Any) -> dict[str, Any]:
    """Writes a model (a `singan_keras.SinGAN`) as a run directory; returns its manifest.

    Critics are not written (a saved model samples; resuming training needs a run directory
    written during training). Holds the directory's lock while writing.
    """
    run_dir = Path(run_dir)
    with RunDirectoryLock(run_dir):
        reals = {f"scale_{k:02d}": real for k, real in enumerate(model.reals)}
        save_arrays(run_dir / REALS, **reals)
        save_array(run_dir / Z_STAR, model.z_star)
        for k, generator in enumerate(model.generators):
            save_weights(generator, scale_dir(run_dir, k) / "generator.weights.h5")
        manifest = build_manifest(
            model.config,
            model.schedule,
            list(zip(model.channels, model.noise_amplitudes, strict=True)),
            model.metadata.get("source", "array"),
            model.metadata,
        )
        write_manifest(run_dir, manifest)
    return manifest


# -- one writer at a time --------------------------------------------------------------------


class RunDirectoryLock:
    """An exclusive OS lock on ``RUN_DIR/.lock``, which holds the PID of the process in it.

    ``fcntl.flock``: the OS releases it when the process ends, killed or not, so a stale lock
    never blocks a resume. POSIX only; on other systems (Windows) nothing is locked. The lock
    file stays in the directory (deleting it would let a third process lock a new file while
    a second still waits on the old one).

    Example:
        >>> import os, pathlib, tempfile
        >>> run_dir = pathlib.Path(tempfile.mkdtemp())
        >>> with RunDirectoryLock(run_dir):  # a second lock, even in this process, fails
        ...     try:
        ...         RunDirectoryLock(run_dir).acquire()
        ...     except RunDirectoryError as error:
        ...         print(f"another process (PID {os.getpid()})" in str(error))
        True
    """

    def __init__(self, run_dir: str | os.PathLike):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK
        self._handle: int | None = None

    def acquire(self) -> None:
        """Takes the lock (creating the directory), or raises without waiting.

        Raises:
            RunDirectoryError: another process holds it; the message names its PID.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if fcntl is None or self._handle is not None:
            return
        handle = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(handle)
            os.close(handle)
            raise RunDirectoryError(
                f"{self.run_dir} is being written by another process (PID {holder}); wait "
                "for it to finish or stop it, then try again."
            ) from None
        except BaseException:
            os.close(handle)
            raise
        os.ftruncate(handle, 0)
        os.pwrite(handle, f"{os.getpid()}\n".encode(), 0)
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            os.ftruncate(self._handle, 0)  # no stale PID for a reader that looks later
            os.close(self._handle)  # closing releases the lock
            self._handle = None

    def __enter__(self) -> RunDirectoryLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()


def _lock_holder(handle: int) -> str:
    """The PID in a lock file another process holds (it writes it right after locking)."""
    for _ in range(50):
        text = os.pread(handle, 32, 0).decode(errors="replace").strip()
        if text:
            return text
        time.sleep(0.01)
    return "unknown"


# -- saving a run while it trains ------------------------------------------------------------


class _LossesCSV(keras.callbacks.CSVLogger):
    """Keras' `CSVLogger`, without the empty ``val_*`` columns it adds when there is no
    validation data."""

    def on_epoch_end(self, epoch, logs=None):
        if self.keys is None:
            self.keys = sorted(logs or {})
        super().on_epoch_end(epoch, logs)


class RunDirectoryWriter:
    """Saves a training run scale by scale: the hook `singan_keras.training.train_pyramid`
    calls around each scale.

    Use as a context manager: `open` takes the directory's lock (held until the block ends)
    and checks what the directory holds; `start` writes the image pyramid, z* and the
    manifest; then, per scale, `scale_begin` checks the free disk space and gives the scale's
    ``fit()`` a `CSVLogger` writing to a temporary file, and `scale_end` writes the scale's
    weights, moves the losses into ``losses.csv`` and rewrites the manifest.

    Args:
        run_dir: the run directory (created if missing).
        source: where the image came from, recorded in the manifest.
    """

    def __init__(self, run_dir: str | os.PathLike, source: str = "array"):
        self.run_dir = Path(run_dir)
        self.source = source
        self.config: TrainConfig | None = None
        self.manifest: dict[str, Any] = {}
        self._lock = RunDirectoryLock(self.run_dir)
        self._losses: Path | None = None

    def __enter__(self) -> RunDirectoryWriter:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def open(self, config: TrainConfig, schedule: ScaleSchedule, *, resume: bool) -> bool:
        """Locks the directory and checks it; returns whether it holds a run to resume.

        Raises:
            NotADirectoryError: the path is a file.
            RunDirectoryError: another process writes it; it holds a run and `resume` is
                False; or the run was trained with another configuration or image.
        """
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise NotADirectoryError(
                f"Output directory {self.run_dir} exists and is not a directory."
            )
        self._lock.acquire()
        self.config = config
        if not (self.run_dir / MANIFEST).exists():
            return False
        if not resume:
            raise RunDirectoryError(
                f"{self.run_dir} already holds a training run. Pass --resume to continue it, "
                "or choose another output directory."
            )
        saved, saved_schedule, _ = parse_manifest(self.run_dir, read_manifest(self.run_dir))
        if saved != config:
            changed = sorted(k for k, v in saved.to_dict().items() if config.to_dict()[k] != v)
            raise RunDirectoryError(
                f"{self.run_dir}: cannot resume with a different configuration (changed: "
                f"{', '.join(changed)}). Resume with the original settings."
            )
        if saved_schedule != schedule:
            raise RunDirectoryError(
                f"{self.run_dir}: the image does not match the one this run was trained on."
            )
        remove_temporaries(self.run_dir)  # ours to delete: the lock says no one else writes
        return True

    def last_critic(self, channels: Sequence[int]) -> keras.Model | None:
        """D of the last finished scale (the next scale may start from it), or None."""
        if not channels:
            return None
        k = len(channels) - 1
        critic = build_critic(channels[k], name=f"critic_{k:02d}", seed=0)  # weights loaded next
        load_weights(critic, scale_dir(self.run_dir, k) / "critic.weights.h5")
        return critic

    def start(self, pyramid: Any) -> None:
        """Writes what a new run needs before its first scale; (re)writes the manifest.

        `pyramid` is the `singan_keras.SinGAN` being trained; its ``metadata`` is kept equal
        to the manifest on disk.
        """
        if pyramid.generators:  # resumed: keep the manifest's entries (and their timings)
            self.manifest = dict(pyramid.metadata)
        else:
            reals = {f"scale_{k:02d}": real for k, real in enumerate(pyramid.reals)}
            save_arrays(self.run_dir / REALS, **reals)
            save_array(self.run_dir / Z_STAR, pyramid.z_star)
        self._write_manifest(pyramid)

    def scale_begin(self, scale: int) -> list[keras.callbacks.Callback]:
        """Checks the free space for the scale; returns the callback that logs its losses.

        Raises:
            OSError: (ENOSPC) the disk could not hold the scale's files.
        """
        self._check_free_space(scale)
        self._discard_losses()
        self._losses = new_temporary(scale_dir(self.run_dir, scale) / LOSSES, ".csv")
        return [_LossesCSV(self._losses)]

    def scale_end(self, pyramid: Any, trained: Any) -> None:
        """Writes a finished scale (a `singan_keras.training.TrainedScale`), manifest last."""
        k = trained.result.scale
        directory = scale_dir(self.run_dir, k)
        save_weights(trained.generator, directory / "generator.weights.h5")
        save_weights(trained.critic, directory / "critic.weights.h5")
        if self._losses is not None:
            move_into_place(self._losses, directory / LOSSES)
            self._losses = None
        if k == 0:  # z* may have been redrawn during scale 0 (an official-code option)
            save_array(self.run_dir / Z_STAR, pyramid.z_star)
        result = trained.result
        timing = dict(
            seconds=round(result.seconds, 3),
            first_iteration_seconds=round(result.first_iteration_seconds, 3),
            seconds_per_iteration=round(result.seconds_per_iteration, 5),
        )
        self._write_manifest(pyramid, timing)

    def close(self) -> None:
        """Deletes an unfinished scale's losses and releases the lock."""
        self._discard_losses()
        self._lock.release()

    def _write_manifest(self, pyramid: Any, timing: dict[str, float] | None = None) -> None:
        scales = list(zip(pyramid.channels, pyramid.noise_amplitudes, strict=True))
        self.manifest = build_manifest(
            pyramid.config, pyramid.schedule, scales, self.source, self.manifest or None
        )
        if timing is not None:
            self.manifest["scales"][-1].update(timing)
        write_manifest(self.run_dir, self.manifest)
        pyramid.metadata = self.manifest

    def _discard_losses(self) -> None:
        if self._losses is not None:
            self._losses.unlink(missing_ok=True)
            self._losses = None

    def _check_free_space(self, k: int) -> None:
        """Stops before training scale k when the disk could not hold its files.

        The estimate is twice the weights of G_k and D_k (about 27·c² parameters each, 4
        bytes per parameter) plus 1 MiB for the HDF5 overhead, losses and manifest. A write
        that fails anyway (another process filled the disk) still leaves the finished scales
        intact.
        """
        config = self.config
        channels = channels_at_scale(
            k, config.base_channels, config.max_channels, config.channels_double_every
        )
        needed = 2 * 2 * 27 * channels**2 * 4 + 64 * config.iterations + 2**20
        free = shutil.disk_usage(self.run_dir).free
        if free < needed:
            raise OSError(
                errno.ENOSPC,
                f"Not enough free space to save scale {k} (about {needed / 2**20:.1f} MiB "
                f"needed, {free / 2**20:.1f} MiB free)",
                str(self.run_dir),
            )
