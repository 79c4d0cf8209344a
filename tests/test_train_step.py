"""One scale's train step: the gradient penalty, the losses, learning, and the official options."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import requires_backends, smooth_image, tiny_config
from numpy_reference import generator_forward, network_weights

from singan_keras.layout import to_internal, to_numpy_nhwc
from singan_keras.models import build_critic, build_generator
from singan_keras.scale_trainer import FrozenPyramid, ScaleTensors, ScaleTrainer

HERE = Path(__file__).parent


def coarsest_trainer(config, size=(16, 16), channels=4, seed=0, weights=None):
    keras.utils.set_random_seed(seed)
    real = smooth_image(*size, seed=seed)
    generator, critic = build_generator(channels), build_critic(channels)
    if weights is not None:
        generator.load_weights(weights[0])
        critic.load_weights(weights[1])
    z_star = np.random.default_rng(seed).normal(size=(*size, 3)).astype(np.float32)
    trainer = ScaleTrainer(
        generator,
        critic,
        FrozenPyramid(),
        ScaleTensors(real, np.zeros_like(real), 1.0, z_star),
        config,
        seed=seed,
    )
    trainer.compile_for_training()
    return trainer


def critic_sum_numpy(trainer, x):
    """sum D(x) in training mode (batch statistics), x numpy NHWC."""
    return float(keras.ops.sum(trainer.critic(to_internal(x), training=True)))


def test_input_gradient_matches_finite_differences():
    trainer = coarsest_trainer(tiny_config())
    # LeakyReLU's kinks make finite differences unreliable in float32; with slope 1 the
    # critic is smooth (convolutions + BatchNorm) and still exercises the same gradient code.
    for layer in trainer.critic.layers:
        if isinstance(layer, keras.layers.LeakyReLU):
            layer.negative_slope = 1.0
    x = np.random.default_rng(3).uniform(-1, 1, (1, 14, 14, 3)).astype(np.float32)
    gradient = trainer.run_outside_fit(
        lambda: to_numpy_nhwc(
            trainer.input_gradient(lambda t: trainer.critic(t, training=True), to_internal(x))
        )
    )
    step = 5e-2  # smooth critic: a large step keeps float32 rounding small
    for index in [(0, 0, 0, 0), (0, 5, 7, 1), (0, 13, 13, 2), (0, 7, 2, 0)]:
        plus, minus = x.copy(), x.copy()
        plus[index] += step
        minus[index] -= step
        numeric = (critic_sum_numpy(trainer, plus) - critic_sum_numpy(trainer, minus)) / (2 * step)
        assert gradient[index] == pytest.approx(numeric, rel=2e-2, abs=1e-5)
    assert np.abs(gradient).max() > 1e-3  # not trivially zero


def test_critic_loss_terms_equal_their_definitions():
    trainer = coarsest_trainer(tiny_config())
    rng = np.random.default_rng(4)
    real = to_numpy_nhwc(trainer.real)
    fake = rng.uniform(-1, 1, real.shape).astype(np.float32)
    epsilon = 0.3

    def losses():
        loss, (wasserstein, penalty) = trainer.critic_loss(to_internal(fake), epsilon)
        mixed = to_internal(epsilon * real + (1 - epsilon) * fake)
        gradient = trainer.input_gradient(lambda t: trainer.critic(t, training=True), mixed)
        return [float(v) for v in (loss, wasserstein, penalty)], to_numpy_nhwc(gradient)

    (loss, wasserstein, penalty), gradient = trainer.run_outside_fit(losses)
    # Gradient penalty: per-pixel L2 norm over channels, mean of (norm - 1)^2 (reference form).
    expected_penalty = np.mean((np.sqrt((gradient**2).sum(-1)) - 1) ** 2)
    assert penalty == pytest.approx(expected_penalty, rel=1e-4)
    expected_w = (critic_sum_numpy(trainer, fake) - critic_sum_numpy(trainer, real)) / np.prod(
        to_numpy_nhwc(trainer.critic(trainer.real)).shape
    )
    assert wasserstein == pytest.approx(expected_w, rel=1e-4, abs=1e-6)
    assert loss == pytest.approx(wasserstein + 0.1 * penalty, rel=1e-5, abs=1e-7)


def _reconstruction_error(trainer):
    """‖G(z*, 0) − x‖² (mean), G in training mode (batch statistics, as the train step runs it),
    computed with `numpy_reference` from the generator's current weights."""
    weights = network_weights(trainer.generator, "g")
    z_star = to_numpy_nhwc(trainer.z_star.value)
    rec = generator_forward(weights, z_star, np.zeros_like(z_star), training=True)
    return float(np.mean((rec - to_numpy_nhwc(trainer.real)) ** 2))


def test_training_reduces_the_reconstruction_loss():
    config = tiny_config(iterations=40, reconstruction_weight=10.0)
    trainer = coarsest_trainer(config, size=(16, 16), channels=8)
    initial = _reconstruction_error(trainer)
    logged = []
    trainer.fit(
        np.zeros((40, 1), np.float32),
        batch_size=1,
        verbose=0,
        callbacks=[
            keras.callbacks.LambdaCallback(
                on_train_batch_end=lambda b, logs: logged.append(float(logs["reconstruction"]))
            )
        ],
    )
    # The logged term is the unweighted MSE before the iteration's generator update: the
    # first one is the initial weights' error (the critic step does not touch G).
    assert logged[0] == pytest.approx(initial, rel=1e-4)
    final = _reconstruction_error(trainer)
    assert final < 0.5 * initial, (initial, final)
    assert logged[-1] < 0.5 * initial


def test_optimizer_counts_and_learning_rate_decay():
    config = tiny_config(iterations=10, critic_steps=2, generator_steps=3, lr_decay_at=0.5)
    trainer = coarsest_trainer(config)
    assert float(trainer.critic_optimizer.learning_rate) == pytest.approx(5e-4)
    trainer.fit(np.zeros((10, 1), np.float32), batch_size=1, verbose=0)
    assert int(keras.ops.convert_to_numpy(trainer.critic_optimizer.iterations)) == 20
    assert int(keras.ops.convert_to_numpy(trainer.generator_optimizer.iterations)) == 30
    assert float(trainer.generator_optimizer.learning_rate) == pytest.approx(5e-5)
    schedule = trainer.generator_optimizer._learning_rate
    assert float(schedule(14)) == pytest.approx(5e-4)  # update 14 is in iteration 4 (0-based)
    assert float(schedule(15)) == pytest.approx(5e-5)  # iteration 5 = 50 % of 10


def _generator_weights_after(config, steps=2):
    trainer = coarsest_trainer(config, seed=7)
    trainer.fit(np.zeros((steps, 1), np.float32), batch_size=1, verbose=0)
    return [np.array(w) for w in trainer.generator.get_weights()], trainer


def test_stale_fake_option_equals_paper_with_one_generator_step_and_differs_with_more():
    _, paper = _generator_weights_after(tiny_config(generator_steps=1))
    _, stale = _generator_weights_after(
        tiny_config(generator_steps=1, stale_fake_in_generator_steps=True)
    )
    pairs = zip(paper.generator.trainable_weights, stale.generator.trainable_weights, strict=True)
    for a, b in pairs:
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-4, atol=1e-6)
    # The reference reuses the critic step's fake: its G runs once less per generator step,
    # so G's BatchNorm statistics differ (tests/test_iteration_parity.py checks their values).
    moving = [
        np.abs(np.array(a) - np.array(b)).max()
        for a, b in zip(
            paper.generator.non_trainable_weights,
            stale.generator.non_trainable_weights,
            strict=True,
        )
    ]
    assert max(moving) > 1e-4
    paper3, _ = _generator_weights_after(tiny_config(generator_steps=3))
    stale3, _ = _generator_weights_after(
        tiny_config(generator_steps=3, stale_fake_in_generator_steps=True)
    )
    assert max(np.abs(a - b).max() for a, b in zip(paper3, stale3, strict=True)) > 1e-6


def test_z_star_is_fixed_in_the_paper_preset_and_redrawn_in_the_official_option():
    _, fixed = _generator_weights_after(tiny_config())
    initial = np.random.default_rng(7).normal(size=(16, 16, 3)).astype(np.float32)
    np.testing.assert_array_equal(to_numpy_nhwc(fixed.z_star.value)[0], initial)
    _, redrawn = _generator_weights_after(tiny_config(redraw_z_star_each_iteration=True))
    z = to_numpy_nhwc(redrawn.z_star.value)[0]
    assert not np.allclose(z, initial)
    np.testing.assert_array_equal(z[..., 0], z[..., 1])  # one channel broadcast to 3


LOSS_SCRIPT = r"""
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from test_train_step import coarsest_trainer
from conftest import tiny_config
from singan_keras.layout import to_internal
data = np.load(sys.argv[2])
trainer = coarsest_trainer(tiny_config(), weights=(sys.argv[3], sys.argv[4]))
def losses():
    c, (w, p) = trainer.critic_loss(to_internal(data["fake"]), 0.37)
    g, (a, r) = trainer.generator_loss(to_internal(data["noise"]), to_internal(data["previous"]))
    return [float(v) for v in (c, w, p, g, a, r)]
print("LOSSES" + json.dumps(trainer.run_outside_fit(losses)))
"""


@requires_backends("tensorflow", "jax", "torch")
def test_initial_losses_agree_across_backends(tmp_path):
    rng = np.random.default_rng(11)
    keras.utils.set_random_seed(5)
    generator, critic = build_generator(4), build_critic(4)
    weights = (str(tmp_path / "g.weights.h5"), str(tmp_path / "d.weights.h5"))
    generator.save_weights(weights[0])
    critic.save_weights(weights[1])
    np.savez(
        tmp_path / "inputs.npz",
        fake=rng.uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32),
        noise=rng.normal(size=(1, 16, 16, 3)).astype(np.float32),
        previous=np.zeros((1, 16, 16, 3), np.float32),
    )
    results = {}
    for backend in ("tensorflow", "jax", "torch"):
        env = dict(os.environ, KERAS_BACKEND=backend)
        out = subprocess.run(
            [sys.executable, "-c", LOSS_SCRIPT, str(HERE), str(tmp_path / "inputs.npz"), *weights],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stderr[-2000:]
        line = next(s for s in out.stdout.splitlines() if s.startswith("LOSSES"))
        results[backend] = np.array(json.loads(line[len("LOSSES") :]))
    for backend in ("jax", "torch"):
        np.testing.assert_allclose(results[backend], results["tensorflow"], rtol=1e-4, atol=1e-6)
