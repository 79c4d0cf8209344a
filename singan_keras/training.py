"""Coarse-to-fine training of the whole pyramid (paper §2.2).

For every scale k = 0 (coarsest) .. K (finest), `train_scale`:

1. builds G_k and D_k; when their channel count equals scale k-1's, they start from its
   trained weights (the reference's warm start), else from the initialisers;
2. computes the fixed reconstruction input (x~^rec_{k-1})↑r through the frozen scales and
   σ_k = 0.1 · RMSE(x_k, (x~^rec_{k-1})↑r)  (σ_0 = 1: the coarsest input is pure noise);
3. runs ``config.iterations`` iterations of `ScaleTrainer` with ``fit()``, one Keras epoch
   per iteration, so ``History``, ``CSVLogger`` and any user callback see every iteration;
4. freezes G_k (BatchNorm then uses its running statistics).

This module produces trained scales and nothing else: it reads and writes no files. Whatever
should happen around a scale — saving it into a run directory
(`singan_keras.checkpoint.RunDirectoryWriter`), reporting it — is a `ScaleHook` given to
`train_pyramid`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import keras
import numpy as np

from singan_keras import __version__
from singan_keras.config import TrainConfig
from singan_keras.imresize import imresize
from singan_keras.layout import to_numpy_nhwc
from singan_keras.models import build_critic, build_generator, channels_at_scale
from singan_keras.progress import RunProgress
from singan_keras.pyramid import ScaleSchedule
from singan_keras.sampling import reconstruct
from singan_keras.scale_trainer import FrozenPyramid, ScaleTensors, ScaleTrainer

__all__ = ["LOSS_NAMES", "ScaleHook", "ScaleResult", "TrainedScale", "train_pyramid", "train_scale"]

# What the whole-run progress reads the time from (tests replace it with a fake clock).
progress_clock = time.perf_counter

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
        losses: per-iteration values of each logged loss (from Keras' ``History``).
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


@dataclass(frozen=True, eq=False)
class TrainedScale:
    """One finished scale, as `train_scale` returns it.

    Attributes:
        generator: G_k, frozen (``trainable = False``).
        critic: D_k (the next scale may start from its weights).
        noise_amplitude: σ_k.
        result: the scale's `ScaleResult`.
        z_star: the coarsest scale's z* when training redrew it
            (``redraw_z_star_each_iteration``), else None.
    """

    generator: keras.Model
    critic: keras.Model
    noise_amplitude: float
    result: ScaleResult
    z_star: np.ndarray | None = None


class GrowingPyramid(Protocol):
    """What training reads and extends: a `singan_keras.SinGAN` fits (this module does not
    import it: the facade imports training, never the other way round)."""

    config: TrainConfig
    schedule: ScaleSchedule
    reals: list[np.ndarray]
    z_star: np.ndarray
    generators: list[keras.Model]
    noise_amplitudes: list[float]

    @property
    def channels(self) -> list[int]: ...


class ScaleHook(Protocol):
    """Something done around every scale, e.g. `singan_keras.checkpoint.RunDirectoryWriter`."""

    def scale_begin(self, scale: int) -> Sequence[keras.callbacks.Callback]:
        """Called before scale `scale` trains; returns extra callbacks for its ``fit()``."""
        ...

    def scale_end(self, pyramid: GrowingPyramid, trained: TrainedScale) -> None:
        """Called once the scale is appended to `pyramid`."""
        ...


def train_pyramid(
    pyramid: GrowingPyramid,
    *,
    critic: keras.Model | None = None,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    hooks: Sequence[ScaleHook] = (),
    verbose: int | str = "auto",
) -> GrowingPyramid:
    """Trains the unfinished scales of a pyramid, coarse to fine; the engine of `SinGAN.train`.

    Args:
        pyramid: the model so far (a `singan_keras.SinGAN`: config, schedule, real image per
            scale, z*, and the generators and σ of the finished scales, possibly none). Each
            finished scale is appended to its ``generators`` and ``noise_amplitudes``.
        critic: D of the last finished scale, when resuming (the next may start from it).
        callbacks: extra Keras callbacks given to every scale's ``fit()``; they see one
            epoch per iteration, with the losses in the logs.
        hooks: `ScaleHook`s, called in order around every scale.
        verbose: 0 silent, 1 (or "auto") a progress bar per scale, 2 one line per scale;
            either way a line ``scale k/N | elapsed ... | about ... left`` before each scale
            and the total at the end (`singan_keras.progress`).

    Returns:
        `pyramid`, now complete.
    """
    schedule = pyramid.schedule
    log = print if verbose else (lambda *a, **k: None)
    log(
        f"singan_keras {__version__} on Keras {keras.__version__}, backend "
        f"{keras.backend.backend()}: {schedule.num_scales} scales, r = {schedule.scale_factor:.4f}"
    )
    config = pyramid.config
    channels = [
        channels_at_scale(
            k, config.base_channels, config.max_channels, config.channels_double_every
        )
        for k in range(schedule.num_scales)
    ]
    progress = RunProgress(schedule.sizes, channels, config.iterations, log, progress_clock)
    for k in range(len(pyramid.generators), schedule.num_scales):
        iteration_clock = progress.scale_begin(k)
        scale_callbacks = [c for hook in hooks for c in hook.scale_begin(k)]
        all_callbacks = [*scale_callbacks, *callbacks, iteration_clock]
        trained = train_scale(pyramid, k, critic, all_callbacks, verbose, log)
        pyramid.generators.append(trained.generator)
        pyramid.noise_amplitudes.append(trained.noise_amplitude)
        if trained.z_star is not None:
            pyramid.z_star = trained.z_star
        critic = trained.critic
        for hook in hooks:
            hook.scale_end(pyramid, trained)
        progress.scale_end(k)
    progress.finish()
    return pyramid


def train_scale(
    pyramid: GrowingPyramid,
    k: int,
    previous_critic: keras.Model | None,
    callbacks: Sequence[keras.callbacks.Callback],
    verbose: int | str,
    log: Callable[..., None],
) -> TrainedScale:
    """Trains scale `k` of `pyramid` (whose scales 0..k-1 are finished); changes nothing.

    Args:
        pyramid: the model so far (see `train_pyramid`).
        k: the scale to train, ``len(pyramid.generators)``.
        previous_critic: D_{k-1}, or None (then D_k starts from the initialisers).
        callbacks: Keras callbacks for the scale's ``fit()``.
        verbose: as in `train_pyramid`.
        log: where the scale's one-line summary goes (``print``, or a no-op).
    """
    config = pyramid.config
    sizes = list(pyramid.schedule.sizes)
    num_scales = len(sizes)
    scale_seed = config.seed * 1009 + k
    channels = channels_at_scale(
        k, config.base_channels, config.max_channels, config.channels_double_every
    )
    # Explicit seeds, not `keras.utils.set_random_seed`: that resets the user's global RNGs
    # (and imports TensorFlow whenever it is installed, ~10 s and ~430 MB under torch/JAX).
    generator_seed, critic_seed = np.random.SeedSequence([scale_seed, 1]).generate_state(2)
    generator = build_generator(channels, name=f"generator_{k:02d}", seed=int(generator_seed))
    critic = build_critic(channels, name=f"critic_{k:02d}", seed=int(critic_seed))
    if k > 0 and previous_critic is not None and channels == pyramid.channels[k - 1]:
        generator.set_weights(pyramid.generators[k - 1].get_weights())
        critic.set_weights(previous_critic.get_weights())

    real = pyramid.reals[k]
    if k == 0:
        previous_reconstruction = np.zeros_like(real)
        noise_amplitude = 1.0
    else:
        coarser = reconstruct(
            pyramid.generators, pyramid.noise_amplitudes, sizes[:k], pyramid.z_star
        )[-1]
        previous_reconstruction = imresize(coarser, sizes[k])
        rmse = math.sqrt(float(np.mean((real - previous_reconstruction) ** 2)))
        noise_amplitude = config.noise_amplitude_factor * rmse

    trainer = ScaleTrainer(
        generator,
        critic,
        FrozenPyramid(pyramid.generators, pyramid.noise_amplitudes, sizes[:k]),
        ScaleTensors(
            real, previous_reconstruction, noise_amplitude, pyramid.z_star if k == 0 else None
        ),
        config,
        seed=scale_seed,
        name=f"scale_{k:02d}_trainer",
    )
    trainer.compile_for_training()
    log(
        f"Scale {k + 1}/{num_scales}: {sizes[k][0]}x{sizes[k][1]}, {channels} channels, "
        f"noise amplitude {noise_amplitude:.4f}"
    )
    clock = _FirstIteration()
    start = time.perf_counter()
    # One epoch per iteration, so Keras' History, CSVLogger and user callbacks log each one.
    # The data is one dummy row per iteration, read one row per epoch: Keras then keeps one
    # data iterator for the whole fit (a one-row array would make it start a new iterator
    # every epoch: ~35 ms per iteration on TensorFlow, measured).
    history = trainer.fit(
        np.zeros((config.iterations, 1), np.float32),
        batch_size=1,
        epochs=config.iterations,
        steps_per_epoch=1,
        shuffle=False,
        verbose=0,  # Keras' bar would print one "Epoch i/N" line per iteration: see below
        callbacks=[clock, _ScaleProgress(config.iterations, verbose), *callbacks],
    )
    seconds = time.perf_counter() - start
    trainer.release_compiled_step()
    z_star = None
    if k == 0 and config.redraw_z_star_each_iteration:
        z_star = to_numpy_nhwc(trainer.z_star.value)[0]
    generator.trainable = False
    losses = {name: list(history.history[name]) for name in LOSS_NAMES}
    result = ScaleResult(
        k,
        num_scales,
        tuple(sizes[k]),
        channels,
        noise_amplitude,
        losses,
        seconds,
        first_iteration_seconds=clock.seconds,
    )
    return TrainedScale(generator, critic, noise_amplitude, result, z_star)


class _FirstIteration(keras.callbacks.Callback):
    """Times the first iteration, which includes tracing / compiling the train step."""

    def __init__(self):
        super().__init__()
        self.start = self.seconds = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        if self.seconds is None:
            self.seconds = time.perf_counter() - self.start


class _ScaleProgress(keras.callbacks.Callback):
    """One progress bar per scale, advanced every iteration (= every Keras epoch).

    `verbose` as ``fit()``'s: 0 nothing, 1 or "auto" a bar, 2 one line when the scale ends.
    """

    def __init__(self, iterations: int, verbose: int | str):
        super().__init__()
        self.iterations = iterations
        self.verbose = 1 if verbose == "auto" else int(verbose)
        self.bar = None

    def on_train_begin(self, logs=None):
        if self.verbose:
            self.bar = keras.utils.Progbar(
                self.iterations,
                verbose=self.verbose,
                stateful_metrics=LOSS_NAMES,  # show each iteration's value, not a mean
                unit_name="iteration",
            )

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            values = [(name, logs[name]) for name in LOSS_NAMES if logs and name in logs]
            self.bar.update(epoch + 1, values=values)
