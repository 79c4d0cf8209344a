"""TensorFlow: gradients with `tf.GradientTape` (nested tapes for the penalty)."""

import tensorflow as tf

from singan_keras.backends.common import plain_adam_update


class TrainStep:
    # -- Keras entry point ---------------------------------------------------------------
    def train_step(self, data):
        return self.singan_iteration()

    def run_outside_fit(self, fn):
        return fn()

    # -- gradients of a loss -------------------------------------------------------------
    def compute_gradients(self, loss_fn, variables):
        with tf.GradientTape() as tape:
            loss, aux = loss_fn()
        return loss, aux, tape.gradient(loss, variables)

    # -- one optimizer update ------------------------------------------------------------
    def apply_gradients(self, optimizer, grads, variables):
        plain_adam_update(optimizer, grads, variables)

    # -- input gradient for the penalty (differentiable) ---------------------------------
    def input_gradient(self, fn, x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = tf.reduce_sum(fn(x))
        return tape.gradient(total, x)

    # -- after the scale's fit() ---------------------------------------------------------
    def release_compiled_step(self):
        # The traced step is freed with the trainer (see OptimizerMixin's all-reduce note).
        self.train_function = None
