"""TorchStyleAdam against PyTorch's Adam; the backend fast paths (`singan_keras.backends`)
against the Keras layers and update they replace, and the switch that turns them off."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from singan_keras.backends import FAST_PATHS
from singan_keras.layout import channel_axis, data_format
from singan_keras.models import build_critic, build_generator
from singan_keras.optimizers import TorchStyleAdam, make_adam

TORCH = keras.backend.backend() == "torch"
JAX = keras.backend.backend() == "jax"
ROOT = Path(__file__).resolve().parents[1]


def _adam_reference(params, grads_per_step, lr, beta_1, beta_2, epsilon):
    """Adam as written in the PyTorch documentation (ε added after bias correction), numpy."""
    params = [p.astype(np.float64).copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for t, grads in enumerate(grads_per_step, start=1):
        for i, g in enumerate(grads):
            m[i] = beta_1 * m[i] + (1 - beta_1) * g
            v[i] = beta_2 * v[i] + (1 - beta_2) * g * g
            m_hat, v_hat = m[i] / (1 - beta_1**t), v[i] / (1 - beta_2**t)
            params[i] -= lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return params


def test_torch_style_adam_matches_the_pytorch_formula():
    # ε = 1e-3 and tiny gradients make "ε after bias correction" matter at every step.
    rng = np.random.default_rng(0)
    shapes = [(3, 3, 3, 4), (4,), (1,)]
    initial = [rng.normal(size=s).astype(np.float32) for s in shapes]
    steps = [[1e-3 * rng.normal(size=s).astype(np.float32) for s in shapes] for _ in range(7)]
    variables = [keras.Variable(p) for p in initial]
    optimizer = TorchStyleAdam(learning_rate=5e-2, beta_1=0.5, beta_2=0.999, epsilon=1e-3)
    optimizer.build(variables)
    for grads in steps:
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in grads], variables)
    expected = _adam_reference(initial, steps, 5e-2, 0.5, 0.999, 1e-3)
    for variable, want in zip(variables, expected, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(variable), want, rtol=2e-5, atol=2e-6)
    # Keras' own Adam (ε before the correction) is measurably different here.
    keras_adam = keras.optimizers.Adam(learning_rate=5e-2, beta_1=0.5, epsilon=1e-3)
    plain = [keras.Variable(p) for p in initial]
    keras_adam.build(plain)
    for grads in steps:
        keras_adam.apply([keras.ops.convert_to_tensor(g) for g in grads], plain)
    gap = np.abs(keras.ops.convert_to_numpy(plain[0]) - expected[0]).max()
    assert gap > 1e-3


@pytest.mark.skipif(not TORCH, reason="compares with torch.optim.Adam")
def test_torch_style_adam_equals_torch_optim_adam():
    import torch

    rng = np.random.default_rng(1)
    initial = [rng.normal(size=s).astype(np.float32) for s in [(3, 3, 8, 8), (8,)]]
    variables = [keras.Variable(p) for p in initial]
    optimizer = TorchStyleAdam(learning_rate=5e-4, beta_1=0.5, beta_2=0.999, epsilon=1e-8)
    optimizer.build(variables)
    params = [torch.nn.Parameter(torch.tensor(p)) for p in initial]
    reference = torch.optim.Adam(params, lr=5e-4, betas=(0.5, 0.999), eps=1e-8, foreach=False)
    for _ in range(10):
        grads = [rng.normal(size=p.shape).astype(np.float32) for p in initial]
        optimizer.apply([torch.tensor(g) for g in grads], variables)
        for param, grad in zip(params, grads, strict=True):
            param.grad = torch.tensor(grad)
        reference.step()
    for variable, param in zip(variables, params, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(variable), param.detach().numpy(), rtol=1e-5, atol=1e-7
        )


def _keras_batch_norm(layer):
    twin = keras.layers.BatchNormalization.from_config(layer.get_config())
    twin.build((1, 5, 9, 9) if data_format() == "channels_first" else (1, 9, 9, 5))
    twin.set_weights(layer.get_weights())
    return twin


def test_models_use_a_batch_norm_equal_to_keras_in_training_and_inference():
    """Forward, moving statistics, gradients and the penalty's second-order gradient."""
    generator = build_generator(5)
    layer = next(la for la in generator.layers if isinstance(la, keras.layers.BatchNormalization))
    rng = np.random.default_rng(2)
    layer.set_weights([rng.normal(1, 0.3, 5), rng.normal(0, 0.3, 5),
                       rng.normal(0, 0.3, 5), rng.uniform(0.5, 2, 5)])  # fmt: skip
    twin = _keras_batch_norm(layer)
    fused = type(layer).__module__ == "singan_keras.backends.torch.fused"
    assert fused == (TORCH and FAST_PATHS)
    assert type(layer).__name__ == "BatchNormalization"  # same h5 keys
    shape = (1, 5, 9, 9) if data_format() == "channels_first" else (1, 9, 9, 5)
    x = (3 * rng.normal(size=shape) + 1).astype(np.float32)
    for training in (True, False):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(layer(x, training=training)),
            keras.ops.convert_to_numpy(twin(x, training=training)),
            rtol=1e-4, atol=1e-5,
        )  # fmt: skip
    for mine, theirs in zip(layer.non_trainable_weights, twin.non_trainable_weights, strict=True):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(mine), keras.ops.convert_to_numpy(theirs), rtol=1e-5
        )
    if not TORCH:
        return
    import torch

    weights = torch.tensor(rng.normal(size=shape).astype(np.float32))

    def penalty_and_grads(bn):
        inputs = torch.tensor(x, requires_grad=True)
        out = bn(inputs, training=True)
        (grad_x,) = torch.autograd.grad((out * weights).sum(), inputs, create_graph=True)
        penalty = (grad_x**2).sum() + (out**3).mean()
        return torch.autograd.grad(penalty, [bn.gamma.value, bn.beta.value])

    for mine, theirs in zip(penalty_and_grads(layer), penalty_and_grads(twin), strict=True):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-3, atol=1e-5)
    assert channel_axis() == 1


def test_network_convolutions_equal_keras_conv2d_to_the_second_derivative():
    """G's and D's layers (`jax.convolution.Conv2D` on JAX-on-CPU) against Keras' Conv2D."""
    critic = build_critic(6)
    generator_convs = [
        la for la in build_generator(6).layers if isinstance(la, keras.layers.Conv2D)
    ]
    convs = [la for la in critic.layers if isinstance(la, keras.layers.Conv2D)]
    assert len(convs) == 5 and all(type(la).__name__ == "Conv2D" for la in convs)  # h5 keys
    fast = JAX and FAST_PATHS and __import__("jax").default_backend() == "cpu"
    for layer in convs + generator_convs:
        assert (type(layer).__module__ == "singan_keras.backends.jax.convolution") == fast
    layer = convs[1]  # 6 -> 6 channels
    twin = keras.layers.Conv2D.from_config(layer.get_config())
    shape = (1, 6, 13, 17) if data_format() == "channels_first" else (1, 13, 17, 6)
    twin.build(shape)
    rng = np.random.default_rng(3)
    twin.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in layer.get_weights()])
    layer.set_weights(twin.get_weights())
    x = rng.normal(size=shape).astype(np.float32)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer(x)),
        keras.ops.convert_to_numpy(twin(x)),
        rtol=1e-4,
        atol=1e-4,
    )
    if not JAX:
        return
    import jax
    import jax.numpy as jnp

    weights = jnp.asarray(rng.normal(size=(1, 11, 15, 6)).astype(np.float32))

    def penalty(conv, kernel):
        def score(inputs):
            out, _ = conv.stateless_call([kernel, conv.bias.value], [], inputs)
            return jnp.sum(out * weights + 0.1 * out**2)

        return jnp.sum(jax.grad(score)(jnp.asarray(x)) ** 2)

    mine = jax.grad(lambda k: penalty(layer, k))(layer.kernel.value)
    theirs = jax.grad(lambda k: penalty(twin, k))(twin.kernel.value)
    np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-3, atol=1e-3)


@pytest.mark.skipif(not (TORCH and FAST_PATHS), reason="the direct-call model is a torch fast path")
@pytest.mark.parametrize("training", [True, False])
def test_torch_models_called_directly_equal_keras_call(training):
    """The direct-call model: outputs, BatchNorm statistics and gradients equal Keras'."""
    import torch
    from keras.src.models.functional import Functional as KerasFunctional

    from singan_keras.backends.torch import fused

    generator, twin = build_generator(8), build_generator(8)
    assert type(generator) is fused.Functional
    rng = np.random.default_rng(5)
    twin.set_weights([rng.normal(size=w.shape).astype(np.float32) for w in twin.get_weights()])
    generator.set_weights(twin.get_weights())
    initial = [v.numpy().copy() for v in generator.non_trainable_variables]
    shape = (2, 3, 19, 23)
    noise, previous = (torch.tensor(rng.normal(size=shape), dtype=torch.float32) for _ in "ab")

    def loss_and_grads(model, call):
        out = call([noise, previous], training=training)
        loss = (out**2).mean()
        grads = torch.autograd.grad(loss, [v.value for v in model.trainable_variables])
        return [out.detach().numpy(), *(g.numpy() for g in grads)]

    mine = loss_and_grads(generator, generator)
    theirs = loss_and_grads(twin, lambda *a, **k: KerasFunctional.__call__(twin, *a, **k))
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # Only training-mode calls move the statistics, and they move them the same way.
    moved = [v.numpy() for v in generator.non_trainable_variables]
    for a, b in zip(moved, [v.numpy() for v in twin.non_trainable_variables], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    changed = any(not np.allclose(a, b) for a, b in zip(moved, initial, strict=True))
    assert changed == training
    # Numpy inputs and a call without `training` go through Keras' own __call__.
    out = generator([noise.numpy(), previous.numpy()])
    assert out.shape == (2, 3, 19, 23)


@pytest.mark.skipif(not TORCH, reason="the foreach Adam update is a torch fast path")
def test_foreach_adam_update_equals_torch_optim_adam_through_the_decay():
    """The train step's foreach update: parameters, moments, the step count and the learning
    rate drop (2 updates per iteration, decay after 3 iterations) against torch.optim.Adam
    with the same MultiStep schedule."""
    import torch

    from singan_keras.backends.torch.fused import foreach_adam_update

    rng = np.random.default_rng(4)
    initial = [rng.normal(size=s).astype(np.float32) for s in [(3, 3, 4, 5), (5,)]]
    variables = [keras.Variable(p) for p in initial]
    optimizer = make_adam(5e-3, 0.5, 0.999, 1e-8, updates_per_iteration=2,
                          decay_after_iterations=3, decay_factor=0.1, name="adam")  # fmt: skip
    optimizer.build(variables)
    params = [torch.nn.Parameter(torch.tensor(p)) for p in initial]
    reference = torch.optim.Adam(params, lr=5e-3, betas=(0.5, 0.999), eps=1e-8, foreach=False)
    schedule = torch.optim.lr_scheduler.MultiStepLR(reference, milestones=[6], gamma=0.1)
    for _ in range(10):
        grads = [rng.normal(size=p.shape).astype(np.float32) for p in initial]
        with torch.no_grad():
            foreach_adam_update(optimizer, [torch.tensor(g) for g in grads], variables)
        for param, grad in zip(params, grads, strict=True):
            param.grad = torch.tensor(grad)
        reference.step()
        schedule.step()
    assert int(optimizer.iterations.numpy()) == 10
    for variable, param in zip(variables, params, strict=True):
        np.testing.assert_allclose(variable.numpy(), param.detach().numpy(), rtol=1e-5, atol=1e-7)
        state = reference.state[param]
        index = optimizer._get_variable_index(variable)
        np.testing.assert_allclose(
            optimizer._momentums[index].numpy(), state["exp_avg"].numpy(), rtol=1e-5, atol=1e-8
        )
        np.testing.assert_allclose(
            optimizer._velocities[index].numpy(), state["exp_avg_sq"].numpy(), rtol=1e-5
        )


def test_the_switch_turns_every_fast_path_off():
    """SINGAN_KERAS_FAST_PATHS=0: Keras' own layer and model classes, Keras' Adam update.

    The one exception is a correction, not a fast path: TensorFlow's BatchNormalization whose
    moments can be differentiated twice (`singan_keras.backends.tensorflow.layers`)."""
    code = (
        "from singan_keras import backends\n"
        "from singan_keras.backends import common\n"
        "from singan_keras.models import build_critic, build_generator\n"
        "assert not backends.FAST_PATHS\n"
        "plain, used = common.PLAIN_NETWORK_CLASSES, backends.NETWORK_CLASSES\n"
        "assert (used.conv, used.critic_conv, used.model) == (plain.conv, plain.critic_conv,"
        " plain.model)\n"
        "corrections = {'singan_keras.backends.tensorflow.layers'} if backends.BACKEND == "
        "'tensorflow' else set()\n"
        "for net in (build_generator(4), build_critic(4)):\n"
        "    for layer in [net, *net.layers]:\n"
        "        module = type(layer).__module__\n"
        "        assert module.startswith('keras.') or module in corrections, type(layer)\n"
        "if backends.BACKEND == 'torch':\n"
        "    from singan_keras.backends.torch import train_step\n"
        "    assert train_step._adam_update is common.plain_adam_update\n"
        "print('plain')\n"
    )
    env = {**os.environ, "SINGAN_KERAS_FAST_PATHS": "0", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "plain"


@pytest.mark.skipif(not JAX, reason="the convolution family is JAX code")
@pytest.mark.parametrize("kernel_size", [(3, 3), (2, 4)])
def test_jax_convolution_family_equals_lax_autodiff_to_the_second_order(kernel_size):
    """`convolve` and its two transposes, and their derivatives, against JAX's own
    derivatives of ``lax.conv_general_dilated`` (batch 2, odd sizes, a non-square kernel)."""
    import jax
    import jax.numpy as jnp

    from singan_keras.backends.jax import convolution as fast

    def lax_convolve(x, kernel):
        return jax.lax.conv_general_dilated(
            x, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC")
        )

    rng = np.random.default_rng(11)
    kh, kw = kernel_size
    x, kernel = (jnp.asarray(rng.normal(size=s).astype(np.float32)) for s in
                 [(2, 9, 13, 3), (kh, kw, 3, 5)])  # fmt: skip
    y_shape = (2, 9 - kh + 1, 13 - kw + 1, 5)
    g, h = (jnp.asarray(rng.normal(size=y_shape).astype(np.float32)) for _ in "gh")

    def close(mine, theirs):
        np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-4, atol=1e-4)

    close(fast.convolve(x, kernel), lax_convolve(x, kernel))
    _, lax_vjp = jax.vjp(lax_convolve, x, kernel)
    lax_dx, lax_dk = lax_vjp(g)
    close(fast.transpose_to_input(g, kernel), lax_dx)
    close(fast.transpose_to_kernel(x, g), lax_dk)
    for mine, theirs in zip(jax.vjp(fast.convolve, x, kernel)[1](g), (lax_dx, lax_dk), strict=True):
        close(mine, theirs)

    # Second order: differentiate a function of both first derivatives (the penalty's form).
    def second(convolve, x, kernel):
        dx, dk = jax.vjp(convolve, x, kernel)[1](g * convolve(x, kernel))
        return jnp.sum(dx**2) + jnp.sum(jnp.sin(dk)) + jnp.sum(h * convolve(x, kernel))

    gradients = [jax.grad(second, argnums=(1, 2))(conv, x, kernel)
                 for conv in (fast.convolve, lax_convolve)]  # fmt: skip
    for mine, theirs in zip(*gradients, strict=True):
        close(mine, theirs)
