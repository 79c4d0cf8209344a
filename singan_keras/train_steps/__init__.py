"""Backend-specific gradient code, chosen once: the three files side by side.

Keras 3 has no backend-agnostic reverse-mode gradient, so each backend supplies the same
six methods, in the same order, for `singan_keras.scale_trainer.ScaleTrainer`:

* ``train_step``       — Keras' entry point; runs ``self.singan_iteration()`` (JAX: inside a
                         `keras.StatelessScope` holding the explicit training state);
* ``run_outside_fit``  — runs a function of the trainer (losses, gradients) eagerly,
                         outside ``fit()`` (used by tests and tutorials);
* ``compute_gradients``— ``(loss, aux, grads)`` of a loss function w.r.t. some variables;
* ``apply_gradients``  — one optimizer update;
* ``input_gradient``   — ∂ sum f(x) / ∂x, kept differentiable for the gradient penalty
                         (a second-order gradient);
* ``release_compiled_step`` — called once the scale's ``fit()`` is over, to free what the
                         backend compiled for it (JAX's in-process caches).

Compare them with ``diff singan_keras/train_steps/{tensorflow,jax}.py``.
"""

import keras

_backend = keras.backend.backend()
if _backend == "tensorflow":
    from singan_keras.train_steps.tensorflow import TrainStep as BackendTrainStep
elif _backend == "jax":
    from singan_keras.train_steps.jax import TrainStep as BackendTrainStep
elif _backend == "torch":
    from singan_keras.train_steps.torch import TrainStep as BackendTrainStep
else:
    raise ImportError(
        f"singan_keras supports the tensorflow, jax and torch Keras backends, not {_backend!r}. "
        "Set KERAS_BACKEND to one of them."
    )

__all__ = ["BackendTrainStep"]
