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
# # 07 · Paint-to-image: a clipart in, a photograph out
#
# A trained SinGAN is a pyramid of generators that each add the detail of one scale to an
# upsampled coarser image. Nothing forces the coarse image to come from the coarser
# generators: we can hand the pyramid **any** image at a coarse scale and let the finer
# generators paint the training image's textures onto it. With a rough paint or clipart of
# a scene this is *paint-to-image* (paper §4, Fig. 11).
#
# In the code's order ($k = 0$ coarsest, $K-1$ finest; the paper's $n = N - k$ with
# $N = K - 1$), injecting a paint $p$ at scale $s \ge 1$ runs
#
# $$
# x_{in} = \big(p\!\downarrow_{s-1}\big)\!\uparrow^r, \qquad
# \tilde x_s = x_{in} + \psi_s\big(\sigma_s z_s + x_{in}\big), \qquad
# \tilde x_k = (\tilde x_{k-1})\!\uparrow^r
#   + \psi_k\big(\sigma_k z_k + (\tilde x_{k-1})\!\uparrow^r\big), \quad k = s+1..K-1,
# $$
#
# where $p\!\downarrow_{s-1}$ is the paint resized to scale $s-1$'s size (so it is as blurry
# as a coarse-scale output) and $z_k$ is fresh noise. The scales coarser than $s$ are not
# run at all: the paint *replaces* them.

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

from singan_keras import SinGAN, data, load_image, preset  # noqa: E402
from singan_keras.applications import inject, paint_to_image  # noqa: E402
from singan_keras.applications.injection import injection_input, load_user_image  # noqa: E402
from singan_keras.applications.paint import color_palette, quantize_colors  # noqa: E402
from singan_keras.imresize import imresize  # noqa: E402
from singan_keras.metrics import diversity, sliced_wasserstein_distance  # noqa: E402

# %% [markdown]
# ## Parameters
#
# The model is notebook 03's `rocket` run (`resume=True` loads it if 03 has run, trains it
# otherwise — the same call as notebook 04). The paint is bundled with the package in
# `singan_keras/data/extras/`: the rocket photograph mirrored left-right, averaged over
# 5×5-pixel blocks and flattened to 6 colours — a blocky "clipart" whose layout (launch
# tower on the other side) the model has never seen. `SEEDS` noise seeds per setting feed
# the measurements at the end.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"
QUICK_ITERATIONS = 60  # must match notebook 03 to reuse its run
CONFIG = preset("paper") if MODE == "full" else preset("quick", iterations=QUICK_ITERATIONS)
RUN_DIR = f"runs/{IMAGE}_{MODE}"
PAINT = data.extra_path("rocket_paint.png")  # bundled with the package: data.list_extras()
SEEDS = 4 if MODE == "quick" else 8


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


def row(images, titles=None, height=2.0, suptitle=None):
    """Draws images side by side, each at its own aspect ratio."""
    widths = [img.shape[1] / img.shape[0] for img in images]
    fig, axes = plt.subplots(1, len(images), figsize=(height * sum(widths) + 0.2, height + 0.5),
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
LAST = model.num_scales - 1  # the paper's N
START_SCALES = list(range(1, min(model.num_scales, 5)))  # injection needs s >= 1
print(f"{model.num_scales} scales {model.sizes}; start scales shown: {START_SCALES}")

# %% [markdown]
# ## 1. The inputs
#
# The paint must have the training image's size (or the finest scale's). Like every image
# in the package it is loaded as float32 in $[-1, 1]$. `load_user_image` validates it and
# resizes it to the finest trained scale exactly as the training image was resized, so the
# paint and `model.reals[-1]` are directly comparable.

# %%
paint = load_image(PAINT)
_, paint_finest = load_user_image(model, paint, "PAINT")
print("paint file:", paint.shape, "-> finest scale:", paint_finest.shape)
row([paint, paint_finest, model.reals[-1]],
    ["paint (file)", "paint at the finest scale", "training image $x_{K-1}$"])

# %% [markdown]
# ## 2. What `paint_to_image` does, step by step
#
# `injection_input(model, image, s)` is $x_{in}$: the finest-size paint downscaled to scale
# $s-1$ and upsampled to scale $s$ with the same MATLAB-bicubic resize the pyramid uses.
# Compare it with the training image at the same scale — that is what $G_s$ was trained to
# receive. Then `inject(model, x_in, s, seed=...)` runs $G_s, \dots, G_{K-1}$ with fresh
# noise. Together they are exactly `paint_to_image` (without quantisation):

# %%
for s in START_SCALES:
    x_in = injection_input(model, paint_finest, s)
    by_hand = inject(model, x_in, s, seed=0)[0]
    assert np.array_equal(by_hand, paint_to_image(model, PAINT, s, seed=0))
    x_in_title = r"$x_{in}$ = paint $\downarrow_{" + str(s - 1) + r"}\uparrow^r$"
    row([model.reals[s], x_in, by_hand],
        [f"real $x_{s}$ {model.sizes[s]}", x_in_title, "generated, finest scale"],
        height=1.6, suptitle=f"inject at scale {s} (paper n = {LAST - s})")

# %% [markdown]
# The coarser the start scale, the blurrier $x_{in}$, and the more of the image the
# generators have to (re)invent.
#
# ## 3. Colour quantisation
#
# A paint's flat colours need not be colours of the photograph. The official code offers
# `--quantization_flag`: replace every paint colour by the nearest of **5 k-means colours
# of the real image at scale $s$**, then resize the quantised paint straight to scale $s$.
# `paint_to_image(..., quantize=True)` does this (the official code also fine-tunes the
# generators on quantised inputs; this package does not — a named deviation in
# `singan_keras/applications/paint.py`). Below: each start scale's palette and what the
# paint becomes with it.

# %%
fig, axes = plt.subplots(len(START_SCALES), 2, figsize=(6, 1.9 * len(START_SCALES)),
                         gridspec_kw={"width_ratios": [1, 3]}, squeeze=False)
for (swatch_ax, paint_ax), s in zip(axes, START_SCALES, strict=True):
    palette = color_palette(model.reals[s])  # (5, 3) in [-1, 1]
    swatch_ax.imshow(show(palette[:, None, :]).transpose(1, 0, 2))
    swatch_ax.set_title(f"palette of $x_{s}$", fontsize=8)
    paint_ax.imshow(show(quantize_colors(paint_finest, palette)))
    paint_ax.set_title(f"paint quantised to it (scale {s})", fontsize=8)
    for ax in (swatch_ax, paint_ax):
        ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 4. The paper's Fig. 11: one row per start scale
#
# Columns: without quantisation for two seeds, then with quantisation for the same two
# seeds. The same seed gives the same image under every backend.

# %%
columns = [(False, 0), (False, 1), (True, 0), (True, 1)]
fig, axes = plt.subplots(len(START_SCALES), len(columns) + 1,
                         figsize=(2.1 * (len(columns) + 1), 1.55 * len(START_SCALES)),
                         squeeze=False)
for r, s in enumerate(START_SCALES):
    axes[r, 0].imshow(show(paint_finest))
    axes[r, 0].set_ylabel(f"start {s}\n(n = {LAST - s})", fontsize=8)
    for c, (quantize, seed) in enumerate(columns, start=1):
        axes[r, c].imshow(show(paint_to_image(model, PAINT, s, quantize=quantize, seed=seed)))
        if r == 0:
            axes[r, c].set_title(f"{'quantised' if quantize else 'plain'}, seed {seed}", fontsize=8)
for ax in axes.flat:
    ax.set_xticks([])
    ax.set_yticks([])
axes[0, 0].set_title("paint", fontsize=8)
fig.suptitle("paint-to-image by start scale (0 = coarsest)", fontsize=10)
plt.show()

# %% [markdown]
# Read the rows from the bottom up. Started at the finest allowed scale, the output is the
# paint with a little texture: the block edges and flat patches survive, because only the
# last generator(s) touch it. Started coarser, the blocks dissolve into the photograph's
# gradients, glows and scaffolding, and the layout is followed only roughly. With this
# paint — made from the photograph, so its colours already are the photograph's —
# quantisation changes little; for a paint in made-up colours it matters much more
# (Exercise 2).
#
# ## 5. Why the start scale matters, measured
#
# Two opposite goals:
#
# * **follow the paint's layout**: mean squared error between the output and the paint,
#   both resized to the coarsest scale's size (so only layout, not texture, counts);
# * **look like the photograph**: the sliced Wasserstein distance (SWD) between the 7×7
#   patches of the training image and of the outputs (`singan_keras.metrics`,
#   Laplacian bands; 0 = the same patch distribution).
#
# A generator $G_k$ can only correct structures about as large as its receptive field
# (11×11 px at scale $k$); everything larger it takes from its input. Injecting at a coarse
# scale lets many generators rework the paint, so patches look real but the layout drifts;
# injecting at a fine scale keeps the layout and the paint's flat, unphotographic patches.
# We also report the diversity across seeds (`metrics.diversity`).

# %%
coarsest = model.sizes[0]
layout = lambda image: imresize(image, coarsest)  # noqa: E731


def measure(images):
    to_paint = np.mean([np.mean((layout(img) - layout(paint_finest)) ** 2) for img in images])
    swd = sliced_wasserstein_distance(model.reals[-1], images, num_levels=3).mean
    return to_paint, swd


paint_mse, paint_swd = measure(paint_finest[None])
print(f"{'input':>14} {'start':>5} {'n':>3} {'layout MSE to paint':>20} {'patch SWD':>10} "
      f"{'diversity':>9}")
print(f"{'paint itself':>14} {'-':>5} {'-':>3} {paint_mse:20.4f} {paint_swd:10.3f} {'-':>9}")
random_samples = model.sample(SEEDS, seed=0)
rs_mse, rs_swd = measure(random_samples)
print(f"{'random sample':>14} {0:5d} {LAST:3d} {rs_mse:20.4f} {rs_swd:10.3f} "
      f"{diversity(random_samples, model.reals[-1]):9.3f}")
table = {}
for quantize in (False, True):
    for s in START_SCALES:
        outputs = np.stack([paint_to_image(model, PAINT, s, quantize=quantize, seed=i)
                            for i in range(SEEDS)])
        table[quantize, s] = measure(outputs)
        print(f"{'quantised' if quantize else 'plain':>14} {s:5d} {LAST - s:3d} "
              f"{table[quantize, s][0]:20.4f} {table[quantize, s][1]:10.3f} "
              f"{diversity(outputs, model.reals[-1]):9.3f}")

fig, axes = plt.subplots(1, 2, figsize=(8, 2.8))
for quantize in (False, True):
    label = "quantised" if quantize else "plain"
    axes[0].plot(START_SCALES, [table[quantize, s][0] for s in START_SCALES], "o-", label=label)
    axes[1].plot(START_SCALES, [table[quantize, s][1] for s in START_SCALES], "o-", label=label)
axes[1].axhline(paint_swd, color="gray", ls="--", lw=0.8, label="paint itself")
axes[1].axhline(rs_swd, color="gray", ls=":", lw=0.8, label="random samples")
axes[0].set_title("layout MSE to the paint (lower = follows it)", fontsize=9)
axes[1].set_title("patch SWD to the photograph (lower = realistic)", fontsize=9)
for ax in axes:
    ax.set_xlabel("start scale s (0 = coarsest)")
    ax.set_xticks(START_SCALES)
    ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Going to coarser start scales (left) moves the output *away* from the paint and its
# patches *towards* the photograph's — the trade-off the paper's Fig. 11 shows by picking
# one start scale per example. The diversity is small at every start scale: with the
# whole layout given, only the fine scales' noise differs between seeds (and a quick-mode
# model's fine-scale $\sigma_k$ are small). Random samples from the coarsest scale have
# the photograph's patches but none of the paint's layout.
#
# ## 6. The same from the command line
#
# `singan paint RUN_DIR PAINT --start-scale N --out FILE [--quantize] [--seed S]` does the
# same on a run directory. We call it through `python -m singan_keras` (the `singan`
# script), in a new process under the same backend, and compare with the notebook's
# result. A PNG holds 8-bit values in $[-1, 1]$ (the generators' residual outputs can
# overshoot it a little), so we compare with the result clipped to that range: they agree
# to within one grey level (2/255).

# %%
s = START_SCALES[len(START_SCALES) // 2]
out = f"{RUN_DIR}/painted_s{s}.png"
command = [sys.executable, "-m", "singan_keras", "paint", RUN_DIR, str(PAINT),
           "--start-scale", str(s), "--quantize", "--seed", "0", "--out", out]
print("$ singan paint", RUN_DIR, "rocket_paint.png", *command[6:])
print(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
from_cli = load_image(out)
in_notebook = np.clip(paint_to_image(model, PAINT, s, quantize=True, seed=0), -1, 1)
print(f"largest difference CLI vs notebook: {np.abs(from_cli - in_notebook).max():.4f}")
assert np.abs(from_cli - in_notebook).max() <= 2 / 255 + 1e-6

# %% [markdown]
# Invalid input gives one clear error naming the flag and the allowed range (here the
# coarsest scale, which has no coarser image to downscale to):

# %%
try:
    paint_to_image(model, PAINT, 0)
except ValueError as error:
    print("ValueError:", error)

# %% [markdown]
# ## Summary
#
# * Paint-to-image injects $x_{in} = (p\!\downarrow_{s-1})\!\uparrow^r$ at a coarse scale
#   $s \ge 1$ (the paper's $n = N - s$) and runs only the generators $G_s..G_{K-1}$ with
#   fresh noise; `paint_to_image` = `injection_input` + `inject`.
# * The start scale trades fidelity to the paint's layout (fine $s$) for realistic patches
#   (coarse $s$), because each generator only reworks structures about its receptive field
#   in size — measured above with a layout MSE and a patch SWD.
# * `quantize=True` first snaps the paint to 5 k-means colours of the real image at scale
#   $s$, which helps when the paint's colours are not the photograph's.
# * CLI: `singan paint RUN_DIR PAINT --start-scale N --out FILE [--quantize] [--seed S]`.
#
# ## Exercises
#
# 1. Paint your own clipart: start from `np.full_like(paint_finest, -0.6)` (a dark sky),
#    draw a bright vertical bar somewhere else, and run it at every start scale. Where does
#    the "rocket" appear?
# 2. Give the paint false colours (e.g. `paint_finest[..., ::-1]`, red and blue swapped)
#    and compare `quantize=False` and `True`. Which start scale needs quantisation most?
# 3. Repeat section 5 with 16 seeds and with `SINGAN_TUTORIAL_MODE=full` (on a GPU). Does
#    the layout/realism trade-off keep its shape with more scales?
# 4. Why must the start scale be at least 1? What would "injecting at scale 0" have to
#    mean, given that $G_0$ has no image input?
