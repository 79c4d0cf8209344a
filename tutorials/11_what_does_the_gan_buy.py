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
# # 11 · What does the GAN buy? SinGAN next to a training-free baseline
#
# The strongest critique of SinGAN is "Drop the GAN" (Granot, Feinstein, Shocher, Bagon,
# Irani, CVPR 2022). It keeps SinGAN's coarse-to-fine pyramid and replaces every scale's
# generator by a **patch nearest-neighbour** step (GPNN). There is no training at all:
#
# * coarsest scale: the downscaled image plus noise, $y_0 = x_0 + z$, $\sigma = 0.75$;
# * every scale: upsample the previous result, then $T = 10$ times replace each 7×7 patch
#   $Q_i$ of the current image by the real patch $V_{j^*}$ whose *key* $K_{j^*}$ (the real
#   image, blurred like the guess) minimises the normalised score
#
# $$
# S(Q_i, K_j) = \frac{D(Q_i, K_j)}{\alpha + \min_\ell D(Q_\ell, K_j)},
# $$
#
# and average the overlapping patches. The denominator makes a real patch that some query
# already matches *expensive* for the others, so small $\alpha$ pushes every real patch to
# be used somewhere (completeness). `singan_keras.baselines.gpnn_sample` implements it on
# the same pyramid and `imresize` as SinGAN (its docstring has the details).
#
# This notebook puts the two side by side on two bundled images — samples, diversity,
# patch SWD and time — and makes GPNN's way of working visible: a map of where every
# output patch was copied from.

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

import time  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from singan_keras import SinGAN, preset  # noqa: E402
from singan_keras.baselines import GPNNConfig, gpnn_sample  # noqa: E402
from singan_keras.metrics import diversity, sliced_wasserstein_distance  # noqa: E402

# %% [markdown]
# ## Parameters
#
# `rocket` reuses notebook 03's run directory when it exists (as notebooks 04 and 05 do;
# `resume=True` loads a finished run); `brick`, a texture, gets its own short run. In quick
# mode both SinGANs are small and briefly trained, so their samples are rough; GPNN runs
# on exactly the same pyramid (finest scale ≤ 64 px). Full mode uses the paper's settings
# for both (hours of SinGAN training per image on a CPU; GPNN stays seconds).

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
QUICK_ITERATIONS = {"rocket": 60, "brick": 15}  # rocket: must match notebook 03
IMAGES = list(QUICK_ITERATIONS)
NUM_SAMPLES = 6 if MODE == "quick" else 16
SEED = 0


def config_for(image):
    if MODE == "full":
        return preset("paper")
    return preset("quick", iterations=QUICK_ITERATIONS[image])


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


models, singan_seconds = {}, {}
for image in IMAGES:
    start = time.perf_counter()
    models[image] = SinGAN.train(
        image, config_for(image), run_dir=f"runs/{image}_{MODE}", resume=True, verbose=0
    )
    singan_seconds[image] = time.perf_counter() - start
    print(f"{image}: {models[image].num_scales} scales, {singan_seconds[image]:.0f} s to "
          "train (or load, if an earlier notebook trained it)")

# %% [markdown]
# ## 1. Samples side by side
#
# GPNN gets the SinGAN run's own pyramid settings (`scale_factor`, `min_size`,
# `max_size`), so both methods produce images of the same size from the same real images.
# We time one call of each: SinGAN's sampling (its training time is above) and GPNN's
# whole generation, which *is* its training-free "fit".

# %%
results = {}
for image, model in models.items():
    config = model.config
    gpnn_config = GPNNConfig(scale_factor=config.scale_factor, min_size=config.min_size,
                             max_size=config.max_size)
    real = np.clip(model.reals[-1], -1.0, 1.0)
    start = time.perf_counter()
    singan = np.clip(model.sample(NUM_SAMPLES, seed=SEED), -1.0, 1.0)
    singan_sample_seconds = time.perf_counter() - start
    start = time.perf_counter()
    gpnn, sources = gpnn_sample(real, NUM_SAMPLES, seed=SEED, config=gpnn_config,
                                return_sources=True)
    gpnn_seconds = time.perf_counter() - start
    results[image] = dict(real=real, singan=singan, gpnn=gpnn, sources=sources,
                          singan_sample_s=singan_sample_seconds, gpnn_s=gpnn_seconds)

shown = 4
fig, axes = plt.subplots(2 * len(IMAGES), shown + 1, figsize=(1.6 * (shown + 1),
                                                               1.4 * 2 * len(IMAGES)))
for i, (image, r) in enumerate(results.items()):
    for method_row, method in enumerate(("singan", "gpnn")):
        row = axes[2 * i + method_row]
        row[0].imshow(show(r["real"]))
        row[0].set_title(f"{image}: real", fontsize=8)
        for k in range(shown):
            row[k + 1].imshow(show(r[method][k]))
            row[k + 1].set_title(f"{method.upper()} {k}", fontsize=8)
        for ax in row:
            ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 2. Diversity, patch SWD, time
#
# Diversity (notebook 05): the per-pixel std across samples over the image's std — how much
# samples differ, not how good they are. Patch SWD: the sliced Wasserstein distance
# between the 7×7 patch distributions of the real image and the samples, per Laplacian
# band, averaged (lower = closer patch statistics); the real image against itself gives
# the floor.

# %%
print(f"{'image':8} {'method':7} {'diversity':>9} {'patch SWD':>9} {'seconds':>24}")
for image, r in results.items():
    levels = 3 if min(r["real"].shape[:2]) >= 28 else 2
    floor = sliced_wasserstein_distance(r["real"], r["real"], num_levels=levels, seed=SEED)
    for method in ("singan", "gpnn"):
        spread = diversity(r[method], r["real"])
        swd = sliced_wasserstein_distance(r["real"], r[method], num_levels=levels, seed=SEED)
        if method == "singan":
            cost = f"train {singan_seconds[image]:.0f} + sample {r['singan_sample_s']:.1f}"
        else:
            cost = f"no training, {r['gpnn_s']:.1f}"
        print(f"{image:8} {method:7} {spread:9.3f} {swd.mean:9.4f} {cost:>24}")
    print(f"{image:8} {'floor':7} {'':9} {floor.mean:9.4f}   (real vs real)")

# %% [markdown]
# ## 3. Where did GPNN copy from? The source-patch map
#
# `return_sources=True` gives, for every output patch, the top-left corner `(row, col)` of
# the real patch it was copied from. Colour the output by that position (row → red, column
# → green) and the real image by its own positions the same way: a region of the sample
# that shows a smooth gradient of colour was copied **as one piece**. The third panel
# marks *coherent* patches, those whose right neighbour came from the real patch just
# right of their own source — a direct measure of copying.

# %%


def position_colours(rows, cols, height, width):
    """(row, col) -> an RGB colour: red grows down, green grows right."""
    return np.stack([rows / max(height - 1, 1), cols / max(width - 1, 1),
                     0.5 * np.ones_like(rows, dtype=float)], -1)


def coherence(source):
    """True where the right neighbour was copied from the real patch right of this one."""
    same_row = source[:, 1:, 0] == source[:, :-1, 0]
    next_col = source[:, 1:, 1] == source[:, :-1, 1] + 1
    return same_row & next_col


fig, axes = plt.subplots(len(IMAGES), 4, figsize=(8, 2.1 * len(IMAGES)), squeeze=False)
for row, (image, r) in zip(axes, results.items(), strict=True):
    source = r["sources"][0]
    height, width = source.shape[:2]  # the real image has the same patch grid here
    grid_rows, grid_cols = np.mgrid[0:height, 0:width]
    row[0].imshow(position_colours(grid_rows, grid_cols, height, width))
    row[0].set_title(f"{image}: real positions", fontsize=8)
    row[1].imshow(show(r["gpnn"][0]))
    row[1].set_title("GPNN sample 0", fontsize=8)
    row[2].imshow(position_colours(source[..., 0], source[..., 1], height, width))
    row[2].set_title("where its patches came from", fontsize=8)
    row[3].imshow(coherence(source), cmap="gray")
    row[3].set_title(f"copied with neighbour: {coherence(source).mean():.0%}", fontsize=8)
    for ax in row:
        ax.axis("off")
plt.tight_layout()
plt.show()

for image, r in results.items():
    shares = [coherence(s).mean() for s in r["sources"]]
    print(f"{image}: {np.mean(shares):.0%} of GPNN patches continue their neighbour's source "
          f"(a random choice of sources would give {1 / r['sources'][0][..., 0].size:.2%})")

# %% [markdown]
# ## 4. What each does badly
#
# * **GPNN copies.** The source map shows large regions copied as one block, shifted and
#   stitched together: the samples are collages of the real image. Inside a block every
#   pixel is real, which is why its patch statistics are excellent, but the "new" image is
#   only a rearrangement, and with small $\alpha$ (strong completeness) it tends to reuse
#   *every* part of the image, even where a good sample would not (the rocket may appear
#   twice, or cut at a seam). Seams between blocks are averages of disagreeing patches: a
#   blur line where two copies meet.
# * **SinGAN invents — and makes artefacts.** Its samples are not made of copied pixels:
#   the generators synthesise texture, so new structures can appear, but so can GAN
#   artefacts (repeated blobs, smeared edges, colour shifts), and in quick mode, with a
#   few dozen iterations per scale, the fine scales are visibly undertrained. It also needs
#   a training run per image (hours on a CPU at the paper's settings), where GPNN needs
#   seconds.
# * **Diversity is not quality.** Either method can score high diversity with bad samples
#   (noise is maximally diverse); read it together with patch SWD and the pictures.

# %% [markdown]
# ## Summary
#
# * GPNN keeps SinGAN's pyramid and replaces each generator by a patch nearest-neighbour
#   step with a completeness-normalised score $D / (\alpha + \min_\ell D)$; there is no
#   training, so one sample takes seconds on a CPU.
# * Every GPNN pixel is an average of real pixels. Where the copied blocks are large
#   (`rocket`) that gives patch statistics close to the real image's; where many small
#   blocks meet (`brick`, a texture) the averaging at the seams blurs the finest detail,
#   and patch SWD can be *worse* than a briefly trained SinGAN's — read the numbers of your
#   run, not the paper's claim.
# * The source-patch map makes the price visible: large regions are copied whole, so the
#   samples are collages; SinGAN synthesises instead, with GAN artefacts and a long
#   training run as its price.
# * What the GAN buys, then, is generalisation beyond copying — new texture, smooth
#   interpolation, a model that can be reused for editing and animation (notebooks 07–09)
#   — not better patch statistics.
#
# ## Exercises
#
# 1. Run GPNN with `GPNNConfig(alpha=10.0)` (no completeness). How do the source map and
#    diversity change, and why?
# 2. Set `noise_std=0.0`. What does GPNN return, and why (look at the score when every
#    query matches its own key)?
# 3. Compare `GPNNConfig(search="exact")` with the default fast search on `brick`: time,
#    diversity and patch SWD. Where in the pyramid does the fast mode save its time?
# 4. Generate a wide sample (`width_scale=2`) with both methods. Which one copes better
#    with the new aspect ratio, and what does the source map show at the seams?
# 5. Train SinGAN in full mode on a GPU and redo the table. Does the gap in patch SWD
#    close?
