"""The two Adam optimizers of a scale and the wrapper that lets `fit()` carry both.

* `TorchStyleAdam` is Keras' Adam with ε added *after* bias correction, as PyTorch (and so the
  reference) does: ``θ -= lr/(1-β1^t) · m / (sqrt(v/(1-β2^t)) + ε)``. Keras adds ε before
  the correction, which with ε = 1e-8 differs early in training.
* `CriticGeneratorOptimizers` holds the critic's and the generator's optimizers. Keras' JAX
  trainer threads only ``model.optimizer.variables`` through the jitted step, so both
  optimizers' variables must be visible there; the wrapper exposes them and is what we pass
  to ``compile()`` on every backend. Our train step calls the two inner optimizers directly.
"""

from __future__ import annotations

import keras
from keras import ops

from singan_keras.backends import OptimizerMixin

__all__ = ["TorchStyleAdam", "CriticGeneratorOptimizers", "make_adam"]


class TorchStyleAdam(OptimizerMixin, keras.optimizers.Adam):
    """Adam whose ε is applied after bias correction (PyTorch's formulation).

    Example:
        >>> opt = TorchStyleAdam(learning_rate=5e-4, beta_1=0.5, epsilon=1e-8)
        >>> opt.epsilon
        1e-08
    """

    def update_step(self, gradient, variable, learning_rate):
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        step = ops.cast(self.iterations + 1, variable.dtype)
        bias_1 = 1 - ops.power(ops.cast(self.beta_1, variable.dtype), step)
        bias_2 = 1 - ops.power(ops.cast(self.beta_2, variable.dtype), step)
        # Keras keeps Adam's moment estimates in private lists (`singan_keras.backends`).
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        denominator = ops.add(ops.sqrt(ops.divide(v, bias_2)), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(m, lr / bias_1), denominator))


def make_adam(
    learning_rate: float,
    beta_1: float,
    beta_2: float,
    epsilon: float,
    updates_per_iteration: int,
    decay_after_iterations: int,
    decay_factor: float,
    name: str,
) -> TorchStyleAdam:
    """An Adam whose learning rate is multiplied by `decay_factor` after a number of iterations.

    One SinGAN iteration makes `updates_per_iteration` updates of each network, and Keras
    schedules count updates, so the boundary is ``decay_after_iterations * updates - 1``
    (``PiecewiseConstantDecay`` keeps the first value while ``step <= boundary``).
    """
    boundary = decay_after_iterations * updates_per_iteration - 1
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[boundary], values=[learning_rate, learning_rate * decay_factor]
    )
    return TorchStyleAdam(
        learning_rate=schedule, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=name
    )


class CriticGeneratorOptimizers(keras.optimizers.Optimizer):
    """Exposes the variables of two already-built optimizers as one optimizer's.

    Args:
        critic_optimizer: optimizer of D_n, built on the critic's trainable variables.
        generator_optimizer: optimizer of G_n, built on the generator's trainable variables.
    """

    def __init__(self, critic_optimizer, generator_optimizer, name="critic_generator_optimizers"):
        super().__init__(learning_rate=0.0, name=name)
        if not (critic_optimizer.built and generator_optimizer.built):
            raise ValueError("Build both optimizers before wrapping them.")
        self.critic_optimizer = critic_optimizer
        self.generator_optimizer = generator_optimizer
        self.built = True

    def build(self, variables):  # both inner optimizers are built already
        self.built = True

    @property
    def variables(self):
        return self.critic_optimizer.variables + self.generator_optimizer.variables

    @property
    def iterations(self):
        return self.generator_optimizer.iterations

    def apply(self, grads, trainable_variables=None):
        raise NotImplementedError(
            "CriticGeneratorOptimizers only carries state; apply the inner optimizers."
        )
