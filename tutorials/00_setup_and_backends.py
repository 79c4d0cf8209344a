# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Setup: installing, choosing a backend, the quick/full switch
#
# `singan_keras` implements **SinGAN** (Shaham, Dekel & Michaeli, *Learning a Generative
# Model from a Single Natural Image*, ICCV 2019) on **Keras 3**. The same code runs on
# three deep-learning frameworks — TensorFlow, JAX and PyTorch — which Keras calls
# *backends*. This first notebook gets your environment right; the following ones open
# up the algorithm scale by scale:
#
# | notebook | what it teaches |
# |---|---|
# | 00 (this one) | installing, `KERAS_BACKEND`, seeing the GPU, quick vs full mode |
# | 01 | the image pyramid: how many scales, their sizes, the factor *r* |
# | 02 | one scale: G_n, D_n, receptive field, one training iteration (Eq. 4–5, WGAN-GP) |
# | 03 | training every scale, with a look at each one as it finishes |
# | 04 | random samples, any size and aspect ratio, starting from a finer scale |
# | 05 | SIFID, diversity and patch SWD, from N and N−1 (Tables 1–2); getting the weights |
# | 06 | super-resolution (Fig. 10): the SR training mode, k steps of r |
# | 07 | paint-to-image (Fig. 11): injecting a paint at a coarse scale |
# | 08 | editing and harmonization (Figs. 12–13): inject, generate, blend outside a mask |
# | 09 | single-image animation (Fig. 1): a random walk in z-space |
# | 10 | TensorFlow, JAX and PyTorch compared; one checkpoint sampled under every backend |
#
# ## 1. Installing
#
# Python ≥ 3.11. From a clone of the repository, pick **one** backend extra (or `all`):
#
# ```bash
# python3 -m venv .venv && . .venv/bin/activate
# pip install -e ".[jax]"             # JAX (CPU; see jax.readthedocs.io for CUDA wheels)
# pip install -e ".[tensorflow]"      # TensorFlow with GPU support on Linux
# pip install -e ".[tensorflow-cpu]"  # TensorFlow, CPU only (smaller)
# pip install torch==2.13.0 && pip install -e ".[torch]"   # PyTorch
# pip install -e ".[all,dev]"         # all three + what the notebooks and tests need
# ```
#
# On a CPU-only machine install PyTorch's CPU wheel **first** (`pip install torch==2.13.0`
# from the CPU index, or whatever wheel suits your platform): otherwise pip resolves the
# `torch` extra to a multi-gigabyte CUDA build. The `dev` extra brings `jupytext`,
# `nbclient` and `ipykernel`, which are needed to run these notebooks from the command line
# (see `tutorials/README.md`).
#
# ## 2. Choosing the backend
#
# Keras reads the environment variable `KERAS_BACKEND` **once, when `keras` is first
# imported**. Set it before starting Jupyter (`KERAS_BACKEND=jax jupyter lab`), or at the
# very top of a notebook before anything imports Keras. Changing it later in the same
# Python process has no effect: restart the kernel instead.
#
# The cell below keeps whatever backend you started with and defaults to `torch` only when
# nothing is set (Keras' own default would be TensorFlow).

# %%
# Set-up, the same in every notebook. Choose the backend here: "torch", "jax" or
# "tensorflow"; Keras reads it once, so restart the kernel to switch. Where singan_keras is
# missing (this notebook uploaded to Colab, say), pip installs it with that backend's extra.
import importlib.util
import os
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quieter TensorFlow start-up
if importlib.util.find_spec("singan_keras") is None:
    package = f"singan-keras[{os.environ['KERAS_BACKEND']}]"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", package], check=True)
    importlib.invalidate_caches()

from singan_keras.backends import default_device  # noqa: E402  (imports Keras)

print(f"KERAS_BACKEND={os.environ['KERAS_BACKEND']}, device: {default_device()}")

import keras  # noqa: E402  (must come after KERAS_BACKEND is set)

import singan_keras  # noqa: E402

print("singan_keras", singan_keras.__version__)
print("keras       ", keras.__version__)
print("backend     ", keras.backend.backend())

# %% [markdown]
# ## 3. The parameter cell: quick or full
#
# Every tutorial has **one** parameter cell near the top, like the one below.
#
# * **quick** (the default): the *same algorithm* with small numbers — a 64-pixel image,
#   fewer iterations per scale — so a notebook runs in a few minutes on a laptop CPU. The
#   pictures are rougher than the paper's, but nothing is faked or swapped for a different
#   method.
# * **full**: the paper's settings, `preset("paper")` (250-pixel images, 2000 iterations
#   per scale). Meant for a GPU: on two CPU cores one image takes hours.
#
# The switch is the environment variable `SINGAN_TUTORIAL_MODE`. We chose to default to
# `quick` **even when a GPU is visible**, so that opening a notebook never silently starts
# an hour of training; ask for the paper settings explicitly with
# `SINGAN_TUTORIAL_MODE=full`.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
assert MODE in ("quick", "full"), f"SINGAN_TUTORIAL_MODE must be quick or full, got {MODE!r}"

from singan_keras import preset  # noqa: E402

CONFIG = preset("paper") if MODE == "full" else preset("quick")
print("mode:", MODE)
print(CONFIG)

# %% [markdown]
# A configuration is a frozen dataclass (`TrainConfig`): one value describes a whole run,
# and it is written into the run directory so a model always knows how it was trained.
# The presets differ only in sizes and counts; you can also override single fields:

# %%
from singan_keras import PRESETS  # noqa: E402

fields = ["max_size", "min_size", "scale_factor", "iterations", "critic_steps",
          "generator_steps", "learning_rate", "gradient_penalty_weight",
          "reconstruction_weight", "redraw_z_star_each_iteration",
          "stale_fake_in_generator_steps"]
print(f"{'field':32s}" + "".join(f"{name:>10s}" for name in PRESETS))
for field in fields:
    print(f"{field:32s}" + "".join(f"{str(getattr(c, field)):>10s}" for c in PRESETS.values()))
print()
print(preset("quick", iterations=50).iterations)  # override one field, validated again

# %% [markdown]
# `official` is the paper's values plus the two places where the authors' released code
# behaves differently from the paper (z* redrawn at every iteration; a stale fake image in
# the generator steps) — a named option, never a silent difference.
#
# ## 4. Is a GPU visible?
#
# Each framework has its own way to list accelerators. Only the framework behind the
# active backend is imported here.

# %%
def visible_gpus() -> list[str]:
    """The GPUs the *active* Keras backend can use, as strings."""
    backend = keras.backend.backend()
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if backend == "jax":
        import jax

        return [str(d) for d in jax.devices() if d.platform == "gpu"]
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_physical_devices("GPU")]
    return []


gpus = visible_gpus()
print("GPUs:", gpus or "none — quick mode is the right choice here")
if gpus and MODE == "quick":
    print("A GPU is visible: run with SINGAN_TUTORIAL_MODE=full for the paper's settings.")

# %% [markdown]
# The package also has a command-line report of the same facts, handy in bug reports:
#
# ```bash
# KERAS_BACKEND=jax singan env
# ```
#
# ## 5. A first forward pass
#
# To check that the backend really computes, build the smallest network of the pyramid —
# the generator of the coarsest scale (notebook 02 takes it apart) — and time one call.
# The public API speaks numpy `(N, H, W, 3)` arrays in [-1, 1]; *inside*, the networks
# use the layout that is fastest and correct on each backend (`channels_first` on PyTorch,
# `channels_last` elsewhere). `singan_keras.layout` converts between the two.

# %%
import time  # noqa: E402

import numpy as np  # noqa: E402

from singan_keras.layout import data_format, to_internal, to_numpy_nhwc  # noqa: E402
from singan_keras.models import build_generator  # noqa: E402

# seed=0 seeds these weights only; keras.utils.set_random_seed would also
# reset numpy's global RNG and import TensorFlow, when installed.
generator = build_generator(channels=32, seed=0)
noise = np.random.default_rng(0).standard_normal((1, 25, 38, 3)).astype("float32")
previous = np.zeros_like(noise)

start = time.perf_counter()
output = generator([to_internal(noise), to_internal(previous)], training=False)
elapsed = time.perf_counter() - start
print("internal layout:", data_format())
print("output (numpy NHWC):", to_numpy_nhwc(output).shape, f"in {elapsed * 1000:.1f} ms")

# %% [markdown]
# ## 6. Reproducibility
#
# `TrainConfig.seed` seeds weight initialisation, training noise and the reconstruction
# noise z*. On one backend and one machine a run is repeatable bit for bit on CPU. Across
# backends the *initial* losses agree to float precision, but a long GAN trajectory
# drifts apart (tiny rounding differences are amplified by training), so do not expect
# the same trained model from TensorFlow, JAX and PyTorch. Sampling a *given* trained
# model, however, gives the same images under every backend for the same `seed`, because
# the sampling noise is drawn with numpy.
#
# ## Summary
#
# * Install one backend extra (CPU PyTorch wheel first on CPU-only machines) and pick the
#   backend with `KERAS_BACKEND` **before** Keras is imported.
# * Every tutorial has one parameter cell: `SINGAN_TUTORIAL_MODE=quick` (default; small
#   numbers, same algorithm) or `full` (`preset("paper")`, for a GPU).
# * A run is described by one frozen `TrainConfig`; presets `paper`, `official`, `quick`.
# * Networks take internal-layout tensors; the public API takes and returns numpy NHWC.
#
# ## Exercises
#
# 1. Restart the kernel with `KERAS_BACKEND=jax`, then with `tensorflow`, and rerun this
#    notebook. Which backend makes the first forward pass slowest, and why might the
#    *second* call be much faster on JAX?
# 2. Try `preset("quick", min_size=5)`. Read the error message: why must `min_size` be at
#    least 11? (Hint: notebook 02, receptive field.)
# 3. Set `KERAS_BACKEND` *after* `import keras` in a fresh kernel and print
#    `keras.backend.backend()`. Explain what you see.
# 4. Compare `preset("paper")` and `preset("official")` field by field with
#    `dataclasses.asdict`. Which fields differ?
