"""The library leaves alone what it does not own: global RNGs, other backends, JAX's config,
the user's home directory (architecture issue, part 6)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parents[1]
CACHE_VARIABLES = (
    "XDG_CACHE_HOME",
    "JAX_COMPILATION_CACHE_DIR",
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
)

CHILD = r"""
import json, random, sys
import numpy as np
import keras
import singan_keras
from singan_keras import SinGAN, preset
from singan_keras.backends import BACKEND

# Everything imported and one network built first: first-use initialisation of the
# libraries themselves is not ours to judge.
from singan_keras.models import build_generator
build_generator(4, seed=0)
jax_config = None
if BACKEND == "jax":
    import jax
    jax_config = (jax.config.jax_compilation_cache_dir,
                  jax.config.jax_persistent_cache_min_compile_time_secs)
import os
from pathlib import Path
def home_files():
    return {str(p) for p in Path(os.environ["HOME"]).rglob("*")}
home_before = home_files()
python_state, numpy_state = random.getstate(), np.random.get_state()
# What the user's own RNGs would draw next, without consuming them.
expected_python = random.Random(); expected_python.setstate(python_state)
expected_numpy = np.random.RandomState(); expected_numpy.set_state(numpy_state)

config = preset("quick", min_size=14, max_size=18, iterations=2, critic_steps=1,
                generator_steps=1, base_channels=4, max_channels=4, seed=3)
image = np.random.default_rng(0).uniform(-1, 1, (18, 18, 3)).astype("float32")
model = SinGAN.train(image, config, verbose=0)
model.sample(2, seed=0)

after_jax = None
if BACKEND == "jax":
    import jax
    after_jax = (jax.config.jax_compilation_cache_dir,
                 jax.config.jax_persistent_cache_min_compile_time_secs)
print(json.dumps({
    "scales": model.num_scales,
    "tensorflow_imported": "tensorflow" in sys.modules,
    "python_rng_same": random.random() == expected_python.random(),
    "numpy_rng_same": float(np.random.random()) == float(expected_numpy.random_sample()),
    "jax_config_same": jax_config == after_jax,
    "written_to_home": sorted(home_files() - home_before),
}))
"""


def test_training_leaves_global_state_alone(tmp_path):
    """After `SinGAN.train` + `sample`: the user's `random` and `numpy.random` draw what they
    would have drawn, TensorFlow is not imported under torch/JAX, JAX's configuration is
    unchanged and nothing is written to the home directory (e.g. a compile cache). Imports
    come first: what Keras or matplotlib write on import is theirs.

    The child runs without the tests' JAX compile cache (conftest.py): with it configured, a
    library that turned a cache on would find it already on, change nothing and pass.
    """
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home)}
    for name in CACHE_VARIABLES:
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["scales"] >= 2
    assert report["python_rng_same"] and report["numpy_rng_same"], report
    assert report["jax_config_same"], report
    if keras.backend.backend() != "tensorflow":
        assert not report["tensorflow_imported"], "training imported TensorFlow"
    assert report["written_to_home"] == [], report["written_to_home"]


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="JAX's compile cache")
def test_the_jax_compile_cache_is_opt_in(tmp_path):
    """Importing and training leave the cache off; `enable_compile_cache` turns it on."""
    code = (
        "import jax, singan_keras.backends as b\n"
        "before = jax.config.jax_compilation_cache_dir\n"
        f"used = b.enable_compile_cache({str(tmp_path / 'cache')!r})\n"
        "print(repr(before), used, jax.config.jax_compilation_cache_dir)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("JAX_COMPILATION_CACHE_DIR", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    before, used, now = result.stdout.split()
    assert before == "None"
    assert used == now == str(tmp_path / "cache")


def test_accelerators_lists_device_names():
    from singan_keras import backends

    devices = backends.accelerators()
    assert isinstance(devices, list) and all(isinstance(d, str) for d in devices)
