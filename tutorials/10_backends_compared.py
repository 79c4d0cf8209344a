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
# # 10 · One model, three backends: TensorFlow, JAX and PyTorch compared
#
# `singan_keras` is written once against Keras 3 and runs on TensorFlow, JAX and
# PyTorch. This notebook trains **the same image with the same configuration and the
# same seed** under all three and asks three questions:
#
# 1. **Speed.** Where does the time go? Every run records, per scale, how long the
#    *first* training iteration took and how long an iteration takes after that. On JAX
#    and TensorFlow the first one is much slower — we measure it and explain why.
# 2. **Same model?** Same seed, same code: do the three backends learn the same weights
#    and hence the same samples?
# 3. **Portable checkpoints.** A run directory trained on one backend, loaded and sampled
#    on another: are the images the same?
#
# Keras reads `KERAS_BACKEND` **once per process** (notebook 00), so one kernel cannot
# switch backends. Each backend therefore trains in its **own subprocess**, running the
# `singan` command line with `KERAS_BACKEND` set in its environment; this notebook then
# loads every result with `SinGAN.load` under its own backend.

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

import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from singan_keras import SinGAN, load_image, preset  # noqa: E402

HERE = keras.backend.backend()  # the backend of *this* kernel
print("this notebook's backend:", HERE)

# %% [markdown]
# ## Parameters
#
# Quick mode trains a tiny pyramid — the finest scale 32 px, the coarsest 19 px, which
# gives 2 scales for `rocket` — with `QUICK_ITERATIONS` iterations per scale: the same
# algorithm (3 critic + 3 generator steps per iteration, WGAN-GP, reconstruction loss),
# small numbers, so that three trainings fit in a few minutes of CPU. Compiling costs
# JAX and TensorFlow a fixed time **per scale** (tens of CPU-seconds each on a CPU), so
# quick mode keeps the number of scales low. Full mode is the paper's configuration
# (`--preset paper`) — three complete trainings, meant for a GPU.
#
# The command-line flags and the `TrainConfig` below describe the same run; we check
# later that every run directory recorded exactly `CONFIG`.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"
SEED = 0  # weights, training noise, z* — and the seed of the samples the CLI writes
NUM_SAMPLES = 4
QUICK_ITERATIONS = 20
if MODE == "full":
    TRAIN_FLAGS = ["--preset", "paper"]
    CONFIG = preset("paper", seed=SEED)
else:
    TRAIN_FLAGS = ["--preset", "quick", "--max-size", "32", "--min-size", "19",
                   "--iters", str(QUICK_ITERATIONS)]
    CONFIG = preset("quick", max_size=32, min_size=19, iterations=QUICK_ITERATIONS, seed=SEED)
RUN_ROOT = Path(f"runs/backends_{MODE}")  # tutorials/runs/ is git-ignored
BACKENDS = ["tensorflow", "jax", "torch"]
print(MODE, CONFIG)


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


# %% [markdown]
# ## 1. Which backends are installed?
#
# `importlib.util.find_spec` looks for a package without importing it (importing
# TensorFlow alone takes seconds). A missing backend is skipped, not an error: the rest
# of the notebook compares whichever are there.

# %%
EXTRAS = {"tensorflow": "tensorflow-cpu", "jax": "jax", "torch": "torch"}
available = []
for backend in BACKENDS:
    if importlib.util.find_spec(backend) is None:
        print(f"{backend:10s} not installed: skipped (pip install -e '.[{EXTRAS[backend]}]')")
    else:
        available.append(backend)
print("comparing:", available)
print("JAX_COMPILATION_CACHE_DIR:", os.environ.get("JAX_COMPILATION_CACHE_DIR", "(not set)"))

# %% [markdown]
# ## 2. Training in subprocesses
#
# `python -m singan_keras ...` is the `singan` command; calling it through
# `sys.executable` guarantees the subprocess uses *this* environment's Python and
# packages (a bare `singan` found on `PATH` might belong to another one). The child gets a
# copy of our environment with `KERAS_BACKEND` replaced — so it also inherits
# `OMP_NUM_THREADS`, `JAX_COMPILATION_CACHE_DIR` and the like.
#
# `singan train` saves every finished scale into its run directory, then writes
# `NUM_SAMPLES` random samples drawn with the training seed as PNGs into
# `RUN_DIR/samples/` — we will compare those with samples drawn here. We also time each
# whole process, start-up and imports included. A first, cheap call (`--help` starts no
# backend) checks the helper and lists the flags we use.

# %%
def run_python(backend: str, args: list[str], timeout: float | None = None):
    """Runs `python ARGS` with KERAS_BACKEND=backend; returns (stdout, wall seconds)."""
    env = dict(os.environ, KERAS_BACKEND=backend)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-4000:], sep="\n")
        raise RuntimeError(f"{args[:3]} failed under {backend} (exit {done.returncode})")
    return done.stdout, seconds


def singan_cli(backend: str, *args: str, timeout: float | None = None):
    """The `singan` command line (`python -m singan_keras ARGS`) under `backend`."""
    return run_python(backend, ["-m", "singan_keras", *args], timeout)


usage = singan_cli(HERE, "train", "--help")[0]
print(usage.split("\n\n")[0])  # the usage lines

# %%
RUN_DIRS = {backend: RUN_ROOT / backend for backend in available}
process_seconds = {}
for backend, run_dir in RUN_DIRS.items():
    shutil.rmtree(run_dir, ignore_errors=True)  # start each run from scratch
    stdout, seconds = singan_cli(
        backend, "train", IMAGE, "--out", str(run_dir), *TRAIN_FLAGS,
        "--seed", str(SEED), "--samples", str(NUM_SAMPLES), "--quiet",
        timeout=1200 if MODE == "quick" else None,
    )
    process_seconds[backend] = seconds
    print(f"{backend:10s} process {seconds:6.1f} s | {stdout.strip().splitlines()[-1]}")

# %% [markdown]
# ## 3. Loading the three runs here
#
# `SinGAN.load` reads a run directory under **any** backend: weights are stored as
# Keras `.weights.h5` files and everything else as numpy arrays. The run's manifest is
# kept in `model.metadata`: it records the backend that trained it, the configuration,
# and per scale its size, σ and timings.

# %%
models = {backend: SinGAN.load(run_dir) for backend, run_dir in RUN_DIRS.items()}
for backend, model in models.items():
    assert model.config == CONFIG, "the CLI flags and CONFIG describe different runs"
    print(f"{backend:10s} trained under {model.metadata['backend']:10s} "
          f"{model.num_scales} scales {model.sizes}, σ = "
          f"{[round(s, 4) for s in model.noise_amplitudes]}")

# %% [markdown]
# ## 4. Where the time goes
#
# For every scale the manifest holds `seconds` (the whole `fit()` of that scale),
# `first_iteration_seconds` (from the start of `fit()` to the end of the first
# iteration) and `seconds_per_iteration` (the rest divided by the remaining iterations:
# the steady state).

# %%
timings = {backend: model.metadata["scales"] for backend, model in models.items()}
print(f"{'backend':10s} {'scale':>5s} {'size':>7s} {'first it. s':>11s} {'s / it.':>8s} "
      f"{'first / steady':>14s} {'scale s':>8s}")
for backend, scales in timings.items():
    for entry in scales:
        h, w = entry["size"]
        ratio = entry["first_iteration_seconds"] / entry["seconds_per_iteration"]
        print(f"{backend:10s} {entry['index']:5d} {h:3d}x{w:<3d} "
              f"{entry['first_iteration_seconds']:11.2f} {entry['seconds_per_iteration']:8.3f} "
              f"{ratio:14.1f} {entry['seconds']:8.1f}")

# %%
colors = {"tensorflow": "tab:orange", "jax": "tab:green", "torch": "tab:red"}
num_scales = max(len(s) for s in timings.values())
width = 0.8 / len(timings)
fig, axes = plt.subplots(1, 3, figsize=(15, 3.8), layout="constrained")
for i, (backend, scales) in enumerate(timings.items()):
    x = np.arange(len(scales)) + (i - (len(timings) - 1) / 2) * width
    axes[0].bar(x, [e["first_iteration_seconds"] for e in scales], width,
                color=colors[backend], label=backend)
    axes[1].bar(x, [e["seconds_per_iteration"] for e in scales], width,
                color=colors[backend], label=backend)
for ax, title in zip(axes[:2], ["first iteration (s, log scale)",
                                "steady state: seconds per iteration"], strict=True):
    ax.set_xticks(range(num_scales), [f"scale {k}" for k in range(num_scales)])
    ax.set_title(title, fontsize=10)
axes[1].legend(fontsize=8)
axes[0].set_yscale("log")
shortest = min(e["first_iteration_seconds"] for sc in timings.values() for e in sc)
axes[0].set_ylim(bottom=0.3 * shortest)  # so that short bars stay visible

# the whole process: first iterations, remaining iterations, everything else
names = list(timings)
first = np.array([sum(e["first_iteration_seconds"] for e in timings[b]) for b in names])
fits = np.array([sum(e["seconds"] for e in timings[b]) for b in names])
total = np.array([process_seconds[b] for b in names])
axes[2].barh(names, first, color="tab:gray", label="first iterations (trace/compile)")
axes[2].barh(names, fits - first, left=first, color="tab:blue", label="remaining iterations")
axes[2].barh(names, total - fits, left=fits, color="tab:olive",
             label="start-up, pyramid, saving, samples")
axes[2].set_xlabel("seconds")
axes[2].set_title("whole subprocess", fontsize=10)
axes[2].legend(fontsize=7, loc="upper right")
plt.show()
for b, f, t in zip(names, first, total, strict=True):
    print(f"{b:10s} first iterations {f:6.1f} s = {100 * f / t:4.1f} % of its {t:.1f} s process")

# %% [markdown]
# ### Why the first iteration is slow on JAX and TensorFlow, and not on PyTorch
#
# * **PyTorch** runs the train step **eagerly**: every operation is dispatched to a
#   kernel as Python reaches it. There is nothing to prepare, so the first iteration
#   costs about as much as any other (plus some memory-allocator warm-up).
# * **JAX**: `fit()` wraps the train step in `jax.jit`. The first call **traces** the
#   Python function into a graph (a jaxpr) and hands it to **XLA**, which compiles it into
#   one optimised program for the CPU or GPU; every later call runs that program. One of
#   our train steps is large — 3 critic updates with the gradient penalty (a gradient of a
#   gradient) and 3 generator updates, unrolled — so compiling takes seconds to tens of
#   seconds, and it happens **once per scale**, because every scale has new networks and
#   new image sizes. With `JAX_COMPILATION_CACHE_DIR` set (CI sets it) compiled programs
#   are kept on disk: on a *second* run of this notebook JAX still traces the step but
#   loads the compiled program instead of compiling it, and its first iterations shrink
#   (to less than half, in our runs).
# * **TensorFlow**: `fit()` wraps the train step in a `tf.function`. The first call
#   traces it into a TensorFlow graph and optimises the graph (Grappler). We compile with
#   `jit_compile="auto"`, and Keras turns that into XLA on TensorFlow **only when a GPU is
#   visible** (on a CPU-only machine it keeps the plain graph), so on a GPU TensorFlow's
#   first iteration is an XLA compile as well. The traced graph is not kept between
#   processes: every run pays again.
#
# What you pay up front buys a faster iteration afterwards only if the compiled program
# is faster than eager execution. From the table we can compute after how many
# iterations per scale each compiled backend would catch up with PyTorch:

# %%
def break_even(backend: str, reference: str = "torch") -> list[float | None]:
    """Iterations per scale after which `backend`'s total time drops below `reference`'s."""
    result = []
    for a, b in zip(timings[backend], timings[reference], strict=True):
        extra_first = a["first_iteration_seconds"] - b["first_iteration_seconds"]
        saved_per_iteration = b["seconds_per_iteration"] - a["seconds_per_iteration"]
        result.append(extra_first / saved_per_iteration + 1 if saved_per_iteration > 0 else None)
    return result


if "torch" in timings:
    for backend in timings:
        if backend != "torch":
            its = break_even(backend)
            print(f"{backend:10s} catches up with torch after "
                  + ", ".join("never" if n is None else f"{n:.0f}" for n in its)
                  + f" iterations at scales 0..{len(its) - 1} "
                  f"(this run: {CONFIG.iterations}, paper: 2000)")

# %% [markdown]
# These numbers come from a small run on whatever machine executed this notebook; on a
# busy shared CPU they are noisy (run it twice and compare). The pattern to remember:
# compiled backends pay a fixed price per scale, eager PyTorch pays per iteration, and
# with the paper's 2000 iterations per scale — and on a GPU, where XLA's fused kernels
# matter most — the fixed price is small beside the training itself.
#
# ## 5. Same seed, same model? No
#
# Sampling is deterministic *given a model*: `sample(..., seed=SEED)` draws its noise
# with numpy, identically under every backend. So if the three backends had learned the
# same weights, the three rows below would be equal. Here each model is sampled in this
# process with the same seed.

# %%
samples = {backend: model.sample(NUM_SAMPLES, seed=SEED) for backend, model in models.items()}
fig, axes = plt.subplots(len(models), NUM_SAMPLES + 2,
                         figsize=(1.9 * (NUM_SAMPLES + 2), 1.5 * len(models)),
                         squeeze=False, layout="constrained")
for row, (backend, model) in enumerate(models.items()):
    images = [model.reals[-1], model.reconstruct(), *samples[backend]]
    titles = ["real", "reconstruction", *[f"sample {i}" for i in range(NUM_SAMPLES)]]
    for ax, img, title in zip(axes[row], images, titles, strict=True):
        ax.imshow(show(img))
        ax.set_xticks([])
        ax.set_yticks([])
        if row == 0:
            ax.set_title(title, fontsize=8)
    axes[row, 0].set_ylabel(f"trained:\n{backend}", fontsize=8)
fig.suptitle(f"same config, seed {SEED}; every row sampled here under {HERE} with seed {SEED}",
             fontsize=10)
plt.show()

# %% [markdown]
# Same layout of the figure, different pictures. How different, in numbers? We compare
# the coarsest generator's weights and the samples between every pair of backends, and,
# as a yardstick, two *different* samples of one model.

# %%
def relative_weight_difference(a: SinGAN, b: SinGAN, scale: int = 0) -> float:
    wa = np.concatenate([w.ravel() for w in a.generators[scale].get_weights()])
    wb = np.concatenate([w.ravel() for w in b.generators[scale].get_weights()])
    return float(np.linalg.norm(wa - wb) / np.linalg.norm(wa))


pairs = [(a, b) for i, a in enumerate(models) for b in list(models)[i + 1:]]
for a, b in pairs:
    print(f"{a:>10s} vs {b:<10s}  G_0 weights: relative difference "
          f"{relative_weight_difference(models[a], models[b]):.3f};  samples: mean |Δ| "
          f"{np.abs(samples[a] - samples[b]).mean():.3f}")
for backend in models:
    print(f"{backend:>10s}: sample 0 vs sample 1 of the same model: mean |Δ| "
          f"{np.abs(samples[backend][0] - samples[backend][1]).mean():.3f}")

# %% [markdown]
# The models are about as far apart as two different samples of one model. The reason is
# not the algorithm but the **random numbers**: the initial weights and all training
# noise (the noise maps, the gradient penalty's mixing factor ε) are drawn with
# `keras.random`, and each backend implements it with its own generator — JAX's
# counter-based Threefry, TensorFlow's stateless Philox ops, PyTorch's Mersenne
# Twister. The same seed gives three different streams, so the three trainings start
# from different weights and see different noise. (Even from identical weights, GAN
# training amplifies float rounding differences, so the trajectories would drift apart.)
# We check the streams directly below. The seed makes a run repeatable **on one
# backend**, not across them.
#
# ## 6. One checkpoint, any backend
#
# Now the reverse question: take **one** run directory and sample it under different
# backends. Three checks, each computed:
#
# 1. **Against the PNGs the training subprocess wrote.** `singan train` sampled every
#    model right after training, under its own backend, with seed `SEED`, and saved
#    8-bit PNGs. We quantise our samples (drawn here under this notebook's backend)
#    the same way and compare the pixel levels.
# 2. **Full precision, under every backend.** A short script — public API only — loads
#    every run under each other backend, samples with seed `SEED` and saves the float
#    arrays, which we compare with ours.
# 3. The same script prints `keras.random.normal((4,), seed=SEED)` under its backend: the
#    three random streams of section 5.

# %%
def to_levels(images):
    """Float images in [-1, 1] -> the 0..255 levels `save_image` writes."""
    return np.round((np.clip(images, -1, 1) + 1) * 127.5).astype(int)


for backend, run_dir in RUN_DIRS.items():
    pngs = np.stack([load_image(run_dir / "samples" / f"sample_{i:03d}.png")
                     for i in range(NUM_SAMPLES)])
    levels = np.abs(to_levels(pngs) - to_levels(samples[backend]))
    print(f"trained and sampled under {backend:10s}, sampled again here under {HERE}: "
          f"max {levels.max()} level(s) apart, {np.count_nonzero(levels)} of {levels.size} "
          "values differ")

# %%
SAMPLE_SCRIPT = """
import sys
import keras
import numpy as np
from singan_keras import SinGAN
out, seed, num, *run_dirs = sys.argv[1:]
arrays = {d.rstrip("/").split("/")[-1]: SinGAN.load(d).sample(int(num), seed=int(seed))
          for d in run_dirs}
arrays["keras_random_normal"] = keras.ops.convert_to_numpy(
    keras.random.normal((4,), seed=int(seed)))
np.savez(out, **arrays)
"""

sampled_on = {HERE: dict(samples)}  # this process: the samples of section 5
sampled_on[HERE]["keras_random_normal"] = keras.ops.convert_to_numpy(
    keras.random.normal((4,), seed=SEED))
for backend in available:
    if backend == HERE:
        continue
    out = RUN_ROOT / f"sampled_under_{backend}.npz"
    _, seconds = run_python(backend, ["-c", SAMPLE_SCRIPT, str(out), str(SEED),
                                      str(NUM_SAMPLES), *map(str, RUN_DIRS.values())])
    with np.load(out) as arrays:
        sampled_on[backend] = {key: arrays[key] for key in arrays.files}
    print(f"sampled every run under {backend} in a subprocess ({seconds:.1f} s)")

# %%
print("max |difference| from the samples drawn here under", HERE)
print(f"{'trained on':>12s} | " + " ".join(f"{'sampled: ' + b:>20s}" for b in sampled_on))
worst = 0.0
for trained in models:
    diffs = [np.abs(sampled_on[b][trained] - samples[trained]).max() for b in sampled_on]
    worst = max(worst, *diffs)
    print(f"{trained:>12s} | " + " ".join(f"{d:20.2e}" for d in diffs))
assert worst < 1e-3, worst  # float32 rounding only
print(f"\nlargest difference {worst:.1e} (pixel values span [-1, 1]); "
      f"one 8-bit level is {2 / 255:.1e}")
print("\nkeras.random.normal((4,), seed=SEED) under each backend:")
for backend, arrays in sampled_on.items():
    print(f"{backend:>12s}: {np.round(arrays['keras_random_normal'], 4)}")

# %% [markdown]
# A checkpoint is portable: every run gives the same images under every backend, up to
# float32 rounding (the convolutions sum in different orders in each framework's
# kernels), far below what an 8-bit PNG can show. The PNG check agrees to the 8-bit
# level (at most a value lying exactly on a rounding boundary could flip by one step).
# Meanwhile `keras.random.normal` with one seed gives three unrelated vectors — which is
# why section 5's models differ.
#
# So you can train where it is fastest (for long runs, a compiled backend on a GPU) and
# load the run directory anywhere else — a PyTorch notebook, a JAX service — and get the
# same samples for the same seed.
#
# ## Summary
#
# * Keras picks its backend once per process: to compare backends, run each in a
#   subprocess (`python -m singan_keras ...` with `KERAS_BACKEND` in its environment).
# * Every run directory records, per scale, the first iteration's time and the
#   steady-state seconds per iteration (`model.metadata["scales"]`).
# * JAX and TensorFlow pay a large **first iteration** per scale — tracing, then an XLA
#   compile (JAX; TensorFlow only with a GPU) — and PyTorch, running eagerly, does not.
#   The fixed cost is amortised by long runs; JAX can cache it on disk.
# * The same seed gives **different models** on different backends, because
#   `keras.random` is a different generator on each — a seed repeats a run only on its
#   own backend.
# * The same **checkpoint** gives the same samples on every backend up to float32
#   rounding, because sampling noise is drawn with numpy.
#
# ## Exercises
#
# 1. Run this notebook twice with `JAX_COMPILATION_CACHE_DIR=/tmp/jaxcache` set before
#    starting Jupyter. How do JAX's first iterations change the second time, and why
#    does TensorFlow's not?
# 2. Predict from the table the `fit()` time of every scale with `--iters 300`
#    (first iteration + 299 × steady state), then set `QUICK_ITERATIONS = 300` and check.
# 3. Train twice on the same backend with the same seed and compare the generators'
#    weights: is a run repeatable bit for bit on one backend? Then train on one backend
#    with two different seeds: is that difference of the same size as the one between
#    backends in section 5?
# 4. Sample a run from the command line under another backend,
#    `KERAS_BACKEND=jax singan sample runs/backends_quick/tensorflow --num 4 --seed 0
#    --out /tmp/s`, and compare the PNGs with `runs/backends_quick/tensorflow/samples/`.
# 5. On a GPU, run with `SINGAN_TUTORIAL_MODE=full`. TensorFlow now compiles with XLA
#    as well; which backend is fastest per iteration, and what share of the total is
#    compilation with 2000 iterations per scale?
