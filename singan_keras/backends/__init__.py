"""Everything that differs between the TensorFlow, JAX and PyTorch backends, bound once here.

SinGAN's algorithm is written once, with `keras.ops`, `keras.layers` and `keras.random`
(`singan_keras.scale_trainer`, `singan_keras.models`, `singan_keras.sampling`, ...). What
Keras 3 has no common API for lives in one package per backend, with the same names in each:

* `TrainStep` — the train step's gradient mechanics: `tf.GradientTape`;
  `jax.value_and_grad` over stateless calls; `torch.autograd.grad`. One Adam update per
  network step (`TrainStep.apply_gradients`): Keras' own, or on torch one
  ``torch._foreach_*`` update (7).
* `DATA_FORMAT` — the layout inside the networks: channels_last on TensorFlow and JAX,
  channels_first on torch (1).
* `no_gradients()` — gradient recording off while sampling: only torch records outside a
  tape or `jax.grad` (2).
* `OptimizerMixin` — hooks into Keras' optimizer: TensorFlow skips the cross-replica
  gradient sum (3).
* `NETWORK_CLASSES` — the layer and model classes of G_n and D_n: Keras' own, a
  BatchNorm that can be differentiated twice on TensorFlow (8), convolutions in XLA:CPU's
  fast forms on JAX-on-CPU (4), fused BatchNorm (5) and a direct-call model (6) on torch.
* `enable_compile_cache(directory)` — an opt-in persistent compile cache (JAX only).
* `run_as_one_program(function)` — a one-off network computation (the reconstruction of
  every scale) as one compiled program that is freed afterwards, on JAX (9); a plain call
  elsewhere.
* `accelerators()` — the GPUs the backend will use (``singan env`` prints them).
* `default_device()` — where Keras runs on this backend, in one line (``"cpu"``,
  ``"cuda:0 (NVIDIA H100 ...)"``; ``singan env`` prints it).

(1)-(3), (8) and (9) are needed for correctness or memory. (4)-(7) are *fast paths*:
the same maths as Keras' plain layers and update, measured faster on these machines
(`benchmarks/`); `tests/test_kernels.py` checks each against the plain path. Setting the
environment variable ``SINGAN_KERAS_FAST_PATHS=0`` before the import turns every fast path
off (plain Keras layers, Keras' Adam update and Keras' model call); CI runs the torch and
JAX suites once more that way.

1. torch 2.13 (CPU) fails the penalty's double backward through a 1-output-channel
   convolution in channels-last memory format (``slow_conv2d: grad_weight must be
   contiguous``). Conv kernels are stored ``(kh, kw, in, out)`` in both layouts, so weights
   move between backends unchanged.
2. Eager torch records every call of a trainable network; a sampled pyramid would keep every
   scale's activations (a 1024x243 batch of 8 was OOM-killed).
3. Keras' TensorFlow optimizer sums gradients across replicas with a ``tf.custom_gradient``
   that registers a function per trace in TF's global registry, keeping every scale's traced
   step alive (~25 MiB per scale). One scale trains on one device with batch 1.
4. XLA:CPU runs some forms of convolution several times slower than others: an unpadded
   forward, the kernel gradient, and the convolutions of the penalty's second derivative
   (20-70x). Every convolution of G and D, and each of its derivatives, in a fast form
   (`singan_keras.backends.jax.convolution`; JAX on a CPU only). JAX's time per iteration
   at 188x250 went from 1.8-2.0x the plain-PyTorch baseline's to 0.96-0.98x.
5. Keras' composed BatchNorm is ~10 small kernels per call in eager torch; one
   ``torch.native_batch_norm`` does the same.
6. Calling a Keras model runs ``Layer.__call__`` bookkeeping for ~17 layers (~10 ms per
   network call on a CPU, ~21 calls per iteration): the model walks its graph calling each
   layer's ``call`` directly.
7. Keras' Adam is ~10 small ops per variable in eager torch; ``torch._foreach_*`` updates
   all variables at once, as ``torch.optim.Adam(foreach=True)`` does.
8. Keras' TensorFlow backend takes BatchNorm's moments with ``tf.nn.moments``, which stops
   the mean's gradient inside the variance: exact first derivatives, wrong second ones. The
   penalty's gradient through the critic was 3 % off (found by
   ``tests/test_iteration_parity.py``); the TensorFlow BatchNorm computes the moments
   itself, with the switch on or off.
9. JAX compiles every eager operation once per new input shape and keeps the programs for the
   life of the process: the eager reconstruction at each new scale's size kept ~25 programs,
   25-60 MiB, per scale (`tests/test_memory.py`). One jitted call per reconstruction step
   compiles one program, freed when the call returns.

The train step (``<backend>/train_step.py``, a mixin of
`singan_keras.scale_trainer.ScaleTrainer`) has the same six methods in the same order on every
backend, so ``diff singan_keras/backends/{tensorflow,jax}/train_step.py`` shows only the
gradient mechanics:

* ``train_step`` — Keras' entry point; runs ``self.singan_iteration()`` (JAX: inside a
  `keras.StatelessScope` holding the explicit training state);
* ``run_outside_fit`` — runs a function of the trainer (losses, gradients) eagerly, outside
  ``fit()`` (used by tests and tutorials);
* ``compute_gradients`` — ``(loss, aux, grads)`` of a loss function w.r.t. some variables;
* ``apply_gradients`` — one optimizer update;
* ``input_gradient`` — ∂ sum f(x) / ∂x, kept differentiable for the gradient penalty (a
  second-order gradient);
* ``release_compiled_step`` — called once the scale's ``fit()`` is over: drops the
  compiled step.

Private Keras API (checked on Keras 3.15.1, the version CI installs; ``pyproject.toml`` pins
``keras>=3.15,<3.16``). Everything else in the package uses public Keras API only.

* ``Optimizer._momentums``, ``._velocities``, ``._get_variable_index`` — Adam's moment
  estimates, read by `singan_keras.optimizers.TorchStyleAdam.update_step` (ε after bias
  correction) and by the torch foreach update (7). No public accessor exists.
* TensorFlow ``Optimizer._all_reduce_sum_gradients`` — overridden by (3).
* ``BatchNormalization._moments`` — overridden by (8), TensorFlow only.
* ``keras.src.models.functional.Functional``, ``Functional._run_through_graph`` and
  ``Layer._call_has_training_arg`` — the direct-call model (6), torch only.
* ``keras.StatelessScope.state_mapping`` (an undocumented attribute) — the JAX train step
  builds child scopes from its parent's values.

Example:
    >>> from singan_keras import backends
    >>> backends.DATA_FORMAT in ("channels_last", "channels_first")
    True
"""

from __future__ import annotations

import keras

from singan_keras.backends.common import FAST_PATHS

__all__ = [
    "BACKEND",
    "DATA_FORMAT",
    "FAST_PATHS",
    "NETWORK_CLASSES",
    "OptimizerMixin",
    "TrainStep",
    "accelerators",
    "default_device",
    "enable_compile_cache",
    "no_gradients",
    "run_as_one_program",
]

BACKEND = keras.backend.backend()


# The one place that branches on the backend.
if BACKEND == "tensorflow":
    from singan_keras.backends import tensorflow as _backend
elif BACKEND == "jax":
    from singan_keras.backends import jax as _backend
elif BACKEND == "torch":
    from singan_keras.backends import torch as _backend
else:
    raise ImportError(
        f"singan_keras supports the tensorflow, jax and torch Keras backends, not {BACKEND!r}. "
        "Set KERAS_BACKEND to one of them."
    )

TrainStep = _backend.TrainStep
OptimizerMixin = _backend.OptimizerMixin
DATA_FORMAT: str = _backend.DATA_FORMAT
no_gradients = _backend.no_gradients
enable_compile_cache = _backend.enable_compile_cache
run_as_one_program = _backend.run_as_one_program
accelerators = _backend.accelerators
default_device = _backend.default_device
NETWORK_CLASSES = _backend.network_classes(FAST_PATHS)
