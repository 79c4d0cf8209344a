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
# # 05 · Measuring samples: diversity, patch SWD and SIFID
#
# The paper evaluates random samples in two tables (§3.1), both with one row per
# **generation start scale**: from the coarsest scale $N$ (everything random) and from
# $N-1$ (the coarse layout kept):
#
# * **Table 1** — the *diversity* of the samples (≈ 0.5 from $N$, ≈ 0.35 from $N-1$) next
#   to a human real/fake study;
# * **Table 2** — the *Single Image FID* (SIFID) of the samples next to its correlation with
#   that study.
#
# The human studies cannot be rerun in a notebook; the metrics can. This notebook explains
# each metric, computes it on samples of the model trained in notebook 03, and adds a
# weight-free patch statistic, the sliced Wasserstein distance (SWD), that we use day to day.
# Everything comes from `singan_keras.metrics`.
#
# Index direction: scale 0 is the **coarsest** scale in the code (the paper's $N$), so the
# paper's "from $N$" is `start_scale=0` and "from $N-1$" is `start_scale=1`.

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

import pathlib  # noqa: E402

import keras  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from singan_keras import SinGAN, preset  # noqa: E402
from singan_keras.imresize import imresize  # noqa: E402
from singan_keras.metrics import (  # noqa: E402
    TORCHVISION_INCEPTION_URL,
    build_sifid_stem,
    diversity,
    feature_statistics,
    fidelity_report,
    frechet_distance,
    laplacian_pyramid,
    load_sifid_stem,
    sifid,
    sifid_features,
    sliced_wasserstein_distance,
)

# %% [markdown]
# ## Parameters
#
# The model is notebook 03's (same image, configuration and run directory): if 03 has run,
# `resume=True` just loads it, otherwise it is trained here. The paper draws 100 samples
# for diversity and 50 for SIFID; quick mode uses 50 for everything.
#
# `SIFID_WEIGHTS` says where the InceptionV3 weights for SIFID are (section 4 explains how
# to get them): a torchvision `inception_v3_google-*.pth`, a saved stem `.weights.h5`, or
# `imagenet` for Keras' weights. Left empty, the notebook looks in the usual download
# caches and, when nothing is there, falls back to a **random-weight** stem that shows the
# mechanics only.

# %%
MODE = os.environ.get("SINGAN_TUTORIAL_MODE", "quick")  # "quick" or "full"
IMAGE = "rocket"
QUICK_ITERATIONS = 60  # must match notebook 03 to reuse its run
CONFIG = preset("paper") if MODE == "full" else preset("quick", iterations=QUICK_ITERATIONS)
RUN_DIR = f"runs/{IMAGE}_{MODE}"
NUM_SAMPLES = 50 if MODE == "quick" else 100
SEED = 0
SIFID_WEIGHTS = os.environ.get("SIFID_WEIGHTS", "")  # path, "imagenet", or "" to search


def show(image):
    """[-1, 1] -> [0, 1] for matplotlib."""
    return np.clip((np.asarray(image) + 1) / 2, 0, 1)


def row(images, titles=None, height=1.8, suptitle=None):
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
# The training image at the finest scale, what the samples imitate. The bicubic resize that
# made it can overshoot [-1, 1] by a hair: clip it as the samples are (fidelity_report does
# the same, and SIFID requires it).
real = np.clip(model.reals[-1], -1.0, 1.0)
print(f"{model.num_scales} scales, samples of {real.shape[0]}x{real.shape[1]} px")

# %% [markdown]
# ## 1. Samples from $N$ and from $N-1$
#
# We draw `NUM_SAMPLES` seeded samples from each start scale and clip them to [-1, 1], i.e.
# we score them as they would be saved. From $N-1$ (`start_scale=1`) the coarsest scale is
# not random: it is the reconstruction from $z^*$ (notebook 04), so only the finer scales
# vary.

# %%
START_SCALES = {"N": 0, "N-1": 1}  # paper's name -> our start_scale
samples = {
    name: np.clip(model.sample(NUM_SAMPLES, start_scale=s, seed=SEED), -1.0, 1.0)
    for name, s in START_SCALES.items()
}
for name, s in START_SCALES.items():
    row([real, *samples[name][:6]], ["real"] + [f"sample {i}" for i in range(6)],
        suptitle=f"from {name} (start_scale={s})")

# %% [markdown]
# ## 2. Diversity (paper §3.1, Table 1)
#
# "The standard deviation of the intensity values of each pixel over 100 generated images,
# averaged over all pixels, and normalized by the std of the intensity values of the
# training image":
#
# $$
# \mathrm{diversity} = \frac{\operatorname{mean}_{i,j,c}\;\operatorname{std}_k\,
#   \tilde x^{(k)}_{ijc}}{\operatorname{std}_{i,j,c}\; x_{ijc}} .
# $$
#
# Choices the paper leaves open, fixed in `metrics.diversity`: population stds, the mean
# over pixels *and* colour channels, the training image's std pooled over all its values.
# It measures only how much the samples *differ*, not whether they look right — noise
# would score high. Here it is by hand, then with the library:

# %%
for name, x in samples.items():
    by_hand = x.std(axis=0).mean() / real.std()
    print(f"from {name:4s} by hand {by_hand:.4f}   metrics.diversity {diversity(x, real):.4f}")
print("identical samples:", diversity(np.stack([real] * 4), real))

fig, axes = plt.subplots(1, 2, figsize=(7, 2.6))
for ax, (name, x) in zip(axes, samples.items(), strict=True):
    image = ax.imshow(x.std(axis=0).mean(axis=-1) / real.std(), cmap="magma", vmin=0, vmax=1)
    ax.set_title(f"per-pixel std / std(x), from {name}\n(mean = diversity "
                 f"{diversity(x, real):.3f})", fontsize=8)
    ax.axis("off")
fig.colorbar(image, ax=axes, shrink=0.8)
plt.show()

# %% [markdown]
# The maps show *where* the samples vary. From $N$ the whole layout moves; from $N-1$ only
# what the finer scales add. Compare with the paper's ≈ 0.5 and ≈ 0.35 with care: those
# are averages over many images at full settings. In quick mode (60 iterations per scale,
# 64 px) the finer scales' noise amplitudes $\sigma_k$ are small, so the diversity from
# $N-1$ is far lower than the paper's.
#
# ## 3. Patch sliced Wasserstein distance (SWD)
#
# SinGAN learns the distribution of the image's **patches** at every scale, so a natural
# check compares patch distributions directly, without any pretrained network (ProGAN,
# Karras et al. 2018):
#
# 1. a Laplacian pyramid of each image (binomial filter $[1,4,6,4,1]/16$): band
#    $L_l = G_l - \uparrow_2 G_{l+1}$, finest first, the last band the coarsest Gaussian
#    level;
# 2. 4096 random $7\times7\times3$ patches per band from the real image and as many from
#    the samples, each set normalised per channel;
# 3. for $4\times128$ random unit directions $\theta$, the 1-D Wasserstein-1 distance
#    between the projections $\langle\theta, p\rangle$ — with equal set sizes, the mean
#    absolute difference of the *sorted* projections; averaged:
#
# $$
# \mathrm{SWD}_l = \operatorname{mean}_\theta\; \frac{1}{P}\sum_{i=1}^{P}
#   \big|\,\mathrm{sort}(\langle\theta, p^{real}\rangle)_i
#   - \mathrm{sort}(\langle\theta, p^{fake}\rangle)_i\,\big| .
# $$
#
# Every band must be at least 7 px, so a 64 × 43 image allows 3 bands. Lower is better.

# %%
num_levels = 1
while num_levels < 4 and -(-min(real.shape[:2]) // 2 ** num_levels) >= 7:
    num_levels += 1  # the next band would still be >= 7 px
bands = laplacian_pyramid(real, num_levels)
fig, axes = plt.subplots(1, num_levels, figsize=(2.6 * num_levels, 2))
for level, (ax, band) in enumerate(zip(axes, bands, strict=True)):
    detail = level < num_levels - 1  # the last band is the coarse image itself
    ax.imshow(np.clip(0.5 + band / (4 * band.std()), 0, 1) if detail else show(band))
    ax.set_title(f"band {level}: {band.shape[0]}x{band.shape[1]}", fontsize=8)
    ax.axis("off")
fig.suptitle("Laplacian pyramid of the training image (detail bands contrast-stretched)",
             fontsize=9)
plt.show()

# %% [markdown]
# A number means little alone, so we add two references: the real image against itself
# (the sampling noise of 4096 random patches, the floor) and against a blurred copy
# (down- and upsampled by 2, which removes the finest detail). Read each row of samples
# against these two, band by band: band 0 holds the finest detail, the last band the
# coarse colours and layout.

# %%
blurred = imresize(imresize(real, scale=0.5), output_shape=real.shape[:2])
swd = {name: sliced_wasserstein_distance(real, x, num_levels=num_levels, seed=SEED)
       for name, x in samples.items()}
references = {
    "real vs real": sliced_wasserstein_distance(real, real, num_levels=num_levels, seed=SEED),
    "real vs blurred": sliced_wasserstein_distance(real, blurred, num_levels=num_levels,
                                                   seed=SEED),
}
print(f"{'':16s}" + "".join(f"  band {level}" for level in range(num_levels)) + "    mean")
for name, result in {**{f"from {k}": v for k, v in swd.items()}, **references}.items():
    print(f"{name:16s}" + "".join(f"{v:8.4f}" for v in result.per_level) + f"{result.mean:8.4f}")

# %% [markdown]
# ## 4. SIFID (paper §3.1, Table 2)
#
# FID (Heusel et al. 2017) fits one Gaussian to the InceptionV3 features of many real
# images and one to many generated images, and reports the Fréchet distance between them.
# With a single training image there is one real image, so SIFID uses the **internal**
# statistics instead: every spatial position of an early InceptionV3 feature map is one
# sample. With $\mu, \Sigma$ the mean and (unbiased) covariance of those per-position
# features of the real image $x$ and of one sample $\tilde x$,
#
# $$
# \mathrm{SIFID}(x, \tilde x) = \lVert \mu_x - \mu_{\tilde x} \rVert_2^2
#   + \operatorname{Tr}\big(\Sigma_x + \Sigma_{\tilde x}
#   - 2 (\Sigma_x \Sigma_{\tilde x})^{1/2}\big),
# $$
#
# averaged over the samples (the paper: 50 per image). Lower is better.
#
# What `metrics.sifid` reproduces from the authors' official script (`SIFID/` in
# tamarott/SinGAN), and where it departs:
#
# * **Network**: the InceptionV3 *stem* with torchvision's ImageNet weights — three
#   conv (no bias) + BatchNorm + ReLU blocks: 3×3 stride 2 valid (32), 3×3 valid (32),
#   3×3 same (64).
# * **Which layer**: the official code takes the features **before the first max-pool**
#   (64 channels), `layer="first_pool"`, our default. The paper's text says "before the
#   second pooling layer": `layer="second_pool"` continues to 192 channels. The two give
#   different numbers; the official 64-channel layer is what Table 2 was computed with as
#   far as the released code shows.
# * **Input**: RGB in [0, 1] mapped to $2x-1$, no resizing — on our [-1, 1] images an
#   identity.
# * **The PNG bug, not reproduced**: the official script reads images with matplotlib,
#   which returns a PNG already as floats in [0, 1], and then divides by 255 *again*:
#   PNG inputs become nearly black (hence its README's advice to use `.jpg`). Section 4.4
#   shows what that does to the numbers.
#
# ### 4.1 The Fréchet distance, on numbers we can check
#
# For two Gaussians with the same covariance, only the means count: two unit Gaussians in
# 2-D whose means differ by $(1, 1)$ are at distance $1^2 + 1^2 = 2$. And a set of features
# against itself is at distance 0.

# %%
print("N(0, I) vs N(1, I) in 2-D:", frechet_distance(np.zeros(2), np.eye(2), np.ones(2), np.eye(2)))
rng = np.random.default_rng(0)
features = rng.standard_normal((500, 8))
mu, sigma = feature_statistics(features)  # mean and unbiased covariance of the rows
print(f"a feature set vs itself: {frechet_distance(mu, sigma, mu, sigma):.2g}  (0 up to round-off)")

# %% [markdown]
# ### 4.2 How to get the weights
#
# SIFID needs ImageNet-trained InceptionV3 weights. These notebooks never download
# anything; get them once, by any of these routes, and set `SIFID_WEIGHTS`:
#
# 1. **torchvision's weights — what the official script uses (recommended):**
#    ```bash
#    curl -LO https://download.pytorch.org/models/inception_v3_google-0cc3c7bd.pth
#    SIFID_WEIGHTS=$PWD/inception_v3_google-0cc3c7bd.pth jupyter lab tutorials/
#    ```
#    (`torchvision.models.inception_v3(weights="IMAGENET1K_V1")` also downloads it, to
#    `~/.cache/torch/hub/checkpoints/`, where this notebook finds it by itself.) Reading a
#    `.pth` needs `torch` (the CPU wheel is enough); `convert_torchvision_inception_stem`
#    maps its `Conv2d_1a_3x3`…`Conv2d_2b_3x3` conv and BatchNorm tensors onto our stem.
#    Convert once and keep a torch-free copy:
#    ```python
#    from singan_keras.metrics import convert_torchvision_inception_stem
#    convert_torchvision_inception_stem("inception_v3_google-0cc3c7bd.pth").save_weights(
#        "sifid_stem.weights.h5")        # then SIFID_WEIGHTS=sifid_stem.weights.h5
#    ```
# 2. **Keras' ImageNet InceptionV3:** `SIFID_WEIGHTS=imagenet` copies the stem out of
#    `keras.applications.InceptionV3(weights="imagenet")`, downloaded once into
#    `~/.keras/models/` (`inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5`). A
#    different training run from torchvision's: whether it gives the same SIFID values
#    has not been measured, so compare with the paper using route 1.
# 3. **A local file** — any `.pth` state dict with torchvision's names or a stem
#    `.weights.h5` saved as above.
#
# The same choices work on the command line: `singan sifid REAL FAKE... --weights PATH`
# and `singan evaluate RUN_DIR --weights PATH`.

# %%
print("torchvision weights:", TORCHVISION_INCEPTION_URL)
torch_home = pathlib.Path(os.environ.get("TORCH_HOME", "~/.cache/torch")).expanduser()
keras_home = pathlib.Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser()
candidates = {  # where the downloads above put the files
    str(torch_home / "hub/checkpoints" / TORCHVISION_INCEPTION_URL.rsplit("/", 1)[-1]): None,
    str(keras_home / "models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"):
        "imagenet",
}
weights = SIFID_WEIGHTS
if not weights:
    for path, name in candidates.items():
        if pathlib.Path(path).is_file():
            weights = name or path
            break

if weights:
    stem = load_sifid_stem(weights)  # raises FileNotFoundError, with the URL, if missing
    SIFID_LABEL = f"SIFID (InceptionV3 stem weights: {weights})"
    REAL_WEIGHTS = True
else:
    stem = build_sifid_stem("first_pool", seed=0)  # Glorot-random convs, identity BatchNorm
    SIFID_LABEL = ("SIFID with a RANDOM-WEIGHT stem: shows the mechanics, "
                   "numbers not comparable with the paper")
    REAL_WEIGHTS = False
    print("no InceptionV3 weights found (looked for SIFID_WEIGHTS and", *candidates, ")")
print(SIFID_LABEL)
for layer in stem.layers:
    if isinstance(layer, keras.layers.Conv2D):
        print(f"  {layer.name:20s} {layer.kernel_size[0]}x{layer.kernel_size[1]} stride "
              f"{layer.strides[0]} {layer.padding:5s} -> {layer.filters} channels (+ BN + ReLU)")

# %% [markdown]
# When no weights are found, everything below still runs — the features, the statistics,
# the Fréchet distance are computed exactly as with ImageNet weights — but a random
# network's features are not the ones the paper measured, so its values say nothing about
# quality and cannot be compared with Table 2. Every number computed with it is labelled.
# (Its weights are seeded, but Keras' seeded initialisers draw different numbers on each
# backend, so even the random-stem values differ between TensorFlow, JAX and PyTorch —
# unlike the samples, the diversity and the SWD, which are the same on every backend.)
#
# ### 4.3 Features, statistics, and two sanity checks
#
# `sifid_features` returns one row per spatial position: each row is one sample of the
# Gaussian. The covariance of $C$ channels is only full-rank with more than $C$ positions.
# (`sifid` checks the range [-1, 1] strictly; `real` was clipped above.)

# %%
real_sifid = np.clip(real, -1.0, 1.0)
second = build_sifid_stem("second_pool", seed=0)  # random weights: only for the shape
for layer, network in (("first_pool", stem), ("second_pool", second)):
    (features,) = sifid_features(real_sifid, network)
    positions, channels = features.shape
    dead = int((features.std(axis=0) == 0).sum())  # channels that are 0 at every position
    print(f"{layer:11s}: {positions} positions x {channels} channels -> covariance rank "
          f"<= {min(positions - 1, channels) - dead} of {channels} ({dead} channels constant)")

# %% [markdown]
# On the small quick-mode image the paper-text layer has fewer positions than its 192
# channels: its covariance is singular, the square root of $\Sigma_x\Sigma_{\tilde x}$ is
# ill-conditioned (scipy warns; `frechet_distance` retries with $10^{-6} I$ added when it
# is not finite). The official 64-channel layer keeps several positions per channel even
# at 64 px. A channel whose ReLU is 0 at every position also makes the covariance
# singular — common with random weights — and scipy then warns "Matrix is singular"; the
# distance is still computed.
#
# Sanity: SIFID of an image with itself is 0 (up to round-off), and it grows as noise of
# increasing strength is added.

# %%
noise_levels = [0.02, 0.05, 0.1, 0.2, 0.4]
noise = np.random.default_rng(SEED).standard_normal(real.shape)
noisy = [np.clip(real_sifid + s * noise, -1, 1) for s in noise_levels]
print(f"SIFID(x, x) = {sifid(real_sifid, real_sifid, weights=stem).mean:.3g}")
noisy_sifid = sifid(real_sifid, noisy, weights=stem).per_image
for s, value in zip(noise_levels, noisy_sifid, strict=True):
    print(f"SIFID(x, x + {s:4.2f}·z) = {value:.4g}")
assert np.all(np.diff(noisy_sifid) > 0)  # grows with the noise

fig, ax = plt.subplots(figsize=(4.5, 2.8))
ax.loglog(noise_levels, noisy_sifid, "o-")
ax.set_xticks(noise_levels, [f"{s:g}" for s in noise_levels])
ax.set_xticks([], minor=True)
ax.set_xlabel("noise std added to x")
ax.set_ylabel("SIFID")
ax.set_title(SIFID_LABEL if REAL_WEIGHTS else "random-weight stem (mechanics only)", fontsize=8)
plt.show()

# %% [markdown]
# ### 4.4 SIFID of the samples, and the official PNG bug
#
# One value per sample (each against the same real image), then the mean.

# %%
sifid_results = {name: sifid(real_sifid, x, weights=stem) for name, x in samples.items()}
for name, result in sifid_results.items():
    values = np.asarray(result.per_image)
    print(f"from {name:4s} mean {result.mean:.4g}  (min {values.min():.4g}, max {values.max():.4g}"
          f" over {len(values)} samples)")
print("  ^", SIFID_LABEL)

# %% [markdown]
# The official script's PNG path feeds $x/255$ with $x$ already in [0, 1]: every image is
# nearly black, differences between images shrink 255-fold, and SIFID — a *squared*
# distance — collapses towards 0, whatever the samples look like. We can feed exactly that
# input through the public API (our $[-1, 1]$ image of the official input is
# $2\,(x/255) - 1$):

# %%
def as_official_png_input(image):
    """Our image as the official script sees a PNG: [0, 1] floats divided by 255 again."""
    unit = (np.clip(image, -1, 1) + 1) / 2  # what matplotlib's imread returns for a PNG
    return 2 * (unit / 255) - 1            # back to our [-1, 1] convention


bug_real = as_official_png_input(real)
print(f"largest input value the network sees: {(bug_real.max() + 1) / 2:.4f} (instead of ≤ 1)")
for name, x in samples.items():
    bugged = sifid(bug_real, as_official_png_input(x), weights=stem).mean
    print(f"from {name:4s} SIFID {sifid_results[name].mean:.4g}  with the PNG bug {bugged:.3g}")
row([real, bug_real], ["what we feed", "what the official script feeds a PNG"], height=1.6)

# %% [markdown]
# ## 5. The tables
#
# All three metrics, one row per start scale, in the layout of the paper's Tables 1–2
# (its human-study columns left out). The paper's diversity is its reported average over
# its image set at full settings, not a target for one quick-mode model.

# %%
paper_diversity = {"N": 0.5, "N-1": 0.35}
print(f"{'1st scale':>9} {'start_scale':>11} {'diversity':>9} {'(paper)':>8} "
      f"{'patch SWD':>9} {'SIFID':>10}")
for name, s in START_SCALES.items():
    print(f"{name:>9} {s:>11d} {diversity(samples[name], real):9.3f} "
          f"{paper_diversity[name]:8.2f} {swd[name].mean:9.4f} {sifid_results[name].mean:10.4g}")
print(f"{NUM_SAMPLES} samples per row, seed {SEED}; SWD floor (real vs real) "
      f"{references['real vs real'].mean:.4f}")
print("SIFID column:", SIFID_LABEL)

# %% [markdown]
# ## 6. All of it in one call
#
# `fidelity_report` does sections 1–3 for any trained model — same seeded samples, same
# clipping, same SWD bands — and returns a JSON-ready dict; pass `sifid_weights=` (a path,
# `"imagenet"` or a stem model) for the SIFID column. The command line equivalent writes
# `RUN_DIR/fidelity.json`:
#
# ```bash
# singan evaluate runs/rocket_quick --num 50 --weights inception_v3_google-0cc3c7bd.pth
# ```

# %%
report = fidelity_report(model, num_samples=NUM_SAMPLES, seed=SEED)
for r in report["results"]:
    print(f"{r['paper_scale']:>4} (start_scale {r['start_scale']}): diversity "
          f"{r['diversity']:.3f}, SWD {r['swd']:.4f}, SIFID {r['sifid']}")
    assert np.isclose(r["diversity"], diversity(samples[r["paper_scale"]], real))
    assert np.isclose(r["swd"], swd[r["paper_scale"]].mean)
print(report["sifid_note"])

# %% [markdown]
# ## Summary
#
# * **Diversity** (Table 1): per-pixel std across samples over the image's std. It says how
#   much samples differ, not how good they are; it falls when generation starts at a finer
#   scale.
# * **Patch SWD**: sliced Wasserstein distance between 7×7 patch distributions per
#   Laplacian band — weight-free, offline and seeded, the everyday signal for comparing
#   runs and backends; read it against the real-vs-real floor.
# * **SIFID** (Table 2): the Fréchet distance between Gaussians of per-position
#   InceptionV3-stem features of the real image and of one sample. The official code uses
#   the 64-channel layer before the first max-pool (the paper's text: the second), and its
#   PNG path divides by 255 twice — we do not.
# * SIFID numbers comparable with the paper need torchvision's ImageNet InceptionV3
#   (`inception_v3_google-0cc3c7bd.pth`); without weights, a random-weight stem shows the
#   computation but its numbers mean nothing.
#
# ## Exercises
#
# 1. Add a row for `start_scale=2`. How do diversity and SWD change as the start moves
#    towards the finest scale?
# 2. Compute diversity from 10, 25, 50 and 100 samples. How many samples does the number
#    need to settle? (The library's docstring gives its expected value for Gaussian
#    samples.)
# 3. Score the *reconstruction* `model.reconstruct()` as if it were a sample: what are its
#    SWD and SIFID, and why is SIFID not 0?
# 4. With real weights, compare `layer="first_pool"` and `layer="second_pool"` on a
#    full-mode model. Do the two layers rank $N$ and $N-1$ the same way?
# 5. Train notebook 03 in full mode on a GPU and fill in the table again. Which numbers
#    move towards the paper's?
