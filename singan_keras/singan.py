"""`SinGAN`: the public face of a trained pyramid — train, save/load, sample, reconstruct."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from singan_keras.checkpoint import RunDirectoryWriter, read_run, save_run
from singan_keras.config import TrainConfig, preset
from singan_keras.errors import InputError
from singan_keras.pyramid import ScaleSchedule, build_pyramid, scale_schedule
from singan_keras.sampling import (
    SampleOptions,
    TrainedPyramid,
    generate,
    numpy_normal_map,
    reconstruct,
)
from singan_keras.training import ScaleResult, TrainedScale, train_pyramid

__all__ = ["SinGAN"]

ImageLike = str | os.PathLike | np.ndarray


def _load_training_image(
    image: ImageLike, max_size: int
) -> tuple[np.ndarray, str, tuple[int, int]]:
    """(image in [-1, 1], its source label, (H, W) of the image as given).

    A file is decoded at reduced resolution when it is far larger than `max_size` (see
    `singan_keras.image_io.load_image`); the returned size is still the file's.
    """
    from singan_keras import data, image_io

    if isinstance(image, np.ndarray):
        array = np.asarray(image, dtype=np.float32)
        if array.ndim != 3 or array.shape[-1] != 3:
            raise InputError(f"Expected an (H, W, 3) image array, got shape {array.shape}.")
        if array.min() < -1.0 - 1e-6 or array.max() > 1.0 + 1e-6:
            raise InputError("Image arrays must be in [-1, 1] (see singan_keras.load_image).")
        return array, "array", array.shape[:2]
    if Path(image).is_dir():  # not "unknown image name": say what it is
        raise image_io.ImageError(f"Expected an image file but '{image}' is a directory.")
    path = data.resolve_image(str(image))
    return image_io.load_image(path, max_size), str(image), image_io.image_size(path)


class SinGAN:
    """A trained (or partly trained) SinGAN pyramid.

    Scale 0 is the coarsest. Create one with `SinGAN.train` or `SinGAN.load`.

    Example:
        >>> from singan_keras import SinGAN, preset
        >>> import numpy as np
        >>> image = np.random.default_rng(0).uniform(-1, 1, (24, 28, 3)).astype("float32")
        >>> config = preset("quick", min_size=12, max_size=24, iterations=2,
        ...                 critic_steps=1, generator_steps=1, base_channels=4)
        >>> model = SinGAN.train(image, config, verbose=0)
        >>> model.sample(2, seed=0).shape
        (2, 21, 24, 3)
    """

    def __init__(
        self,
        generators: list[keras.Model],
        noise_amplitudes: list[float],
        schedule: ScaleSchedule,
        reals: list[np.ndarray],
        z_star: np.ndarray,
        config: TrainConfig,
        metadata: dict[str, Any] | None = None,
    ):
        self.generators = generators
        self.noise_amplitudes = noise_amplitudes
        self.schedule = schedule
        self.reals = reals
        self.z_star = z_star
        self.config = config
        self.metadata = metadata or {}

    # -- construction --------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        image: ImageLike,
        config: TrainConfig | str | None = None,
        run_dir: str | os.PathLike | None = None,
        *,
        resume: bool = False,
        callbacks: Sequence[keras.callbacks.Callback] = (),
        on_scale_end: Callable[[SinGAN, ScaleResult], None] | None = None,
        verbose: int | str = "auto",
    ) -> SinGAN:
        """Trains a pyramid on one image, coarse to fine.

        Args:
            image: a file path, a bundled image name (`singan_keras.data.list_images`), or an
                (H, W, 3) float array in [-1, 1].
            config: a `TrainConfig` or a preset name (``"paper"``, ``"quick"``,
                ``"official"``); default ``"paper"``.
            run_dir: directory to save every finished scale into (resumable); None keeps the
                model in memory only (save it later with `save`). Training holds an OS lock
                on it: a second process training into it stops with a `RunDirectoryError`.
            resume: continue an interrupted run in `run_dir` at its first unfinished scale.
            callbacks: Keras callbacks given to each scale's ``fit()``. Each iteration is one
                Keras epoch: ``on_epoch_end`` and ``on_train_batch_end`` get its losses.
            on_scale_end: ``f(model_so_far, ScaleResult)`` called after every scale (after
                it is saved into `run_dir`).
            verbose: 0 silent, 1 (or "auto") a progress bar per scale, 2 one line per scale.

        Returns:
            The trained `SinGAN`.
        """
        if config is None:
            config = preset("paper")
        elif isinstance(config, str):
            config = preset(config)
        array, source, input_shape = _load_training_image(image, config.max_size)
        model = cls._untrained(array, config, source, input_shape)
        critic = None
        hooks = []
        with contextlib.ExitStack() as stack:
            if run_dir is not None:
                writer = stack.enter_context(RunDirectoryWriter(run_dir, source))
                if writer.open(config, model.schedule, resume=resume):
                    model = cls.load(run_dir)
                    critic = writer.last_critic(model.channels)
                writer.start(model)
                hooks.append(writer)
            if on_scale_end is not None:
                hooks.append(_ReportEachScale(on_scale_end))
            train_pyramid(model, critic=critic, callbacks=callbacks, hooks=hooks, verbose=verbose)
        return model

    @classmethod
    def _untrained(
        cls, image: np.ndarray, config: TrainConfig, source: str, input_shape: tuple[int, int]
    ) -> SinGAN:
        """A model with no trained scale yet: schedule, image pyramid and z*."""
        try:
            schedule = scale_schedule(
                *input_shape, config.scale_factor, config.min_size, config.max_size
            )
        except ValueError as error:
            if source == "array":
                raise
            raise InputError(f"'{source}': {error}") from None
        reals = build_pyramid(image, schedule)
        rng = np.random.default_rng(config.seed)
        z_star = numpy_normal_map(rng, schedule.sizes[0], single_channel=True)
        return cls([], [], schedule, reals, z_star, config, {})

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> SinGAN:
        """Loads the finished scales of a run directory, under any Keras backend.

        Raises:
            RunDirectoryError: the directory is not a complete, compatible run.
        """
        saved = read_run(run_dir)
        return cls(
            saved.generators,
            saved.noise_amplitudes,
            saved.schedule,
            saved.reals,
            saved.z_star,
            saved.config,
            saved.metadata,
        )

    def save(self, run_dir: str | os.PathLike) -> Path:
        """Writes the model as a run directory (see `singan_keras.checkpoint`).

        Raises:
            RunDirectoryError: another process is writing that directory.
        """
        run_dir = Path(run_dir)
        self.metadata = save_run(run_dir, self)
        return run_dir

    # -- properties ----------------------------------------------------------------------

    @property
    def num_scales(self) -> int:
        """Number of trained scales."""
        return len(self.generators)

    @property
    def sizes(self) -> list[tuple[int, int]]:
        """(H, W) of every trained scale, coarsest first."""
        return list(self.schedule.sizes[: self.num_scales])

    @property
    def channels(self) -> list[int]:
        """Channels of each trained generator."""
        return [int(g.get_layer("g_tail_conv").kernel.shape[2]) for g in self.generators]

    @property
    def is_complete(self) -> bool:
        return self.num_scales == self.schedule.num_scales

    def _check_trained(self) -> None:
        if not self.generators:
            raise InputError("This SinGAN has no trained scale yet.")

    # -- generation ----------------------------------------------------------------------

    def sample(
        self,
        num_samples: int = 1,
        *,
        start_scale: int = 0,
        height_scale: float = 1.0,
        width_scale: float = 1.0,
        seed: int | None = None,
        start_input: str = "reconstruction",
    ) -> np.ndarray:
        """Random samples, coarse to fine (paper Fig. 4), optionally from a finer start scale.

        Args:
            num_samples: number of images.
            start_scale: first scale with fresh noise; 0 (coarsest) = fully random (Fig. 8).
            height_scale: output height multiplier (any aspect ratio, Fig. 6).
            width_scale: output width multiplier.
            seed: noise seed; the same seed gives the same images under every backend.
            start_input: ``"reconstruction"`` (reference) or ``"real"`` (paper): what feeds
                `start_scale` when it is > 0.

        Returns:
            (num_samples, H, W, 3) float32 numpy array, about [-1, 1].

        Example:
            >>> model.sample(4, seed=1).shape   # doctest: +SKIP
            (4, 186, 248, 3)
        """
        self._check_trained()
        if not 0 <= start_scale < self.num_scales:
            raise InputError(
                f"start_scale must be between 0 and {self.num_scales - 1} (this model has "
                f"{self.num_scales} scales), got {start_scale}."
            )
        options = SampleOptions(
            num_samples=num_samples,
            start_scale=start_scale,
            height_scale=height_scale,
            width_scale=width_scale,
            seed=seed,
            start_input=start_input,
        )
        return generate(TrainedPyramid.of(self), options)

    def reconstruct(self) -> np.ndarray:
        """The reconstruction of the training image from z* (paper Eq. 5), (H, W, 3)."""
        self._check_trained()
        return reconstruct(self.generators, self.noise_amplitudes, self.sizes, self.z_star)[-1]


class _ReportEachScale:
    """The `ScaleHook` behind ``SinGAN.train(on_scale_end=f)``: ``f(model_so_far, result)``."""

    def __init__(self, report: Callable[[SinGAN, ScaleResult], None]):
        self.report = report

    def scale_begin(self, scale: int) -> list[keras.callbacks.Callback]:
        return []

    def scale_end(self, pyramid: SinGAN, trained: TrainedScale) -> None:
        self.report(pyramid, trained.result)
