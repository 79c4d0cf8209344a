"""The compiled train step is traced once per scale and, on JAX, compiled once per shape.

Every value that differs between two images (or seeds) of the same size — the real image, the
previous reconstruction, z*, σ, the frozen generators' weights, the noise state — reaches the
step as a variable, i.e. an argument of the compiled program, never as a constant baked in at
trace time (docs/backends.md, "What gets compiled").
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from conftest import smooth_image, tiny_config

from singan_keras.models import build_critic, build_generator
from singan_keras.scale_trainer import FrozenPyramid, ScaleTensors, ScaleTrainer

BACKEND = keras.backend.backend()
HERE = Path(__file__).parent

# A few scales from 14x14 to 18x18: the coarsest step (z*, no frozen scale) and steps with
# frozen generators and a previous reconstruction.
SMALL_RUN = dict(min_size=14, max_size=18, scale_factor=0.75, iterations=2)

COUNT_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import jax
from jax import monitoring
from conftest import smooth_image, tiny_config
from singan_keras import SinGAN

# The persistent cache (fresh and private: JAX_COMPILATION_CACHE_DIR) is asked for every
# program JAX needs; "use_cache" requests minus "cache_hits" is the number XLA compiled.
# The backend-compile event carries the function's name, so it says which were train steps.
counts = {"requests": 0, "hits": 0, "train_step_programs": 0}
def on_event(event, **kwargs):
    if event == "/jax/compilation_cache/compile_requests_use_cache":
        counts["requests"] += 1
    elif event == "/jax/compilation_cache/cache_hits":
        counts["hits"] += 1
def on_duration(event, duration, **kwargs):
    if event == "/jax/core/compile/backend_compile_duration" and "train_step" in str(
        kwargs.get("fun_name")
    ):
        counts["train_step_programs"] += 1
monitoring.register_event_listener(on_event)
monitoring.register_event_duration_secs_listener(on_duration)

config = tiny_config(**json.loads(sys.argv[2]))
results = []
for image_seed, seed in ((1, 0), (2, 5)):  # another image and another training seed
    before = dict(counts)
    model = SinGAN.train(smooth_image(18, 18, seed=image_seed), config.replace(seed=seed),
                         verbose=0)
    new = {key: counts[key] - before[key] for key in counts}
    results.append(dict(scales=model.num_scales, compiled=new["requests"] - new["hits"], **new))
print("COUNTS" + json.dumps(results))
"""


@pytest.mark.skipif(BACKEND != "jax", reason="counts XLA compilations of JAX's jitted step")
def test_second_image_of_the_same_size_compiles_nothing(tmp_path):
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        JAX_COMPILATION_CACHE_DIR=str(tmp_path / "cold_cache"),  # private and empty
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
    )
    out = subprocess.run(
        [sys.executable, "-c", COUNT_SCRIPT, str(HERE), json.dumps(SMALL_RUN)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    line = next(s for s in out.stdout.splitlines() if s.startswith("COUNTS"))
    first, second = json.loads(line[len("COUNTS") :])
    assert first["scales"] == second["scales"] >= 2, (first, second)
    # The cold cache made the first image compile every scale's step (and its eager ops).
    assert first["train_step_programs"] == first["scales"]
    assert first["compiled"] >= first["scales"]
    # The second image needs each scale's step again (a new trainer, a new jitted function),
    # finds the very same program in the cache, and XLA compiles nothing at all.
    assert second["train_step_programs"] == second["scales"]
    assert second["compiled"] == 0, (first, second)


class _CountingTrainer(ScaleTrainer):
    """Counts how often the iteration's Python code runs: once per trace when compiled."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.python_runs = 0

    def singan_iteration(self):
        self.python_runs += 1
        return super().singan_iteration()


def _scale_one_trainer(image_seed: int, config) -> _CountingTrainer:
    """A trainer of scale 1 (one frozen generator below it) for an 18x18 image."""
    rng = np.random.default_rng(image_seed)
    frozen = build_generator(4, seed=image_seed)
    frozen.trainable = False
    real = smooth_image(18, 18, seed=image_seed)
    previous = np.clip(real + 0.1 * rng.normal(size=real.shape), -1, 1).astype(np.float32)
    return _CountingTrainer(
        build_generator(4, seed=10 + image_seed),
        build_critic(4, seed=20 + image_seed),
        FrozenPyramid([frozen], [float(rng.uniform(0.5, 1.5))], [(14, 14)]),
        ScaleTensors(real, previous, float(rng.uniform(0.05, 0.2))),
        config,
        seed=image_seed,
    )


@pytest.mark.skipif(BACKEND == "torch", reason="eager: nothing is traced")
def test_each_trainer_traces_its_step_once_for_all_iterations():
    """TensorFlow retraces a tf.function when a Python value it depends on changes; JAX
    likewise. Neither may happen between the iterations of a scale, for either image."""
    config = tiny_config(iterations=4)
    for image_seed in (1, 2):
        trainer = _scale_one_trainer(image_seed, config)
        trainer.compile_for_training()
        # as `train_scale` runs it: one epoch per iteration
        trainer.fit(
            np.zeros((4, 1), np.float32),
            batch_size=1,
            epochs=4,
            steps_per_epoch=1,
            shuffle=False,
            verbose=0,
        )
        assert trainer.python_runs == 1, f"image {image_seed}: traced {trainer.python_runs}x"
