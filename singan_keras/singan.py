"""`SinGAN`: the public face of a trained pyramid — train, save/load, sample, reconstruct."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from singan_keras.checkpoint import (
    RunDirectoryError,
    load_array_file,
    load_weights,
    read_manifest,
    save_array,
    save_arrays,
    save_weights,
    scale_dir,
    write_manifest,
)
from singan_keras.config import TrainConfig, preset
from singan_keras.errors import InputError
from singan_keras.models import build_generator
from singan_keras.pyramid import ScaleSchedule
from singan_keras.sampling import SampleOptions, TrainedPyramid, generate, reconstruct

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
        on_scale_end: Callable[[SinGAN, Any], None] | None = None,
        verbose: int | str = "auto",
    ) -> SinGAN:
        """Trains a pyramid on one image, coarse to fine.

        Args:
            image: a file path, a bundled image name (`singan_keras.data.list_images`), or an
                (H, W, 3) float array in [-1, 1].
            config: a `TrainConfig` or a preset name (``"paper"``, ``"quick"``,
                ``"official"``); default ``"paper"``.
            run_dir: directory to save every finished scale into (resumable); None keeps the
                model in memory only (save it later with `save`).
            resume: continue an interrupted run in `run_dir` at its first unfinished scale.
            callbacks: Keras callbacks given to each scale's ``fit()``.
            on_scale_end: ``f(model_so_far, ScaleResult)`` called after every scale.
            verbose: ``fit()`` verbosity.

        Returns:
            The trained `SinGAN`.
        """
        from singan_keras.training import train_pyramid

        if config is None:
            config = preset("paper")
        elif isinstance(config, str):
            config = preset(config)
        array, source, input_shape = _load_training_image(image, config.max_size)
        return train_pyramid(
            array,
            config,
            run_dir,
            resume=resume,
            source=source,
            input_shape=input_shape,
            callbacks=callbacks,
            on_scale_end=on_scale_end,
            verbose=verbose,
        )

    @classmethod
    def load(cls, run_dir: str | os.PathLike) -> SinGAN:
        """Loads the finished scales of a run directory, under any Keras backend.

        Raises:
            RunDirectoryError: the directory is not a complete, compatible run.
        """
        from singan_keras.training import load_reals, parse_manifest

        run_dir = Path(run_dir)
        manifest = read_manifest(run_dir)
        config, schedule, scales = parse_manifest(run_dir, manifest)
        reals = load_reals(run_dir, schedule.sizes)
        z_star = load_array_file(run_dir / "z_star.npy")
        if not isinstance(z_star, np.ndarray) or z_star.shape != (*schedule.sizes[0], 3):
            raise RunDirectoryError(f"{run_dir}/z_star.npy: wrong shape for this run.")
        generators, amplitudes = [], []
        for k, (channels, noise_amplitude) in enumerate(scales):
            generator = build_generator(channels, name=f"generator_{k:02d}")
            load_weights(generator, scale_dir(run_dir, k) / "generator.weights.h5")
            generator.trainable = False
            generators.append(generator)
            amplitudes.append(noise_amplitude)
        return cls(
            generators, amplitudes, schedule, reals, z_star.astype(np.float32), config, manifest
        )

    def save(self, run_dir: str | os.PathLike) -> Path:
        """Writes the model as a run directory (see `singan_keras.checkpoint`)."""
        from singan_keras.training import _manifest

        run_dir = Path(run_dir)
        reals = {f"scale_{k:02d}": real for k, real in enumerate(self.reals)}
        save_arrays(run_dir / "reals.npz", **reals)
        save_array(run_dir / "z_star.npy", self.z_star)
        for k, generator in enumerate(self.generators):
            save_weights(generator, scale_dir(run_dir, k) / "generator.weights.h5")
        self.metadata = _manifest(self, self.metadata.get("source", "array"), self.metadata)
        write_manifest(run_dir, self.metadata)
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
