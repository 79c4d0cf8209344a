"""Coarse-to-fine training of the whole pyramid (paper §2.2), with per-scale checkpoints.

For every scale k = 0 (coarsest) .. K (finest):

1. build G_k and D_k; when their channel count equals scale k-1's, start from its trained
   weights (the reference's warm start), else from the initialisers;
2. compute the fixed reconstruction input (x~^rec_{k-1})↑r through the frozen scales and
   σ_k = 0.1 · RMSE(x_k, (x~^rec_{k-1})↑r)  (σ_0 = 1: the coarsest input is pure noise);
3. run ``config.iterations`` iterations of `ScaleTrainer` with ``fit()``;
4. freeze G_k (BatchNorm then uses its running statistics) and save the scale.

With a run directory, each finished scale is saved before the next starts, and
``resume=True`` restarts at the first unfinished scale.
"""

from __future__ import annotations

import csv
import errno
import math
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np

from singan_keras import __version__
from singan_keras.checkpoint import (
    FORMAT_VERSION,
    RunDirectoryError,
    _atomic_path,
    load_array_file,
    load_weights,
    read_manifest,
    remove_temporaries,
    save_array,
    save_arrays,
    save_weights,
    scale_dir,
    write_manifest,
)
from singan_keras.config import TrainConfig
from singan_keras.errors import InputError
from singan_keras.imresize import imresize
from singan_keras.layout import to_numpy_nhwc
from singan_keras.models import build_critic, build_generator, channels_at_scale
from singan_keras.pyramid import ScaleSchedule, build_pyramid, scale_schedule
from singan_keras.sampling import numpy_normal_map, reconstruct
from singan_keras.scale_trainer import ScaleTrainer

__all__ = ["ScaleResult", "train_pyramid"]

LOSS_NAMES = (
    "critic_loss",
    "wasserstein",
    "gradient_penalty",
    "generator_loss",
    "adversarial",
    "reconstruction",
)


@dataclass
class ScaleResult:
    """What `train_pyramid` reports after each scale (given to ``on_scale_end``).

    Attributes:
        scale: index of the finished scale (0 = coarsest).
        num_scales: total number of scales of the run.
        size: (H, W) of the scale.
        channels: channels of its networks.
        noise_amplitude: σ of the scale.
        losses: per-iteration values of each logged loss.
        seconds: wall time of the scale's training.
        first_iteration_seconds: wall time of the first iteration, which includes tracing /
            compiling the train step (JAX, TensorFlow).
    """

    scale: int
    num_scales: int
    size: tuple[int, int]
    channels: int
    noise_amplitude: float
    losses: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0
    first_iteration_seconds: float = 0.0

    @property
    def seconds_per_iteration(self) -> float:
        """Steady-state time per iteration (first, compiling iteration excluded)."""
        iterations = len(self.losses.get("critic_loss", []))
        if iterations < 2:
            return self.seconds
        return (self.seconds - self.first_iteration_seconds) / (iterations - 1)


class _LossRecorder(keras.callbacks.Callback):
    """Keeps every iteration's losses (``History`` keeps only epoch ends)."""

    def __init__(self):
        super().__init__()
        self.losses: dict[str, list[float]] = {name: [] for name in LOSS_NAMES}
        self.start = self.first_iteration_end = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.first_iteration_end is None:
            self.first_iteration_end = time.perf_counter()
        for name in LOSS_NAMES:
            if logs and name in logs:
                self.losses[name].append(float(logs[name]))


def _schedule_to_dict(schedule: ScaleSchedule) -> dict[str, Any]:
    return {
        "input_shape": list(schedule.input_shape),
        "resized_shape": list(schedule.resized_shape),
        "resize_factor": schedule.resize_factor,
        "scale_factor": schedule.scale_factor,
        "sizes": [list(s) for s in schedule.sizes],
    }


def schedule_from_dict(values: dict[str, Any]) -> ScaleSchedule:
    return ScaleSchedule(
        input_shape=tuple(values["input_shape"]),
        resized_shape=tuple(values["resized_shape"]),
        resize_factor=float(values["resize_factor"]),
        scale_factor=float(values["scale_factor"]),
        sizes=tuple(tuple(s) for s in values["sizes"]),
    )


def _write_losses(path: Path, losses: dict[str, list[float]]) -> None:
    with _atomic_path(path, ".csv") as temporary:
        with open(temporary, "w", newline="") as handle:
            writer = csv.writer(handle)
            names = [n for n in LOSS_NAMES if losses.get(n)]
            writer.writerow(["iteration", *names])
            for i, row in enumerate(zip(*(losses[n] for n in names), strict=True)):
                writer.writerow([i, *(f"{v:.6g}" for v in row)])


def train_pyramid(
    image: np.ndarray,
    config: TrainConfig,
    run_dir: str | Path | None = None,
    *,
    resume: bool = False,
    source: str = "array",
    input_shape: tuple[int, int] | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    on_scale_end: Callable[[Any, ScaleResult], None] | None = None,
    verbose: int | str = "auto",
):
    """Trains a SinGAN pyramid on one image; the engine behind `SinGAN.train`.

    Args:
        image: (H, W, 3) float32 image in [-1, 1].
        config: the `TrainConfig`.
        run_dir: where to save each finished scale; None keeps everything in memory.
        resume: continue the run in `run_dir` at its first unfinished scale.
        source: a label of where the image came from, stored in the manifest and named in
            errors.
        input_shape: (H, W) of the image file when `image` is a copy of it reduced on load
            (`singan_keras.image_io.load_image` with ``max_size``); the schedule follows the
            file's size. Default: ``image.shape[:2]``.
        callbacks: extra Keras callbacks given to every scale's ``fit()``.
        on_scale_end: called as ``on_scale_end(model_so_far, ScaleResult)`` after each scale.
        verbose: ``fit()`` verbosity (0 silent, 1 progress bar, 2 one line per scale).

    Returns:
        The trained `SinGAN`.
    """
    from singan_keras.singan import SinGAN  # the facade imports this module

    height, width = input_shape or image.shape[:2]
    try:
        schedule = scale_schedule(
            height, width, config.scale_factor, config.min_size, config.max_size
        )
    except ValueError as error:
        if source == "array":
            raise
        raise InputError(f"'{source}': {error}") from None
    reals = build_pyramid(image, schedule)
    sizes = list(schedule.sizes)
    num_scales = schedule.num_scales
    z_star = numpy_normal_map(np.random.default_rng(config.seed), sizes[0], single_channel=True)

    model = SinGAN(
        generators=[],
        noise_amplitudes=[],
        schedule=schedule,
        reals=reals,
        z_star=z_star,
        config=config,
        metadata={},
    )
    critic = None
    if run_dir is not None:
        run_dir = Path(run_dir)
        if run_dir.exists() and not run_dir.is_dir():
            raise NotADirectoryError(f"Output directory {run_dir} exists and is not a directory.")
        has_run = (run_dir / "manifest.json").exists()
        if resume and has_run:
            model, critic = _resume(run_dir, config, schedule)
            remove_temporaries(run_dir)
        elif has_run:
            raise RunDirectoryError(
                f"{run_dir} already holds a training run. Pass --resume to continue it, or "
                "choose another output directory."
            )
        else:
            run_dir.mkdir(parents=True, exist_ok=True)
            save_arrays(run_dir / "reals.npz", **{f"scale_{k:02d}": r for k, r in enumerate(reals)})
            save_array(run_dir / "z_star.npy", z_star)
        model.metadata = _manifest(model, source)
        write_manifest(run_dir, model.metadata)

    log = print if verbose else (lambda *a, **k: None)
    log(
        f"singan_keras {__version__} on Keras {keras.__version__}, backend "
        f"{keras.backend.backend()}: {schedule.num_scales} scales, r = {schedule.scale_factor:.4f}"
    )
    for k in range(len(model.generators), num_scales):
        if run_dir is not None:
            _check_free_space(run_dir, k, config)
        result = _train_scale(model, k, critic, config, callbacks, verbose, log)
        critic = result.pop("critic")
        scale_result: ScaleResult = result["result"]
        if run_dir is not None:
            directory = scale_dir(run_dir, k)
            save_weights(model.generators[k], directory / "generator.weights.h5")
            save_weights(critic, directory / "critic.weights.h5")
            _write_losses(directory / "losses.csv", scale_result.losses)
            if k == 0:
                save_array(run_dir / "z_star.npy", model.z_star)
            model.metadata = _manifest(model, source, model.metadata)
            model.metadata["scales"][k].update(
                seconds=round(scale_result.seconds, 3),
                first_iteration_seconds=round(scale_result.first_iteration_seconds, 3),
                seconds_per_iteration=round(scale_result.seconds_per_iteration, 5),
            )
            write_manifest(run_dir, model.metadata)
        if on_scale_end is not None:
            on_scale_end(model, scale_result)
    return model


def _check_free_space(run_dir: Path, k: int, config: TrainConfig) -> None:
    """Stops before training scale k when the disk could not hold its files.

    The estimate is twice the weights of G_k and D_k (about 27·c² parameters each, 4 bytes
    per parameter) plus 1 MiB for the HDF5 overhead, losses and manifest. A write that fails
    anyway (another process filled the disk) still leaves the finished scales intact.
    """
    channels = channels_at_scale(
        k, config.base_channels, config.max_channels, config.channels_double_every
    )
    needed = 2 * 2 * 27 * channels**2 * 4 + 64 * config.iterations + 2**20
    free = shutil.disk_usage(run_dir).free
    if free < needed:
        raise OSError(
            errno.ENOSPC,
            f"Not enough free space to save scale {k} (about {needed / 2**20:.1f} MiB "
            f"needed, {free / 2**20:.1f} MiB free)",
            str(run_dir),
        )


def _train_scale(model, k, previous_critic, config, callbacks, verbose, log):
    sizes = list(model.schedule.sizes)
    num_scales = len(sizes)
    keras.utils.set_random_seed(config.seed * 1009 + k)
    channels = channels_at_scale(
        k, config.base_channels, config.max_channels, config.channels_double_every
    )
    generator = build_generator(channels, name=f"generator_{k:02d}")
    critic = build_critic(channels, name=f"critic_{k:02d}")
    if k > 0 and previous_critic is not None and channels == model.channels[k - 1]:
        generator.set_weights(model.generators[k - 1].get_weights())
        critic.set_weights(previous_critic.get_weights())

    real = model.reals[k]
    if k == 0:
        previous_reconstruction = np.zeros_like(real)
        noise_amplitude = 1.0
    else:
        coarser = reconstruct(model.generators, model.noise_amplitudes, sizes, model.z_star)[-1]
        previous_reconstruction = imresize(coarser, sizes[k])
        rmse = math.sqrt(float(np.mean((real - previous_reconstruction) ** 2)))
        noise_amplitude = config.noise_amplitude_factor * rmse

    trainer = ScaleTrainer(
        generator,
        critic,
        frozen_generators=model.generators,
        frozen_noise_amplitudes=model.noise_amplitudes,
        sizes=sizes[: k + 1],
        real=real,
        previous_reconstruction=previous_reconstruction,
        noise_amplitude=noise_amplitude,
        z_star=model.z_star if k == 0 else None,
        config=config,
        seed=config.seed * 1009 + k,
        name=f"scale_{k:02d}_trainer",
    )
    trainer.compile_for_training()
    log(
        f"Scale {k + 1}/{num_scales}: {sizes[k][0]}x{sizes[k][1]}, {channels} channels, "
        f"noise amplitude {noise_amplitude:.4f}"
    )
    recorder = _LossRecorder()
    start = time.perf_counter()
    trainer.fit(
        np.zeros((config.iterations, 1), np.float32),
        batch_size=1,
        epochs=1,
        shuffle=False,
        verbose=verbose,
        callbacks=[recorder, *callbacks],
    )
    seconds = time.perf_counter() - start
    trainer.release_compiled_step()
    if k == 0 and config.redraw_z_star_each_iteration:
        model.z_star = to_numpy_nhwc(trainer.z_star.value)[0]
    generator.trainable = False
    model.generators.append(generator)
    model.noise_amplitudes.append(noise_amplitude)
    result = ScaleResult(
        k,
        num_scales,
        tuple(sizes[k]),
        channels,
        noise_amplitude,
        recorder.losses,
        seconds,
        first_iteration_seconds=recorder.first_iteration_end - recorder.start,
    )
    return {"critic": critic, "result": result}


def _manifest(model, source: str, previous: dict | None = None) -> dict[str, Any]:
    previous = previous or {}
    scales = previous.get("scales", [])
    for k in range(len(scales), len(model.generators)):
        scales.append(
            {
                "index": k,
                "size": list(model.schedule.sizes[k]),
                "channels": model.channels[k],
                "noise_amplitude": float(model.noise_amplitudes[k]),
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "singan_keras_version": __version__,
        "keras_version": keras.__version__,
        "backend": keras.backend.backend(),
        "created": previous.get("created", datetime.now(UTC).isoformat(timespec="seconds")),
        "source": previous.get("source", source),
        "config": model.config.to_dict(),
        "schedule": _schedule_to_dict(model.schedule),
        "num_scales": model.schedule.num_scales,
        "scales": scales,
    }


def _resume(run_dir: Path, config: TrainConfig, schedule: ScaleSchedule):
    from singan_keras.singan import SinGAN

    saved, saved_schedule, _ = parse_manifest(run_dir, read_manifest(run_dir))
    if saved != config:
        changed = sorted(k for k, v in saved.to_dict().items() if config.to_dict()[k] != v)
        raise RunDirectoryError(
            f"{run_dir}: cannot resume with a different configuration (changed: "
            f"{', '.join(changed)}). Resume with the original settings."
        )
    if saved_schedule != schedule:
        raise RunDirectoryError(
            f"{run_dir}: the image does not match the one this run was trained on."
        )
    model = SinGAN.load(run_dir)
    critic = None
    if model.generators:
        k = len(model.generators) - 1
        critic = build_critic(model.channels[k], name=f"critic_{k:02d}")
        load_weights(critic, scale_dir(run_dir, k) / "critic.weights.h5")
    return model, critic


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
    except KeyError as error:
        raise RunDirectoryError(f"{run_dir}: malformed manifest (no entry {error}).") from None
    except (AttributeError, TypeError, ValueError) as error:
        raise RunDirectoryError(f"{run_dir}: malformed manifest ({error}).") from None
    if len(scales) > schedule.num_scales or any(channels < 1 for channels, _ in scales):
        raise RunDirectoryError(
            f"{run_dir}: malformed manifest ({len(scales)} finished scales for a "
            f"{schedule.num_scales}-scale schedule)."
        )
    return config, schedule, scales


def load_reals(run_dir: Path, sizes: Sequence[tuple[int, int]]) -> list[np.ndarray]:
    """The real image at every scale from ``reals.npz``, checked against the schedule."""
    path = Path(run_dir) / "reals.npz"
    arrays = load_array_file(path)
    expected = {f"scale_{k:02d}": (*size, 3) for k, size in enumerate(sizes)}
    if not isinstance(arrays, dict) or {k: v.shape for k, v in arrays.items()} != expected:
        raise RunDirectoryError(
            f"{path}: not this run's image pyramid (expected {len(sizes)} scales of sizes "
            f"{[tuple(size) for size in sizes]})."
        )
    return [arrays[key].astype(np.float32) for key in expected]
