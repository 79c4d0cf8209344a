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
# # 04 · Random samples: any size, any aspect ratio, any start scale
#
# A trained SinGAN generates by running the pyramid coarse to fine (paper §2, Fig. 4).
# In the code's order ($k = 0$ coarsest):
#
# $$
# \tilde x_0 = G_0(z_0), \qquad
# \tilde x_k = (\tilde x_{k-1})\!\uparrow^r
#   + \psi_k\big(\sigma_k z_k + (\tilde x_{k-1})\!\uparrow^r\big), \quad k = 1..N,
# $$
#
# with fresh Gaussian noise $z_k$ at every scale ($z_0$ one channel repeated three
# times). This notebook samples a trained model, changes the noise *shape* to make other
# sizes and aspect ratios (paper Fig. 6), and starts generation at finer scales to keep
# more of the original's structure (Fig. 8).

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

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from singan_keras import SinGAN, preset  # noqa: E402

# %% [markdown]
# ## Parameters
#
# The same image, configuration and run directory as notebook 03. `SinGAN.train(...,
# resume=True)` continues a run at its first unfinished scale — so if notebook 03 has
# already trained this model, it is simply loaded (under any backend); otherwise it is
# trained here.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"
QUICK_ITERATIONS = 60  # must match notebook 03 to reuse its run
CONFIG = preset("paper") if MODE == "full" else preset("quick", iterations=QUICK_ITERATIONS)
RUN_DIR = f"runs/{IMAGE}_{MODE}"
NUM_SAMPLES = 8 if MODE == "quick" else 16


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


def row(images, titles=None, height=2.0, suptitle=None):
    """Draws images side by side, each at its own aspect ratio."""
    widths = [img.shape[1] / img.shape[0] for img in images]
    fig, axes = plt.subplots(1, len(images), figsize=(height * sum(widths) + 0.2, height + 0.4),
                             gridspec_kw={"width_ratios": widths}, squeeze=False)
    for i, (ax, img) in enumerate(zip(axes[0], images, strict=True)):
        ax.imshow(show(img))
        ax.axis("off")
        if titles:
            ax.set_title(titles[i], fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    plt.show()


model = SinGAN.train(IMAGE, CONFIG, run_dir=RUN_DIR, resume=True, verbose=0)
print(f"{model.num_scales} scales {model.sizes}")
print("noise amplitudes σ_k:", [round(a, 4) for a in model.noise_amplitudes])

# %% [markdown]
# ## 1. Random samples
#
# `model.sample(n, seed=s)` returns numpy `(n, H, W, 3)` in about [-1, 1]. The noise is
# drawn with numpy, one stream per image, so a seed gives the same images on every
# backend and image *i* does not depend on how many you ask for.

# %%
real = model.reals[-1]
samples = model.sample(NUM_SAMPLES, seed=0)
print(samples.shape, samples.dtype)
row([real, model.reconstruct()], ["training image", "reconstruction from z*"])
row(list(samples[: NUM_SAMPLES // 2]), suptitle="random samples (start_scale=0)")
row(list(samples[NUM_SAMPLES // 2:]))
assert np.allclose(model.sample(2, seed=0), samples[:2], atol=1e-5)  # same seed, same images

# %% [markdown]
# The samples keep the patch statistics of the image — the colours, the rocket's texture,
# the sky — while the arrangement changes. A quick-mode model (few iterations, 64 px) is
# rough; full mode reproduces the paper's quality.
#
# How different are the samples? A simple measure (the paper's "diversity", §3): the
# standard deviation across samples of each pixel, averaged, divided by the training
# image's standard deviation (notebook 05 computes it with `singan_keras.metrics`).

# %%
diversity = samples.std(axis=0).mean() / real.std()
print(f"diversity from the coarsest scale: {diversity:.3f}  (paper: ≈ 0.5)")

# %% [markdown]
# ## 2. Any size and aspect ratio (Fig. 6)
#
# Every network is fully convolutional, so the only thing that fixes the output size is
# the size of the **noise maps**. `height_scale` and `width_scale` multiply every scale's
# size (the reference's `scale_v` / `scale_h`); the coarsest noise decides the layout,
# finer scales fill in detail at the right resolution.

# %%
shapes = [(1.0, 2.0), (1.0, 0.5), (1.5, 1.0), (2.0, 2.0)]
for hs, ws in shapes:
    wide = model.sample(2, height_scale=hs, width_scale=ws, seed=1)
    row(list(wide), [f"{wide.shape[1]}x{wide.shape[2]}"] * 2, height=2.0,
        suptitle=f"height_scale={hs}, width_scale={ws}")

# %% [markdown]
# A wider canvas does not stretch the image: it gets *more* of the same content (more
# scaffolding, more sky), because every output patch is produced by the same 11×11
# patch-level model.
#
# ## 3. Starting at a finer scale (Fig. 8)
#
# `start_scale = s` keeps scales $0..s-1$ fixed and draws fresh noise only from scale $s$
# on. The coarse layout then comes from the training image and the randomness is limited
# to finer details: the later the start, the closer to the original. (Paper: "generation
# from scale n"; our $s$ is the paper's $n = N - s$.)
#
# What feeds scale $s$? The paper plugs in the training image downsampled to scale
# $s-1$ (`start_input="real"`); the official code runs the coarser scales on the
# reconstruction noise $z^*$ (`start_input="reconstruction"`, the default). With a
# well-trained model the two are nearly the same image.

# %%
per_row = 4
for start_input in ("reconstruction", "real"):
    fig, axes = plt.subplots(model.num_scales, per_row + 1,
                             figsize=(1.9 * (per_row + 1), 1.45 * model.num_scales),
                             squeeze=False)
    for s in range(model.num_scales):
        images = model.sample(per_row, start_scale=s, seed=2, start_input=start_input)
        spread = images.std(axis=0).mean() / real.std()
        for j, img in enumerate([real, *images]):
            axes[s, j].imshow(show(img))
            axes[s, j].set_xticks([])
            axes[s, j].set_yticks([])
        axes[s, 0].set_ylabel(f"start {s}\n(n={model.num_scales - 1 - s})\ndiv {spread:.2f}",
                              fontsize=7)
    axes[0, 0].set_title("real", fontsize=8)
    fig.suptitle(f'start_input="{start_input}": one row per start_scale', fontsize=10)
    plt.show()

# %% [markdown]
# Top row: everything random. Each row below fixes one more scale, and the per-row
# diversity falls (paper: ≈0.5 from the coarsest scale, ≈0.35 one scale finer).
#
# ## Summary
#
# * Sampling runs the generators coarse to fine with fresh noise scaled by $\sigma_k$;
#   `seed` makes it reproducible across backends.
# * `height_scale` / `width_scale` change the noise maps' size and thus the output's;
#   fully convolutional networks fill any canvas with the image's patches.
# * `start_scale` fixes the coarse scales (from the reconstruction or, `start_input=
#   "real"`, the downsampled training image) and trades diversity for fidelity.
#
# ## Exercises
#
# 1. Sample with `height_scale=0.5, width_scale=3` (a panorama strip). At which
#    `start_scale` does the sample stop looking like the original? Now combine
#    `start_scale=2` with `width_scale=2`: what happens to the fixed coarse image, and
#    why does the result look stretched?
# 2. Plot diversity against `start_scale` for 16 samples per start scale.
# 3. Compare `start_input="real"` and `"reconstruction"` pixel by pixel at the finest
#    start scale: how far apart are they, and how does that relate to the final
#    reconstruction loss in notebook 03?
# 4. Load the run under another backend (`KERAS_BACKEND=jax`, new kernel) and check
#    that `model.sample(4, seed=0)` gives the same images up to float tolerance.
