"""TorchStyleAdam against PyTorch's Adam, and the torch-only fused BatchNorm against Keras'."""

import keras
import numpy as np
import pytest

from singan_keras.layout import channel_axis, data_format
from singan_keras.models import build_generator
from singan_keras.optimizers import TorchStyleAdam

TORCH = keras.backend.backend() == "torch"


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
    fused = type(layer).__module__ == "singan_keras.torch_kernels"
    assert fused == TORCH and type(layer).__name__ == "BatchNormalization"  # same h5 keys
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
