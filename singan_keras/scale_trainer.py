"""One scale's training: the adversarial game of G_n and D_n plus reconstruction (paper §2.2).

`ScaleTrainer` is a `keras.Model` that holds, for the scale being trained, G_n, D_n, the two
optimizers, the frozen coarser generators and the scale's fixed inputs (non-trainable
variables, so a compiled step takes them as inputs, not constants). Its ``train_step``
is one SinGAN iteration, driven by ``fit()`` so callbacks, ``History`` and the progress bar
work as usual:

1. draw one noise map z_n for the iteration (shared by its critic and generator steps);
2. ``critic_steps`` times: take a fresh random image through the frozen coarser scales,
   x~_n = G_n(σ_n z_n, (x~_{n+1})↑r), and take one Adam step of D_n on the WGAN-GP loss
       L_D = mean D(x~_n) - mean D(x_n) + λ · mean_pixels (‖∇_x̂ D(x̂)‖₂ - 1)²      (Eq. 4, GP)
   with x̂ = ε x_n + (1 - ε) x~_n, one ε ~ U(0, 1) per step, the norm taken per pixel
   over channels (the reference's form);
3. ``generator_steps`` times: one Adam step of G_n on
       L_G = -mean D(x~_n) + α ‖G_n(σ z^rec, (x~^rec_{n+1})↑r) - x_n‖²                (Eq. 4-5)
   where the reconstruction path uses z* at the coarsest scale and zero noise above it.

Everything here is backend-agnostic (`keras.ops`). The three things Keras has no common API
for — taking gradients, the inner gradient of the penalty and the JAX state plumbing — come
from the backend's `TrainStep` mixin in `singan_keras.backends`, chosen once at import.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from singan_keras.backends import TrainStep
from singan_keras.config import TrainConfig
from singan_keras.imresize import resize_images
from singan_keras.layout import channel_axis, data_format, internal_numpy
from singan_keras.optimizers import CriticGeneratorOptimizers, make_adam
from singan_keras.sampling import keras_noise, keras_normal_maps, run_pyramid

__all__ = ["FrozenPyramid", "ScaleTensors", "ScaleTrainer"]


@dataclass(frozen=True, eq=False)
class FrozenPyramid:
    """The trained coarser scales a scale trains against, coarsest first (none at scale 0).

    Attributes:
        generators: G of every coarser scale, already trained (frozen).
        noise_amplitudes: σ of every coarser scale.
        sizes: (H, W) of every coarser scale.

    Example:
        >>> FrozenPyramid().generators  # the coarsest scale has nothing below it
        ()
    """

    generators: Sequence[keras.Model] = ()
    noise_amplitudes: Sequence[float] = ()
    sizes: Sequence[tuple[int, int]] = ()

    def __post_init__(self):
        # Tuples, so that a caller appending to its own list later changes nothing here.
        object.__setattr__(self, "generators", tuple(self.generators))
        object.__setattr__(self, "noise_amplitudes", tuple(float(a) for a in self.noise_amplitudes))
        object.__setattr__(self, "sizes", tuple(tuple(int(v) for v in s) for s in self.sizes))
        if not len(self.generators) == len(self.noise_amplitudes) == len(self.sizes):
            raise ValueError(
                f"FrozenPyramid needs one σ and one size per generator, got "
                f"{len(self.generators)} generators, {len(self.noise_amplitudes)} σ and "
                f"{len(self.sizes)} sizes."
            )


@dataclass(frozen=True, eq=False)
class ScaleTensors:
    """The fixed inputs of the scale being trained (numpy (H, W, 3) arrays).

    Attributes:
        real: x_n, in [-1, 1].
        previous_reconstruction: (x~^rec_{n+1})↑r; zeros at the coarsest scale.
        noise_amplitude: σ_n (1 at the coarsest scale).
        z_star: the fixed reconstruction noise, at the coarsest scale only; else None.
    """

    real: np.ndarray
    previous_reconstruction: np.ndarray
    noise_amplitude: float = 1.0
    z_star: np.ndarray | None = None


class ScaleTrainer(TrainStep, keras.Model):
    """Trains G_n and D_n of one scale against the frozen coarser scales.

    Args:
        generator: G_n (see `singan_keras.models.build_generator`).
        critic: D_n.
        frozen: the trained coarser scales (`FrozenPyramid`; empty at the coarsest scale).
        scale: this scale's fixed inputs (`ScaleTensors`).
        config: the `TrainConfig`.
        seed: seed of this scale's training noise.
        **kwargs: passed to `keras.Model` (e.g. ``name``).
    """

    def __init__(
        self,
        generator: keras.Model,
        critic: keras.Model,
        frozen: FrozenPyramid,
        scale: ScaleTensors,
        config: TrainConfig,
        seed: int,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.config = config
        self.generator = generator
        self.critic = critic
        self.frozen_generators = list(frozen.generators)
        # sizes of scales 0..n, this one last
        self.sizes = [*frozen.sizes, tuple(int(v) for v in np.shape(scale.real)[:2])]
        self.is_coarsest = not self.frozen_generators
        # Every value that differs between images, seeds or scales of the same size lives in a
        # (non-trainable) variable, never in a Python number or a tensor the step closes over:
        # a compiled step (jitted JAX function, tf.function) receives variables as inputs but
        # bakes captured numbers and tensors in as constants, so a new image would need a new
        # program (docs/backends.md, "What gets compiled"). The frozen generators' weights
        # are variables of this model already (tracked through `frozen_generators`).
        self._real = self._fixed_input("real", internal_numpy(scale.real))
        self._previous_reconstruction = self._fixed_input(
            "previous_reconstruction", internal_numpy(scale.previous_reconstruction)
        )
        self._noise_amplitude = self._fixed_input("noise_amplitude", float(scale.noise_amplitude))
        self._frozen_noise_amplitudes = [
            self._fixed_input(f"noise_amplitude_{k:02d}", amplitude)
            for k, amplitude in enumerate(frozen.noise_amplitudes)
        ]
        self.seed_generator = keras.random.SeedGenerator(seed)
        if self.is_coarsest:
            if scale.z_star is None:
                raise ValueError("The coarsest scale needs z_star.")
            self.z_star = self._fixed_input("z_star", internal_numpy(scale.z_star))
        decay_after = round(config.lr_decay_at * config.iterations)
        adam = dict(
            learning_rate=config.learning_rate,
            beta_1=config.beta_1,
            beta_2=config.beta_2,
            epsilon=config.adam_epsilon,
            decay_after_iterations=decay_after,
            decay_factor=config.lr_decay_factor,
        )
        self.critic_optimizer = make_adam(
            **adam, updates_per_iteration=config.critic_steps, name="critic_adam"
        )
        self.generator_optimizer = make_adam(
            **adam, updates_per_iteration=config.generator_steps, name="generator_adam"
        )
        self.critic_optimizer.build(self.critic.trainable_variables)
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.built = True

    def _fixed_input(self, name: str, value):
        """A non-trainable variable holding `value` (a numpy array or a float).

        The variable starts from the value itself, not from zeros then an assignment: on JAX
        both would be eager operations on a new shape, compiled and kept for good.
        """
        value = np.asarray(value, dtype=np.float32)
        return self.add_weight(
            shape=value.shape,
            initializer=lambda shape, dtype=None: value,
            trainable=False,
            name=name,
        )

    # Read through properties, so that inside JAX's stateless train step they give the value
    # the step received, and everywhere else the variable's current value.
    @property
    def real(self):
        """x_n, a (1, ...) tensor in the internal layout."""
        return self._real.value

    @property
    def previous_reconstruction(self):
        """(x~^rec_{n+1})↑r, like `real`; zeros at the coarsest scale."""
        return self._previous_reconstruction.value

    @property
    def noise_amplitude(self):
        """σ_n, a scalar tensor."""
        return self._noise_amplitude.value

    @property
    def frozen_noise_amplitudes(self) -> list:
        """σ of every coarser scale, scalar tensors, coarsest first."""
        return [variable.value for variable in self._frozen_noise_amplitudes]

    def compile_for_training(self) -> None:
        """``compile()`` with the optimizer wrapper that carries both Adams' state."""
        self.compile(
            optimizer=CriticGeneratorOptimizers(self.critic_optimizer, self.generator_optimizer),
            jit_compile="auto",
        )

    # -- the frozen coarser scales -------------------------------------------------------

    def random_previous(self, count: int = 1):
        """(x~_{n+1})↑r for `count` fresh random samples through the frozen coarser scales.

        The frozen generators run BatchNorm in inference mode, so drawing all the critic
        steps' images as one batch gives the same images as drawing them one by one.
        """
        if self.is_coarsest:
            return ops.zeros((count, *tuple(self.real.shape)[1:]), dtype=self.real.dtype)
        coarser = run_pyramid(
            self.frozen_generators,
            self.frozen_noise_amplitudes,
            self.coarser_noise(count),
            self.sizes,
        )
        return resize_images(coarser, self.sizes[-1], data_format())

    # -- the iteration's random draws ----------------------------------------------------
    # Every random number of an iteration comes from one of these four methods, in the order
    # `singan_iteration` calls them; a test overrides them to feed the same numbers to an
    # independent implementation (tests/reference_iteration.py).

    def iteration_noise(self):
        """z_n of one iteration, before σ_n (one channel broadcast to 3 at the coarsest scale)."""
        return keras_normal_maps(self.seed_generator, 1, self.sizes[-1], self.is_coarsest)

    def redrawn_z_star(self):
        """A fresh z* (the `official` preset redraws it every iteration)."""
        return keras_normal_maps(self.seed_generator, 1, self.sizes[-1], single_channel=True)

    def coarser_noise(self, count: int):
        """The noise source of `count` random paths through the frozen coarser scales."""
        return keras_noise(self.seed_generator, count)

    def penalty_mixing_weights(self, count: int):
        """ε ~ U(0, 1) of `count` gradient-penalty evaluations (x̂ = ε x_n + (1 - ε) x~_n)."""
        return keras.random.uniform((count,), seed=self.seed_generator)

    # -- losses (paper Eq. 4-5) ----------------------------------------------------------

    def critic_loss(self, fake, epsilon):
        """WGAN-GP critic loss; returns (loss, (wasserstein, gradient_penalty))."""
        d_real = ops.mean(self.critic(self.real, training=True))
        d_fake = ops.mean(self.critic(fake, training=True))
        mixed = epsilon * self.real + (1.0 - epsilon) * fake
        gradient = self.input_gradient(lambda x: self.critic(x, training=True), mixed)
        # Per-pixel norm over channels, as the reference computes it; the tiny constant keeps
        # the derivative of the square root finite where a pixel's gradient is exactly 0.
        norms = ops.sqrt(ops.sum(ops.square(gradient), axis=channel_axis()) + 1e-12)
        penalty = ops.mean(ops.square(norms - 1.0))
        wasserstein = d_fake - d_real
        return wasserstein + self.config.gradient_penalty_weight * penalty, (wasserstein, penalty)

    def adversarial_loss(self, scaled_noise, previous):
        """-mean D(G(σ z, previous)): the generator's adversarial term."""
        fake = self.generator([scaled_noise, previous], training=True)
        return -ops.mean(self.critic(fake, training=True))

    def reconstruction_loss(self):
        """‖G_n(σ z^rec, (x~^rec_{n+1})↑r) - x_n‖² (mean squared error, Eq. 5)."""
        if self.is_coarsest:
            noise = self.z_star.value
        else:
            noise = ops.zeros_like(self.real)
        reconstruction = self.generator([noise, self.previous_reconstruction], training=True)
        return ops.mean(ops.square(reconstruction - self.real))

    def generator_loss(self, scaled_noise, previous):
        """L_G = adversarial + α · reconstruction; returns (loss, (adversarial, reconstruction))."""
        adversarial = self.adversarial_loss(scaled_noise, previous)
        reconstruction = self.reconstruction_loss()
        total = adversarial + self.config.reconstruction_weight * reconstruction
        return total, (adversarial, reconstruction)

    # -- one iteration -------------------------------------------------------------------

    def singan_iteration(self) -> dict:
        """One SinGAN iteration: critic steps then generator steps. Returns the logs."""
        config = self.config
        scaled_noise = self.iteration_noise() * self.noise_amplitude
        if self.is_coarsest and config.redraw_z_star_each_iteration:
            self.z_star.assign(self.redrawn_z_star())

        critic_variables = self.critic.trainable_variables
        # One fresh random coarser image and one ε per critic step (the reference redraws
        # both each step), drawn up front.
        previous_images = self.random_previous(config.critic_steps)
        epsilons = self.penalty_mixing_weights(config.critic_steps)

        def critic_step(step):
            previous = ops.expand_dims(ops.take(previous_images, step, axis=0), 0)
            fake = ops.stop_gradient(self.generator([scaled_noise, previous], training=True))
            epsilon = ops.take(epsilons, step)
            critic_loss, (wasserstein, penalty), grads = self.compute_gradients(
                lambda: self.critic_loss(fake, epsilon), critic_variables
            )
            self.apply_gradients(self.critic_optimizer, grads, critic_variables)
            return {
                "critic_loss": critic_loss,
                "wasserstein": wasserstein,
                "gradient_penalty": penalty,
            }

        # Python loops: traced, each step is written into the compiled program. (A
        # `lax.scan` over the critic steps compiled faster on JAX but ran the iteration
        # 4.5x slower with fast path 4's convolutions, the generator steps 6x slower.)
        for step in range(config.critic_steps):
            logs = critic_step(step)

        # The generator steps use the last critic step's coarser image, as the reference does.
        previous = previous_images[-1:]
        generator_variables = self.generator.trainable_variables
        if config.stale_fake_in_generator_steps:
            # Official code: the adversarial gradient of the last critic step's fake image
            # (computed with G's parameters before its first update) is reused by every
            # generator step. The reference reuses the critic step's fake and runs G no extra
            # time; recomputing it here must not move G's BatchNorm statistics again.
            statistics = self.generator.non_trainable_variables
            kept = [ops.copy(variable.value) for variable in statistics]
            adversarial, _, stale_grads = self.compute_gradients(
                lambda: (self.adversarial_loss(scaled_noise, previous), ()), generator_variables
            )
            for variable, value in zip(statistics, kept, strict=True):
                variable.assign(value)

            def generator_step(step):
                weighted_reconstruction, reconstruction, rec_grads = self.compute_gradients(
                    lambda: self._weighted_reconstruction(), generator_variables
                )
                grads = [a + b for a, b in zip(stale_grads, rec_grads, strict=True)]
                self.apply_gradients(self.generator_optimizer, grads, generator_variables)
                return {
                    "generator_loss": adversarial + weighted_reconstruction,
                    "adversarial": adversarial,
                    "reconstruction": reconstruction,
                }

        else:

            def generator_step(step):
                generator_loss, (adversarial, reconstruction), grads = self.compute_gradients(
                    lambda: self.generator_loss(scaled_noise, previous), generator_variables
                )
                self.apply_gradients(self.generator_optimizer, grads, generator_variables)
                return {
                    "generator_loss": generator_loss,
                    "adversarial": adversarial,
                    "reconstruction": reconstruction,
                }

        for step in range(config.generator_steps):
            logs.update(generator_step(step))
        return logs

    def _weighted_reconstruction(self):
        reconstruction = self.reconstruction_loss()
        return self.config.reconstruction_weight * reconstruction, reconstruction
