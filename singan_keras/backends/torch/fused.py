"""PyTorch fast paths 5-7 of `singan_keras.backends` (imported on the torch backend only).

Keras composes BatchNorm and Adam from backend-neutral ops. On the TensorFlow and JAX
backends the graph compiler fuses those ops; eager PyTorch runs each one as its own kernel:
a profile of one iteration (96×96, 32 channels) counted ~3700 `aten::mul`, ~1100
`aten::div` and ~5000 `aten::copy_` calls, 1.37× the time of a plain-PyTorch scale whose
convolutions cost the same. The replacements below do the same maths in PyTorch's fused
kernels, or without Keras' per-call bookkeeping:

* `BatchNormalization` (fused) — a `keras.layers.BatchNormalization` whose training-mode call
  is one ``torch.native_batch_norm`` (forward, backward and the double backward the
  gradient penalty needs are all native). The moving statistics follow Keras' rule exactly
  (biased batch variance, ``moving = momentum·moving + (1 - momentum)·batch``), not torch's
  (which averages the *unbiased* variance), so a checkpoint means the same on every backend.
* `foreach_adam_update` — the update of `singan_keras.optimizers.TorchStyleAdam` for all
  variables at once with ``torch._foreach_*`` ops, as ``torch.optim.Adam(foreach=True)``
  does, instead of ~10 small ops per variable.
* `Functional` — the networks' model class on torch. Calling a Keras model runs
  ``Layer.__call__`` for the model and each of its ~17 layers (argument checks, input
  conversion, scopes), ~10 ms per network call on a CPU, and an iteration calls a network
  ~21 times: at 25-64 px that is as long as the maths. A call with tensors and an explicit
  ``training=`` flag walks Keras' own graph calling each layer's ``call`` directly.

`tests/test_kernels.py` checks all three against Keras' own layer and against ``torch.optim.Adam``;
``SINGAN_KERAS_FAST_PATHS=0`` turns them off (`singan_keras.backends`).
"""

from __future__ import annotations

import functools

import keras
import torch
from keras.src.models.functional import Functional as KerasFunctional

__all__ = ["BatchNormalization", "Functional", "foreach_adam_update"]


class Functional(KerasFunctional):
    """A Keras functional model whose eager calls skip ``Layer.__call__`` for its layers.

    ``model(inputs, training=True|False)`` with torch tensors runs the model's graph
    (Keras' ``_run_through_graph``, the walk ``Functional.call`` does) with each layer's
    ``call`` method, passing ``training`` to the layers that take it — BatchNorm here. Any
    other call (numpy or symbolic inputs, ``training`` left to the call context, extra
    arguments) goes through Keras unchanged.
    """

    def __call__(self, inputs, *args, **kwargs):
        training = kwargs.get("training")
        direct = (
            not args
            and set(kwargs) == {"training"}
            and isinstance(training, bool)
            and all(isinstance(t, torch.Tensor) for t in keras.tree.flatten(inputs))
        )
        if not direct:
            return super().__call__(inputs, *args, **kwargs)

        def layer_call(layer):
            if getattr(layer, "_call_has_training_arg", False):
                return functools.partial(layer.call, training=training)
            return layer.call

        return self._run_through_graph(inputs, operation_fn=layer_call)


@keras.saving.register_keras_serializable(package="singan_keras")
class BatchNormalization(keras.layers.BatchNormalization):
    """Keras BatchNormalization computed by ``torch.native_batch_norm`` when training.

    The class keeps Keras' name on purpose: a ``.weights.h5`` file keys each layer's
    variables by its class name, so this name lets weights move between backends unchanged.

    Inference (``training=False``) uses Keras' own code path with the moving statistics.
    Only the configuration SinGAN uses is fused (no mask, no renorm, float32, channels on
    axis 1); anything else falls back to Keras.
    """

    def call(self, inputs, training=None, mask=None):
        fusable = (
            training
            and self.trainable
            and mask is None
            and not self.renorm
            and self.axis == 1
            and inputs.dtype == torch.float32
        )
        if not fusable:
            return super().call(inputs, training=training, mask=mask)
        gamma = self.gamma.value if self.scale else None
        beta = self.beta.value if self.center else None
        # No running buffers are passed: torch would average the unbiased variance.
        outputs, batch_mean, inverse_std = torch.native_batch_norm(
            inputs, gamma, beta, None, None, True, 0.0, self.epsilon
        )
        with torch.no_grad():
            # native_batch_norm returns 1/sqrt(var + eps) of the biased batch variance.
            batch_variance = inverse_std.pow(-2) - self.epsilon
            self.moving_mean.value.lerp_(batch_mean, 1.0 - self.momentum)
            self.moving_variance.value.lerp_(batch_variance, 1.0 - self.momentum)
        return outputs


def foreach_adam_update(optimizer, grads, variables) -> None:
    """One `TorchStyleAdam` update of all `variables`, with ``torch._foreach_*`` kernels.

    Does what ``optimizer.apply(grads, variables)`` does for the plain Adam our trainer builds
    (no weight decay, clipping, EMA, loss scaling or gradient accumulation; an optimizer with
    any of those goes through ``apply`` unchanged): ε after bias correction,
    ``m ← β1·m + (1-β1)·g``, ``v ← β2·v + (1-β2)·g²``,
    ``θ ← θ - lr/(1-β1^t) · m / (sqrt(v)/sqrt(1-β2^t) + ε)``, then ``iterations += 1``.
    The step-dependent scalars stay tensors on the variables' device (no host sync).
    Call it under ``torch.no_grad()``.
    """
    plain = (
        optimizer.weight_decay
        or optimizer.clipnorm
        or optimizer.clipvalue
        or optimizer.global_clipnorm
        or optimizer.use_ema
        or optimizer.loss_scale_factor
        or optimizer.gradient_accumulation_steps
    )
    if plain:
        optimizer.apply(grads, variables)
        return
    params = [variable.value for variable in variables]
    index = optimizer._get_variable_index
    momentums = [optimizer._momentums[index(variable)].value for variable in variables]
    velocities = [optimizer._velocities[index(variable)].value for variable in variables]
    grads = [grad.to(param.dtype) for grad, param in zip(grads, params, strict=True)]

    dtype = params[0].dtype
    iterations = optimizer.iterations.value
    step = iterations.to(dtype) + 1
    bias_correction_1 = 1 - optimizer.beta_1**step
    bias_correction_2 = 1 - optimizer.beta_2**step
    learning_rate = keras.ops.convert_to_tensor(optimizer.learning_rate, dtype=dtype)
    step_size = learning_rate / bias_correction_1

    torch._foreach_lerp_(momentums, grads, 1 - optimizer.beta_1)
    torch._foreach_mul_(velocities, optimizer.beta_2)
    torch._foreach_addcmul_(velocities, grads, grads, value=1 - optimizer.beta_2)
    denominators = torch._foreach_sqrt(velocities)
    torch._foreach_div_(denominators, torch.sqrt(bias_correction_2))
    torch._foreach_add_(denominators, optimizer.epsilon)
    updates = torch._foreach_div(momentums, denominators)
    torch._foreach_mul_(updates, step_size)
    torch._foreach_sub_(params, updates)
    iterations.add_(1)
